/** IPv4 CIDR checks for the stack's props: the VPC, pod and service ranges must not overlap. Pure. */

export interface Ipv4Range {
  cidr: string;
  first: number;
  last: number;
}

export function parseIpv4Cidr(cidr: string): Ipv4Range {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  const octets = match ? match.slice(1, 5).map(Number) : [];
  const bits = match ? Number(match[5]) : -1;
  if (!match || octets.some((o) => o > 255) || bits > 32) throw new Error(`${cidr} is not an IPv4 CIDR`);
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - bits);
  if (address % size !== 0) throw new Error(`${cidr} has host bits set`);
  return { cidr, first: address, last: address + size - 1 };
}

/** The pairs of ranges that overlap, as `a ∩ b` strings; empty when all are disjoint. */
export function overlappingCidrs(named: Record<string, string>): string[] {
  const ranges = Object.entries(named).map(([name, cidr]) => ({ name, ...parseIpv4Cidr(cidr) }));
  const overlaps: string[] = [];
  for (let i = 0; i < ranges.length; i++) {
    for (let j = i + 1; j < ranges.length; j++) {
      const [a, b] = [ranges[i], ranges[j]];
      if (a.first <= b.last && b.first <= a.last) overlaps.push(`${a.name} ${a.cidr} ∩ ${b.name} ${b.cidr}`);
    }
  }
  return overlaps;
}
