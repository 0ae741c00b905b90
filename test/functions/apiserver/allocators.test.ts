import { describe, expect, it } from 'vitest';
import { Allocators, ipToNumber, kubernetesServiceIp, numberToIp, parseCidr } from '../../../functions/apiserver/allocators.ts';
import { MemoryStore } from '../../support/memory-store.ts';

describe('parseCidr', () => {
  it.each([
    ['10.96.0.0/12', '10.96.0.0/12', 2 ** 20],
    ['10.96.3.7/24', '10.96.3.0/24', 256],
    ['192.168.0.0/16', '192.168.0.0/16', 65536],
  ])('parses %s', (text, normalised, size) => {
    const c = parseCidr(text);
    expect(c.text).toBe(normalised);
    expect(c.size).toBe(size);
  });

  it.each(['10.96.0.0', '10.96.0.0/33', '300.1.1.1/24', 'x/12'])('refuses %s', (text) => {
    expect(() => parseCidr(text)).toThrow();
  });

  it('round-trips addresses and reserves .1 for the kubernetes Service', () => {
    expect(numberToIp(ipToNumber('10.96.255.254')!)).toBe('10.96.255.254');
    expect(kubernetesServiceIp(parseCidr('10.96.0.0/12'))).toBe('10.96.0.1');
  });
});

describe('Allocators', () => {
  it('fills a small range completely, then reports it full', async () => {
    const alloc = new Allocators(new MemoryStore(), parseCidr('10.0.0.0/29'));
    const got: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await alloc.allocateIp(`ns/s${i}`);
      expect(r.ok).toBe(true);
      if (r.ok) got.push(r.value);
    }
    // /29 = 8 addresses: network, .1 (reserved), broadcast excluded → 5 usable.
    expect(new Set(got).size).toBe(5);
    expect(got).not.toContain('10.0.0.1');
    expect(await alloc.allocateIp('ns/extra')).toEqual({ ok: false, message: 'failed to allocate a serviceIP: range is full' });
  });

  it('lets the owner re-claim its own address and nobody else', async () => {
    const alloc = new Allocators(new MemoryStore(), parseCidr('10.0.0.0/24'));
    expect(await alloc.allocateIp('a/x', '10.0.0.9')).toEqual({ ok: true, value: '10.0.0.9', fresh: true });
    expect(await alloc.allocateIp('a/x', '10.0.0.9')).toEqual({ ok: true, value: '10.0.0.9', fresh: false });
    expect((await alloc.allocateIp('b/y', '10.0.0.9')).ok).toBe(false);
    await alloc.releaseIp('b/y', '10.0.0.9');
    expect((await alloc.allocateIp('b/y', '10.0.0.9')).ok).toBe(false);
    await alloc.releaseIp('a/x', '10.0.0.9');
    expect((await alloc.allocateIp('b/y', '10.0.0.9')).ok).toBe(true);
  });

  it('checks node port ranges', async () => {
    const alloc = new Allocators(new MemoryStore(), parseCidr('10.0.0.0/24'));
    expect(await alloc.allocateNodePort('a/x', 80)).toEqual({
      ok: false,
      message: 'provided port is not in the valid range. The range of valid ports is 30000-32767',
    });
    const r = await alloc.allocateNodePort('a/x');
    expect(r.ok && r.value >= 30000 && r.value <= 32767).toBe(true);
  });
});
