import { describe, expect, it } from 'vitest';
import { allocateIp, cidrRange, emptyAllocation, inCidr, recoverAllocation, releaseIp, type IpAllocation } from '../../../node-agent/pod/ip-allocator.ts';

function allocateN(state: IpAllocation, n: number): { ips: string[]; state: IpAllocation } {
  const ips: string[] = [];
  for (let i = 0; i < n; i++) {
    const next = allocateIp(state);
    if (!next) break;
    ips.push(next.ip);
    state = next.state;
  }
  return { ips, state };
}

describe('ip allocator', () => {
  it.each([
    ['10.244.1.0/24', { network: '10.244.1.0', gateway: '10.244.1.1', broadcast: '10.244.1.255', prefix: 24, size: 253 }],
    ['10.244.1.77/24', { network: '10.244.1.0', gateway: '10.244.1.1', broadcast: '10.244.1.255', prefix: 24, size: 253 }],
    ['10.0.0.0/30', { network: '10.0.0.0', gateway: '10.0.0.1', broadcast: '10.0.0.3', prefix: 30, size: 1 }],
    ['172.16.0.0/16', { network: '172.16.0.0', gateway: '172.16.0.1', broadcast: '172.16.255.255', prefix: 16, size: 65533 }],
  ])('describes %s', (cidr, range) => {
    expect(cidrRange(cidr)).toEqual(range);
  });

  it.each(['10.244.1.0', '10.244.1.0/31', 'fd00::/64', '10.244.300.0/24'])('rejects the pod CIDR %s', (cidr) => {
    expect(() => emptyAllocation(cidr)).toThrow();
  });

  it('starts after the gateway and hands out unique addresses', () => {
    const { ips } = allocateN(emptyAllocation('10.244.1.0/24'), 3);
    expect(ips).toEqual(['10.244.1.2', '10.244.1.3', '10.244.1.4']);
  });

  it('uses every address but network, gateway and broadcast, then reports the range full', () => {
    const { ips, state } = allocateN(emptyAllocation('10.244.1.0/29'), 10);
    expect(ips).toEqual(['10.244.1.2', '10.244.1.3', '10.244.1.4', '10.244.1.5', '10.244.1.6']);
    expect(allocateIp(state)).toBeUndefined();
  });

  it('does not reuse a released address before the others (next-fit)', () => {
    const { state } = allocateN(emptyAllocation('10.244.1.0/29'), 3);
    const released = releaseIp(state, '10.244.1.2');
    expect(allocateIp(released)!.ip).toBe('10.244.1.5');
  });

  it('wraps around to released addresses at the end of the range', () => {
    const { state } = allocateN(emptyAllocation('10.244.1.0/29'), 5);
    expect(allocateIp(releaseIp(state, '10.244.1.3'))!.ip).toBe('10.244.1.3');
  });

  it('recovers the allocation from the sandboxes after a restart, ignoring foreign and reserved addresses', () => {
    const state = recoverAllocation('10.244.1.0/24', ['10.244.1.7', '10.244.1.3', '10.244.2.9', '10.244.1.1', '10.244.1.255', 'garbage']);
    expect([...state.used].sort()).toEqual(['10.244.1.3', '10.244.1.7']);
    expect(state.last).toBe('10.244.1.7');
    expect(allocateIp(state)!.ip).toBe('10.244.1.8');
  });

  it.each([
    ['10.244.1.9', '10.244.1.0/24', true],
    ['10.244.2.9', '10.244.1.0/24', false],
    ['10.96.0.10', '10.96.0.0/12', true],
  ])('knows %s in %s is %s', (ip, cidr, inside) => {
    expect(inCidr(ip, cidr)).toBe(inside);
  });
});
