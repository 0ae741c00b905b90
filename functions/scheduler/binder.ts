/**
 * Binding with no overcommit across concurrent schedulers (design invariant 3).
 *
 * The pods/binding write is conditional on the *pod* only: two scheduler invocations working from snapshots taken
 * at the same moment could each place a different pod on the last free slot of one node, and both binds would
 * succeed. So each node has an allocation ledger — an internal record in the object store (resource
 * `zeroplane.dev/nodeallocations`, not an API type: it holds no user state and no controller watches it), keyed
 * by the node's name, listing the pods reserved on it with their requests. A scheduler reserves before it binds:
 * it reads the ledger (a strongly consistent get), checks node allocatable against the ledger's sum — a fresh
 * view, not its snapshot — and writes the ledger back conditionally on the resourceVersion it read. Two
 * schedulers reserving on one node therefore serialize: the second write conflicts, re-reads, and sees the
 * first's reservation. Only reserved pods are bound.
 *
 * Entries leave the ledger only when a fresh read of the pod shows it no longer holds the node's resources: gone
 * (or a different uid under that name), finished, or bound to another node. An entry for a pod that is still
 * unbound is kept for RESERVATION_TTL_MS, because another scheduler may be between its reservation and its bind.
 * Pruning runs only when the ledger looks full, so the common path is one ledger read and write per node per batch.
 */
import type { Node } from '../../shared/api/kinds/node.ts';
import type { Pod } from '../../shared/api/kinds/pod.ts';
import type { KubeObject } from '../../shared/api/object.ts';
import type { ObjectStore } from '../store/object-store.ts';
import { nodeInfo, podRequests, type Resources } from './node-info.ts';

export const NODE_ALLOCATIONS = 'zeroplane.dev/nodeallocations';
const RESERVATION_TTL_MS = 30_000;
const ATTEMPTS = 20;

export interface Reservation {
  namespace: string;
  name: string;
  milliCPU: number;
  memory: number;
  scalar?: Record<string, number>;
  /** When it was reserved (ms since epoch). */
  at: number;
}

export interface NodeAllocation extends KubeObject {
  pods: Record<string, Reservation>;
}

export interface BinderDeps {
  store: ObjectStore;
  now?: () => number;
}

function ledgerRef(node: string) {
  return { resource: NODE_ALLOCATIONS, namespace: '', name: node };
}

function reservationOf(pod: Pod, at: number): Reservation {
  const r = podRequests(pod);
  return {
    namespace: pod.metadata.namespace ?? '',
    name: pod.metadata.name ?? '',
    milliCPU: r.milliCPU,
    memory: r.memory,
    ...(Object.keys(r.scalar).length ? { scalar: r.scalar } : {}),
    at,
  };
}

function sum(entries: Reservation[]): Resources & { pods: number } {
  const total = { milliCPU: 0, memory: 0, scalar: {} as Record<string, number>, pods: entries.length };
  for (const e of entries) {
    total.milliCPU += e.milliCPU;
    total.memory += e.memory;
    for (const [k, v] of Object.entries(e.scalar ?? {})) total.scalar[k] = (total.scalar[k] ?? 0) + v;
  }
  return total;
}

/** Whether `used` plus `add` stays within the node's allocatable (cpu, memory, pods and extended resources). */
export function fits(allocatable: Resources & { pods: number }, used: Resources & { pods: number }, add: Reservation): boolean {
  if (used.pods + 1 > allocatable.pods) return false;
  if (add.milliCPU > 0 && used.milliCPU + add.milliCPU > allocatable.milliCPU) return false;
  if (add.memory > 0 && used.memory + add.memory > allocatable.memory) return false;
  for (const [k, v] of Object.entries(add.scalar ?? {})) if (v > 0 && (used.scalar[k] ?? 0) + v > (allocatable.scalar[k] ?? 0)) return false;
  return true;
}

function holds(pod: KubeObject | undefined, uid: string, node: string, entry: Reservation, now: number): boolean {
  if (!pod || pod.metadata.uid !== uid) return false;
  const p = pod as Pod;
  const phase = p.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  if (p.spec.nodeName) return p.spec.nodeName === node;
  return now - entry.at < RESERVATION_TTL_MS;
}

export class Binder {
  private readonly now: () => number;
  constructor(private readonly deps: BinderDeps) {
    this.now = deps.now ?? Date.now;
  }

  /**
   * Reserves as many of `pods` (in order) as fit on `node` according to its ledger; returns the reserved ones.
   * The caller binds them; the others stay pending for the next cycle.
   */
  async reserve(node: Node, pods: Pod[]): Promise<Pod[]> {
    const name = node.metadata.name ?? '';
    const allocatable = nodeInfo(node).allocatable;
    const ref = ledgerRef(name);
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const current = (await this.deps.store.get(ref)) as NodeAllocation | undefined;
      const entries: Record<string, Reservation> = { ...(current?.pods ?? {}) };
      const now = this.now();
      const reservedHere = () => pods.filter((p) => entries[p.metadata.uid ?? '']);
      let accepted = this.admit(allocatable, entries, pods, now);
      let pruned = false;
      if (accepted.length + reservedHere().length < pods.length && Object.keys(entries).length > 0) {
        pruned = await this.prune(name, entries, now);
        if (pruned) accepted = this.admit(allocatable, entries, pods, now);
      }
      // Pods already in this ledger (a retried bind) keep their reservation and are bound again.
      const already = reservedHere();
      if (accepted.length === 0 && !pruned) return already;
      for (const pod of accepted) entries[pod.metadata.uid ?? ''] = reservationOf(pod, now);
      const next: NodeAllocation = { apiVersion: 'zeroplane.dev/v1', kind: 'NodeAllocation', metadata: { name }, pods: entries };
      const res = current ? await this.deps.store.update(ref, next, current.metadata.resourceVersion ?? '') : await this.deps.store.create(ref, next);
      if (res.ok) return [...already, ...accepted];
      // Conflict / AlreadyExists: another scheduler reserved on this node meanwhile; read its reservation and retry.
    }
    return [];
  }

  /** The pods (not yet in the ledger) that fit, in order, on top of the ledger's entries. */
  private admit(allocatable: Resources & { pods: number }, entries: Record<string, Reservation>, pods: Pod[], now: number): Pod[] {
    const list = Object.values(entries);
    const accepted: Pod[] = [];
    for (const pod of pods) {
      const uid = pod.metadata.uid ?? '';
      if (entries[uid]) continue;
      const r = reservationOf(pod, now);
      if (!fits(allocatable, sum(list), r)) continue;
      list.push(r);
      accepted.push(pod);
    }
    return accepted;
  }

  /** Drops entries whose pods no longer hold the node's resources (fresh reads). Returns whether any went. */
  private async prune(node: string, entries: Record<string, Reservation>, now: number): Promise<boolean> {
    const uids = Object.keys(entries);
    const pods = await Promise.all(uids.map((uid) => this.deps.store.get({ resource: 'core/pods', namespace: entries[uid].namespace, name: entries[uid].name })));
    let dropped = false;
    uids.forEach((uid, i) => {
      if (!holds(pods[i], uid, node, entries[uid], now)) {
        delete entries[uid];
        dropped = true;
      }
    });
    return dropped;
  }
}
