import { describe, expect, it } from 'vitest';
import { chainsAfterRestore, minimizeRestore, missingJumps, teardownText, withJumps } from '../../../node-agent/network/restore-text.ts';
import { JUMP_RULES, chainsInSave, renderRules, type NodeNetwork } from '../../../node-agent/network/rules.ts';
import { endpointSlice, service } from '../support/objects.ts';

const dockerOnly = `*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:DOCKER-USER - [0:0]
-A FORWARD -j DOCKER-USER
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:DOCKER - [0:0]
-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
COMMIT
`;

const withOurs = `*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:DOCKER-USER - [0:0]
:ZP-FORWARD - [0:0]
:ZP-SERVICES - [0:0]
-A FORWARD -m comment --comment "zeroplane forwarding rules" -j ZP-FORWARD
-A FORWARD -j DOCKER-USER
-A ZP-FORWARD -m conntrack --ctstate INVALID -j DROP
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:DOCKER - [0:0]
:ZP-SERVICES - [0:0]
:ZP-SVC-AAAA - [0:0]
-A PREROUTING -m comment --comment "zeroplane service portals" -j ZP-SERVICES
-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
-A ZP-SERVICES -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -j ZP-SVC-AAAA
COMMIT
`;

describe('missingJumps', () => {
  it.each([
    ['tables without ours', dockerOnly, JUMP_RULES.length],
    ['tables holding the FORWARD→ZP-FORWARD and PREROUTING→ZP-SERVICES jumps', withOurs, JUMP_RULES.length - 2],
  ])('finds every jump absent from %s', (_, save, count) => {
    expect(missingJumps(save)).toHaveLength(count);
  });
});

describe('withJumps', () => {
  it('inserts each jump at the top of its chain, after our chains are declared', () => {
    const text = withJumps('*filter\n:ZP-FORWARD - [0:0]\nCOMMIT\n*nat\n:ZP-SERVICES - [0:0]\nCOMMIT\n', JUMP_RULES.filter((j) => j.chain === 'FORWARD' || j.chain === 'PREROUTING'));
    expect(text).toBe(
      [
        '*filter',
        ':ZP-FORWARD - [0:0]',
        '-I FORWARD 1 -m conntrack --ctstate NEW -m comment --comment "zeroplane service portals" -j ZP-SERVICES',
        '-I FORWARD 1 -m comment --comment "zeroplane forwarding rules" -j ZP-FORWARD',
        'COMMIT',
        '*nat',
        ':ZP-SERVICES - [0:0]',
        '-I PREROUTING 1 -m comment --comment "zeroplane service portals" -j ZP-SERVICES',
        'COMMIT',
        '',
      ].join('\n'),
    );
  });
});

describe('chainsAfterRestore', () => {
  it('keeps declared chains and drops the deleted ones', () => {
    expect(chainsAfterRestore('*filter\n:ZP-A - [0:0]\nCOMMIT\n*nat\n:ZP-B - [0:0]\n:ZP-C - [0:0]\n-X ZP-C\nCOMMIT\n')).toEqual({ filter: ['ZP-A'], nat: ['ZP-B'] });
  });
});

describe('teardownText', () => {
  it('deletes our jumps and chains and names nothing of Docker’s', () => {
    expect(teardownText(withOurs)).toBe(
      [
        '*filter',
        ':ZP-FORWARD - [0:0]',
        ':ZP-SERVICES - [0:0]',
        '-D FORWARD -m comment --comment "zeroplane forwarding rules" -j ZP-FORWARD',
        '-X ZP-FORWARD',
        '-X ZP-SERVICES',
        'COMMIT',
        '*nat',
        ':ZP-SERVICES - [0:0]',
        ':ZP-SVC-AAAA - [0:0]',
        '-D PREROUTING -m comment --comment "zeroplane service portals" -j ZP-SERVICES',
        '-X ZP-SERVICES',
        '-X ZP-SVC-AAAA',
        'COMMIT',
        '',
      ].join('\n'),
    );
  });

  it('is empty when nothing of ours is left', () => {
    expect(teardownText(dockerOnly)).toBe('');
  });
});

describe('minimizeRestore', () => {
  const node: NodeNetwork = { name: 'n1', podCIDR: '10.244.1.0/24' };
  const svc = (name: string, ip: string) => service('default', name, { type: 'ClusterIP', clusterIP: ip, ports: [{ name: 'http', port: 80, protocol: 'TCP' }] });
  const slice = (name: string, ...ips: string[]) => endpointSlice('default', name, [{ name: 'http', port: 8080 }], ips.map((ip) => ({ ip, ready: true })), `${name}-1`);
  const services = [svc('a', '10.96.0.1'), svc('b', '10.96.0.2')];
  const before = renderRules(services, [slice('a', '10.244.1.10'), slice('b', '10.244.1.20', '10.244.1.21')], node);
  const existing = { filter: chainsInSave(before, 'filter'), nat: chainsInSave(before, 'nat') };

  it('is empty when nothing changed', () => {
    expect(minimizeRestore(before, before)).toBe('');
  });

  it("rewrites only the chains of the service whose endpoints changed, and deletes its removed endpoint's chain", () => {
    const after = renderRules(services, [slice('a', '10.244.1.10'), slice('b', '10.244.1.20')], node, { existingChains: existing });
    const text = minimizeRestore(before, after);
    expect(text).not.toContain('*filter');
    expect(text).not.toContain('default/a');
    expect(text).not.toContain(':ZP-SERVICES');
    expect(text).toContain('default/b:http -> 10.244.1.20:8080');
    expect(text).not.toContain('--to-destination');
    expect(text).toMatch(/^-X ZP-SEP-\w+$/m);
    // Declared (flushed): b's service chain, refilled, and the removed endpoint's chain, deleted. The kept
    // endpoint's chain has the same rules and is not named at all.
    expect(text.split('\n').filter((l) => l.startsWith(':'))).toHaveLength(2);
  });
});
