/**
 * Pod IPs from the node's pod CIDR, as the CNI host-local IPAM hands them out: never the network address, the
 * gateway (.1, the agent's bridge and DNS server) or the broadcast address; next-fit after the last allocation
 * so a just-released IP is not reused at once (stale conntrack entries and caches still point at it). Pure
 * values: the state after an agent restart is recovered from the sandboxes the runtime still has.
 */

export interface IpAllocation {
  cidr: string;
  used: ReadonlySet<string>;
  /** The most recent allocation; the search resumes after it. */
  last?: string;
}

export interface CidrRange {
  network: string;
  gateway: string;
  broadcast: string;
  prefix: number;
  /** Usable pod addresses (excluding network, gateway, broadcast). */
  size: number;
}

export function ipToInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`invalid IPv4 address "${ip}"`);
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function parseCidr(cidr: string): { base: number; prefix: number; count: number } {
  const [ip, bits] = cidr.split('/');
  const prefix = Number(bits);
  if (!ip || !Number.isInteger(prefix) || prefix < 0 || prefix > 30) throw new Error(`invalid pod CIDR "${cidr}" (IPv4, prefix /0–/30)`);
  const count = 2 ** (32 - prefix);
  const base = ipToInt(ip) - (ipToInt(ip) % count);
  return { base, prefix, count };
}

export function cidrRange(cidr: string): CidrRange {
  const { base, prefix, count } = parseCidr(cidr);
  return { network: intToIp(base), gateway: intToIp(base + 1), broadcast: intToIp(base + count - 1), prefix, size: count - 3 };
}

export function inCidr(ip: string, cidr: string): boolean {
  const { base, count } = parseCidr(cidr);
  const n = ipToInt(ip);
  return n >= base && n < base + count;
}

/** A usable pod address of the range (not network, gateway or broadcast). */
function isAssignable(n: number, base: number, count: number): boolean {
  return n > base + 1 && n < base + count - 1;
}

export function emptyAllocation(cidr: string): IpAllocation {
  parseCidr(cidr);
  return { cidr, used: new Set() };
}

/** The allocation implied by the sandboxes that still exist (their IP labels); foreign addresses are ignored. */
export function recoverAllocation(cidr: string, sandboxIps: Iterable<string>): IpAllocation {
  const { base, count } = parseCidr(cidr);
  const used = new Set<string>();
  let last: number | undefined;
  for (const ip of sandboxIps) {
    let n: number;
    try {
      n = ipToInt(ip);
    } catch {
      continue;
    }
    if (!isAssignable(n, base, count)) continue;
    used.add(intToIp(n));
    if (last === undefined || n > last) last = n;
  }
  return last === undefined ? { cidr, used } : { cidr, used, last: intToIp(last) };
}

/** The next free address after the last allocation (wrapping), or undefined when the range is full. */
export function allocateIp(state: IpAllocation): { ip: string; state: IpAllocation } | undefined {
  const { base, count } = parseCidr(state.cidr);
  const first = base + 2;
  const usable = count - 3;
  const start = state.last !== undefined && isAssignable(ipToInt(state.last), base, count) ? ipToInt(state.last) + 1 - first : 0;
  for (let i = 0; i < usable; i++) {
    const ip = intToIp(first + ((start + i) % usable));
    if (!state.used.has(ip)) return { ip, state: { cidr: state.cidr, used: new Set([...state.used, ip]), last: ip } };
  }
  return undefined;
}

export function releaseIp(state: IpAllocation, ip: string): IpAllocation {
  if (!state.used.has(ip)) return state;
  const used = new Set(state.used);
  used.delete(ip);
  return { ...state, used };
}
