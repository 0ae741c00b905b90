import { describe, expect, it } from 'vitest';
import { claimName, nodeCidrs, pickFreeCidr } from '../../../node-agent/node/pod-cidr.ts';

describe('node pod CIDRs', () => {
  it('splits 10.244.0.0/16 into 256 /24 blocks in order', () => {
    const all = nodeCidrs();
    expect(all).toHaveLength(256);
    expect(all.slice(0, 2)).toEqual(['10.244.0.0/24', '10.244.1.0/24']);
    expect(all.at(-1)).toBe('10.244.255.0/24');
  });

  it.each([
    [[], '10.244.0.0/24'],
    [['10.244.0.0/24', '10.244.1.0/24'], '10.244.2.0/24'],
    [['10.244.1.0/24'], '10.244.0.0/24'],
  ])('with %j taken picks %s', (taken, expected) => {
    expect(pickFreeCidr(new Set(taken))).toBe(expected);
  });

  it('returns undefined when the range is exhausted', () => {
    expect(pickFreeCidr(new Set(nodeCidrs('10.244.0.0/23')), '10.244.0.0/23')).toBeUndefined();
  });

  it('names a claim after its CIDR as a valid object name', () => {
    expect(claimName('10.244.3.0/24')).toBe('podcidr-10-244-3-0-24');
  });
});
