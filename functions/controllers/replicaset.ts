/**
 * ReplicaSet controller (pkg/controller/replicaset): keep `spec.replicas` active pods matching the selector.
 * Adopts matching orphans, releases pods that stopped matching, creates pods from the template and, when there
 * are too many, deletes the least valuable first (unscheduled, pending, not ready, newest).
 */
import type { Pod } from '../../shared/api/kinds/pod.ts';
import type { ReplicaSet } from '../../shared/api/kinds/replicaset.ts';
import type { KubeObject } from '../../shared/api/object.ts';
import { canonicalJson } from '../../shared/api/validation.ts';
import { claim, ownerReferenceTo } from './ownership.ts';
import { isPodActive, isPodAvailable, isPodReady, isPodTerminating, msUntilAvailable, podCondition } from './pods.ts';
import { refOf, type Action, type EventSpec, type ReconcileResult } from './types.ts';

export type ReplicaSetStatus = NonNullable<ReplicaSet['status']>;

export interface ReplicaSetInput {
  /** The ReplicaSet, or undefined when it is gone (its pods are the garbage collector's). */
  replicaSet: ReplicaSet | undefined;
  /** Pods in the ReplicaSet's namespace (at least those matching its selector or controlled by it). */
  pods: Pod[];
  now: Date;
}

/** A pod built from a template for an owner (controller.GetPodFromTemplate). */
export function podFromTemplate(
  owner: KubeObject,
  template: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; finalizers?: string[] }; spec: Pod['spec'] },
  naming: { name: string } | { generateName: string },
): Pod {
  const meta = template.metadata ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...naming,
      namespace: owner.metadata.namespace,
      ...(meta.labels ? { labels: { ...meta.labels } } : {}),
      ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
      ...(meta.finalizers ? { finalizers: [...meta.finalizers] } : {}),
      ownerReferences: [ownerReferenceTo(owner)],
    },
    spec: structuredClone(template.spec),
  };
}

function creationTime(obj: KubeObject): number {
  return obj.metadata.creationTimestamp ? Date.parse(obj.metadata.creationTimestamp) : 0;
}

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/**
 * Deletion preference (controller.ActivePods ordering): unassigned before assigned, Pending before Unknown
 * before Running, not ready before ready, more of its siblings on the same node first, lower
 * pod-deletion-cost first, ready for less time first, more restarts first, newer first.
 */
export function comparePodsForDeletion(a: Pod, b: Pod, siblingsOnNode: (p: Pod) => number): number {
  const assigned = (p: Pod) => (p.spec.nodeName ? 1 : 0);
  if (assigned(a) !== assigned(b)) return assigned(a) - assigned(b);
  const phase = (p: Pod) => PHASE_RANK[p.status?.phase ?? 'Pending'] ?? 0;
  if (phase(a) !== phase(b)) return phase(a) - phase(b);
  const ready = (p: Pod) => (isPodReady(p) ? 1 : 0);
  if (ready(a) !== ready(b)) return ready(a) - ready(b);
  if (siblingsOnNode(a) !== siblingsOnNode(b)) return siblingsOnNode(b) - siblingsOnNode(a);
  const cost = (p: Pod) => Number(p.metadata.annotations?.['controller.kubernetes.io/pod-deletion-cost'] ?? 0) || 0;
  if (cost(a) !== cost(b)) return cost(a) - cost(b);
  if (ready(a) && ready(b)) {
    const since = (p: Pod) => Date.parse(podCondition(p, 'Ready')?.lastTransitionTime ?? '') || 0;
    if (since(a) !== since(b)) return since(b) - since(a);
  }
  const restarts = (p: Pod) => (p.status?.containerStatuses ?? []).reduce((n, c) => n + c.restartCount, 0);
  if (restarts(a) !== restarts(b)) return restarts(b) - restarts(a);
  return creationTime(b) - creationTime(a);
}

/** The `count` pods to delete first. */
export function podsToDelete(pods: Pod[], count: number): Pod[] {
  const perNode = new Map<string, number>();
  for (const p of pods) if (p.spec.nodeName) perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + 1);
  const siblings = (p: Pod) => (p.spec.nodeName ? (perNode.get(p.spec.nodeName) ?? 0) : 0);
  return [...pods].sort((a, b) => comparePodsForDeletion(a, b, siblings)).slice(0, Math.max(0, count));
}

function hasAllLabels(pod: Pod, labels: Record<string, string> | undefined): boolean {
  const have = pod.metadata.labels ?? {};
  return Object.entries(labels ?? {}).every(([k, v]) => have[k] === v);
}

/** The status the pods imply (calculateStatus), keeping conditions as they are. */
export function computeReplicaSetStatus(rs: ReplicaSet, owned: Pod[], now: Date): ReplicaSetStatus {
  const active = owned.filter(isPodActive);
  const minReady = rs.spec.minReadySeconds ?? 0;
  const status: ReplicaSetStatus = {
    replicas: active.length,
    fullyLabeledReplicas: active.filter((p) => hasAllLabels(p, rs.spec.template?.metadata?.labels)).length,
    readyReplicas: active.filter(isPodReady).length,
    availableReplicas: active.filter((p) => isPodAvailable(p, minReady, now)).length,
    terminatingReplicas: owned.filter(isPodTerminating).length,
    observedGeneration: rs.metadata.generation ?? 0,
  };
  if (rs.status?.conditions?.length) status.conditions = rs.status.conditions;
  return status;
}

export function statusChanged<S>(old: S | undefined, next: S): boolean {
  return canonicalJson(old ?? {}) !== canonicalJson(next);
}

export function reconcileReplicaSet(input: ReplicaSetInput): ReconcileResult<ReplicaSetStatus> {
  const rs = input.replicaSet;
  if (!rs) return { actions: [] };
  const { owned, actions } = claim(rs, rs.spec.selector, input.pods);
  const events: EventSpec[] = [];
  const active = owned.filter(isPodActive);
  const want = rs.spec.replicas ?? 1;
  const diff = active.length - want;
  if (!rs.metadata.deletionTimestamp && rs.spec.template) {
    if (diff < 0) {
      for (let i = 0; i < -diff; i++) {
        actions.push({ type: 'create', object: podFromTemplate(rs, rs.spec.template, { generateName: `${rs.metadata.name}-` }) });
      }
    } else if (diff > 0) {
      for (const pod of podsToDelete(active, diff)) {
        actions.push({ type: 'delete', ref: refOf(pod), preconditionUid: pod.metadata.uid });
        events.push({ regarding: refOf(rs), type: 'Normal', reason: 'SuccessfulDelete', message: `Deleted pod: ${pod.metadata.name}` });
      }
    }
  }
  // The status describes the pods as they are once this reconcile's deletions land, so that a Deployment never
  // counts a pod being deleted as available (which would let a rollout scale old pods down too far).
  const deleting = new Set(actions.flatMap((a) => (a.type === 'delete' ? [a.preconditionUid] : [])));
  const afterActions = owned.map((p) => (deleting.has(p.metadata.uid) ? { ...p, metadata: { ...p.metadata, deletionTimestamp: input.now.toISOString() } } : p));
  const status = computeReplicaSetStatus(rs, afterActions, input.now);
  const minReady = rs.spec.minReadySeconds ?? 0;
  const waits = active.map((p) => msUntilAvailable(p, minReady, input.now)).filter((w): w is number => w !== undefined);
  return {
    actions,
    ...(statusChanged(rs.status, status) ? { status } : {}),
    ...(waits.length ? { requeueAfterMs: Math.min(...waits) } : {}),
    ...(events.length ? { events } : {}),
  };
}
