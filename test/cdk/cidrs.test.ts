import { describe, expect, it } from 'vitest';
import { overlappingCidrs, parseIpv4Cidr } from '../../cdk/cidrs.ts';

describe('parseIpv4Cidr', () => {
  it.each([
    ['10.0.0.0/16', 10 * 2 ** 24, 10 * 2 ** 24 + 65535],
    ['10.96.0.0/12', 10 * 2 ** 24 + 96 * 2 ** 16, 10 * 2 ** 24 + 111 * 2 ** 16 + 65535],
    ['0.0.0.0/0', 0, 2 ** 32 - 1],
    ['192.168.1.7/32', 3232235783, 3232235783],
  ])('reads %s as the range [%d, %d]', (cidr, first, last) => {
    expect(parseIpv4Cidr(cidr)).toEqual({ cidr, first, last });
  });

  it.each(['10.0.0.0', '10.0.0.256/24', '10.0.0.0/33', '10.0.0.1/24', 'fd00::/8'])('rejects %s', (cidr) => {
    expect(() => parseIpv4Cidr(cidr)).toThrow(cidr);
  });
});

describe('overlappingCidrs', () => {
  it.each([
    [{ vpc: '10.0.0.0/16', pods: '10.244.0.0/16', services: '10.96.0.0/12' }, []],
    [{ vpc: '10.0.0.0/8', pods: '10.244.0.0/16' }, ['vpc 10.0.0.0/8 ∩ pods 10.244.0.0/16']],
    [{ a: '10.1.0.0/16', b: '10.1.255.0/24', c: '10.2.0.0/16' }, ['a 10.1.0.0/16 ∩ b 10.1.255.0/24']],
    [{ a: '10.1.0.0/16', b: '10.2.0.0/16' }, []],
  ])('finds the overlaps among %j', (named, expected) => {
    expect(overlappingCidrs(named)).toEqual(expected);
  });
});
