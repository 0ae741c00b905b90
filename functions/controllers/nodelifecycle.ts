/**
 * Node lifecycle (pkg/controller/nodelifecycle): a node whose Lease was not renewed within the grace period
 * (40 s by default) gets Ready=Unknown ("Kubelet stopped posting node status.") and the unreachable
 * NoSchedule + NoExecute taints; pods on a NoExecute-tainted node are evicted once their toleration runs
 * out (300 s by default via the admission-added tolerations), immediately when they tolerate nothing. Until
 * then its Ready pods are marked Ready=False, so Endpoints drop them.
 */
import type { Lease } from '../../shared/api/kinds/lease.ts';
import type { Node } from '../../shared/api/kinds/node.ts';
import type { Pod } from '../../shared/api/kinds/pod.ts';
import { NOT_READY_TAINT, toleratesTaint, UNREACHABLE_TAINT } from '../scheduler/plugins/taint-toleration.ts';
import { earliest, refOf, type Action, type ReconcileResult } from './types.ts';

export const DEFAULT_GRACE_PERIOD_SECONDS = 40;

export interface NodeLifecycleInput {
  node: Node | undefined;
  lease: Lease | undefined;
  /** Pods bound to the node. */
  pods: Pod[];
  now: Date;
  gracePeriodSeconds?: number;
}

function stamp(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** When a pod on a node with these NoExecute taints must go (ms since epoch), or undefined if it may stay. */
export function evictionTime(pod: Pod, taints: { key: string; value?: string; effect: string; timeAdded?: string | null }[]): number | undefined {
  let at: number | undefined;
  for (const taint of taints.filter((t) => t.effect === 'NoExecute')) {
    const added = Date.parse(taint.timeAdded ?? '') || 0;
    const matching = (pod.spec.tolerations ?? []).filter((t) => toleratesTaint(t, taint));
    if (matching.length === 0) return added;
    const seconds = matching.map((t) => t.tolerationSeconds).filter((s): s is number => s !== undefined);
    if (seconds.length === matching.length) {
      const t = added + Math.max(0, Math.min(...seconds)) * 1000;
      at = at === undefined ? t : Math.min(at, t);
    }
  }
  return at;
}

export function reconcileNodeLifecycle(input: NodeLifecycleInput): ReconcileResult<Node['status']> & { nodeUpdate?: Node } {
  const node = input.node;
  if (!node) return { actions: [] };
  const now = input.now.getTime();
  const grace = (input.gracePeriodSeconds ?? DEFAULT_GRACE_PERIOD_SECONDS) * 1000;
  const renew = Date.parse(input.lease?.spec?.renewTime ?? '') || Date.parse(node.metadata.creationTimestamp ?? '') || now;
  const expired = renew + grace <= now;
  const result: ReconcileResult<Node['status']> & { nodeUpdate?: Node } = { actions: [] };
  const conditions = node.status?.conditions ?? [];
  const ready = conditions.find((c) => c.type === 'Ready');

  if (expired && ready?.status !== 'Unknown') {
    const t = stamp(input.now);
    const unknown = (type: string) => ({ type, status: 'Unknown', lastHeartbeatTime: conditions.find((c) => c.type === type)?.lastHeartbeatTime ?? null, lastTransitionTime: t, reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' });
    const types = new Set(['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure', ...conditions.map((c) => c.type)]);
    result.status = { ...(node.status ?? {}), conditions: [...types].map(unknown) };
  }
  // Taints follow the Ready condition: Unknown → unreachable, False → not-ready, True → none.
  const readyStatus = result.status ? 'Unknown' : ready?.status;
  const wantKey = readyStatus === 'Unknown' ? UNREACHABLE_TAINT : readyStatus === 'False' ? NOT_READY_TAINT : undefined;
  const taints = (node.spec?.taints ?? []).filter((t) => t.key !== UNREACHABLE_TAINT && t.key !== NOT_READY_TAINT);
  const kept = (node.spec?.taints ?? []).filter((t) => t.key === wantKey);
  const next = wantKey
    ? [...taints, ...(['NoSchedule', 'NoExecute'] as const).map((effect) => kept.find((t) => t.effect === effect) ?? { key: wantKey, effect, ...(effect === 'NoExecute' ? { timeAdded: stamp(input.now) } : {}) })]
    : taints;
  if (JSON.stringify(next) !== JSON.stringify(node.spec?.taints ?? [])) {
    const updated = structuredClone(node);
    updated.spec = { ...(node.spec ?? {}), taints: next };
    // Go's omitempty: a node with no taints left has no taints field (kubectl shows `<none>`, not `[]`).
    if (next.length === 0) delete updated.spec.taints;
    result.nodeUpdate = updated;
  }

  const waits: (number | undefined)[] = [expired ? undefined : renew + grace - now];
  for (const pod of input.pods) {
    if (pod.metadata.deletionTimestamp) continue;
    const at = evictionTime(pod, next);
    if (at === undefined) continue;
    if (at <= now) {
      result.actions.push({ type: 'delete', ref: refOf(pod), preconditionUid: pod.metadata.uid } satisfies Action);
      continue;
    }
    waits.push(at - now);
    // MarkPodsNotReady: nobody vouches for a pod on a silent node, so Services stop sending it traffic meanwhile.
    const podReady = pod.status?.conditions?.find((c) => c.type === 'Ready');
    if (readyStatus === 'Unknown' && podReady?.status === 'True') {
      const conditions = (pod.status?.conditions ?? []).map((c) => (c.type === 'Ready' ? { ...c, status: 'False', lastTransitionTime: stamp(input.now) } : c));
      result.actions.push({ type: 'patchStatus', ref: refOf(pod), status: { ...pod.status, conditions } });
    }
  }
  const requeue = earliest(...waits);
  if (requeue !== undefined) result.requeueAfterMs = requeue;
  return result;
}
