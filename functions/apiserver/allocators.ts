/**
 * Service ClusterIP and NodePort allocation. Every allocation is an object in the store (an internal resource,
 * name = the IP or port), created with the store's AlreadyExists check, so two API instances (two Lambdas) can
 * never hand out the same IP: the store's conditional create is the lock. Nothing is kept in memory.
 */
import type { ObjectStore } from '../store/object-store.ts';
import type { KubeObject } from '../../shared/api/object.ts';

export const IP_ALLOCATIONS = 'zeroplane/ipallocations';
export const PORT_ALLOCATIONS = 'zeroplane/nodeportallocations';

export const NODE_PORT_MIN = 30000;
export const NODE_PORT_MAX = 32767;

export interface Cidr {
  text: string;
  base: number;
  size: number;
}

export function parseCidr(text: string): Cidr {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) throw new Error(`invalid service CIDR ${text}`);
  const bits = Number(m[5]);
  if (bits < 8 || bits > 30) throw new Error(`service CIDR ${text} must be between /8 and /30`);
  const ip = ipToNumber(`${m[1]}.${m[2]}.${m[3]}.${m[4]}`);
  if (ip === undefined) throw new Error(`invalid service CIDR ${text}`);
  const size = 2 ** (32 - bits);
  const base = ip - (ip % size);
  return { text: `${numberToIp(base)}/${bits}`, base, size };
}

export function ipToNumber(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

export function numberToIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** The first usable address: reserved for the `kubernetes` Service in `default`, as apiserver does. */
export function kubernetesServiceIp(cidr: Cidr): string {
  return numberToIp(cidr.base + 1);
}

export type AllocationFailure = { ok: false; message: string };
/** `fresh`: this call created the allocation (false when the owner already held it), so only a fresh one may be
 *  rolled back when the write it was for fails. */
export type Allocation<T> = { ok: true; value: T; fresh: boolean } | AllocationFailure;

function allocationObject(kind: string, name: string, owner: string): KubeObject {
  return { apiVersion: 'zeroplane.internal/v1', kind, metadata: { name }, owner } as KubeObject;
}

function ownerOf(obj: KubeObject | undefined): string | undefined {
  const owner = (obj as { owner?: unknown } | undefined)?.owner;
  return typeof owner === 'string' ? owner : undefined;
}

export class Allocators {
  constructor(
    private readonly store: ObjectStore,
    readonly cidr: Cidr,
    private readonly random: () => number = Math.random,
  ) {}

  /** 'fresh' when created now, 'held' when the owner already had it (a retry, an update, a duplicate create). */
  private async claim(resource: string, kind: string, name: string, owner: string): Promise<'fresh' | 'held' | undefined> {
    const ref = { resource, namespace: '', name };
    const res = await this.store.create(ref, allocationObject(kind, name, owner));
    if (res.ok) return 'fresh';
    return ownerOf(await this.store.get(ref)) === owner ? 'held' : undefined;
  }

  private async release(resource: string, name: string, owner: string): Promise<void> {
    const ref = { resource, namespace: '', name };
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.store.get(ref);
      if (!current || ownerOf(current) !== owner) return;
      const res = await this.store.delete(ref, current.metadata.resourceVersion ?? '');
      if (res.ok || res.reason === 'NotFound') return;
    }
  }

  /** Whether `ip` lies in the service CIDR (network and broadcast addresses excluded). */
  inRange(ip: string): boolean {
    const n = ipToNumber(ip);
    return n !== undefined && n > this.cidr.base && n < this.cidr.base + this.cidr.size - 1;
  }

  async allocateIp(owner: string, requested?: string): Promise<Allocation<string>> {
    if (requested) {
      if (!this.inRange(requested)) {
        return {
          ok: false,
          message: `failed to allocate IP ${requested}: the provided IP (${requested}) is not in the valid range. The range of valid IPs is ${this.cidr.text}`,
        };
      }
      const claimed = await this.claim(IP_ALLOCATIONS, 'IPAllocation', requested, owner);
      if (claimed) return { ok: true, value: requested, fresh: claimed === 'fresh' };
      return { ok: false, message: `failed to allocate IP ${requested}: provided IP is already allocated` };
    }
    // Random probing, then a scan: random picks almost never collide in a /12, and the scan guarantees progress
    // when the range is nearly full. .1 stays reserved for the `kubernetes` Service.
    const first = this.cidr.base + 2;
    const count = this.cidr.size - 3;
    const start = Math.floor(this.random() * count);
    for (let i = 0; i < Math.min(count, 64); i++) {
      const ip = numberToIp(first + ((start + i * 7919) % count));
      if ((await this.claim(IP_ALLOCATIONS, 'IPAllocation', ip, owner)) === 'fresh') return { ok: true, value: ip, fresh: true };
    }
    const taken = new Set((await this.listAll(IP_ALLOCATIONS)).map((o) => o.metadata.name));
    for (let i = 0; i < count; i++) {
      const ip = numberToIp(first + ((start + i) % count));
      if (!taken.has(ip) && (await this.claim(IP_ALLOCATIONS, 'IPAllocation', ip, owner)) === 'fresh') return { ok: true, value: ip, fresh: true };
    }
    return { ok: false, message: `failed to allocate a serviceIP: range is full` };
  }

  async releaseIp(owner: string, ip: string): Promise<void> {
    await this.release(IP_ALLOCATIONS, ip, owner);
  }

  async allocateNodePort(owner: string, requested?: number): Promise<Allocation<number>> {
    if (requested !== undefined) {
      if (requested < NODE_PORT_MIN || requested > NODE_PORT_MAX) {
        return {
          ok: false,
          message: `provided port is not in the valid range. The range of valid ports is ${NODE_PORT_MIN}-${NODE_PORT_MAX}`,
        };
      }
      const claimed = await this.claim(PORT_ALLOCATIONS, 'NodePortAllocation', String(requested), owner);
      if (claimed) return { ok: true, value: requested, fresh: claimed === 'fresh' };
      return { ok: false, message: 'provided port is already allocated' };
    }
    const count = NODE_PORT_MAX - NODE_PORT_MIN + 1;
    const start = Math.floor(this.random() * count);
    for (let i = 0; i < 32; i++) {
      const port = NODE_PORT_MIN + ((start + i * 97) % count);
      if ((await this.claim(PORT_ALLOCATIONS, 'NodePortAllocation', String(port), owner)) === 'fresh') return { ok: true, value: port, fresh: true };
    }
    const taken = new Set((await this.listAll(PORT_ALLOCATIONS)).map((o) => o.metadata.name));
    for (let i = 0; i < count; i++) {
      const port = NODE_PORT_MIN + ((start + i) % count);
      if (!taken.has(String(port)) && (await this.claim(PORT_ALLOCATIONS, 'NodePortAllocation', String(port), owner)) === 'fresh') {
        return { ok: true, value: port, fresh: true };
      }
    }
    return { ok: false, message: 'range is full' };
  }

  async releaseNodePort(owner: string, port: number): Promise<void> {
    await this.release(PORT_ALLOCATIONS, String(port), owner);
  }

  private async listAll(resource: string): Promise<KubeObject[]> {
    const out: KubeObject[] = [];
    let cont: string | undefined;
    do {
      const page = await this.store.list(resource, { limit: 1000, continue: cont });
      out.push(...page.items);
      cont = page.continue;
    } while (cont);
    return out;
  }
}
