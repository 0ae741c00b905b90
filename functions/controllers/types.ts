/**
 * The shape every controller follows (style.md §3): a pure `reconcile(input) → ReconcileResult`. A thin runner
 * loads the owner and what it observes by key, applies the actions through the API in order, writes `status`
 * only when present (it is only present when it changed), records the events and requeues after
 * `requeueAfterMs` for time-driven work (minReadySeconds, deadlines, tolerations, schedules).
 */
import type { KubeObject } from '../../shared/api/object.ts';

/** Names one object for delete/status actions and events. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
}

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

export type Action =
  /** Create the object (metadata.generateName may stand in for a name). */
  | { type: 'create'; object: KubeObject }
  /** Replace the object; its metadata.resourceVersion is the precondition (a Conflict means: reconcile again). */
  | { type: 'update'; object: KubeObject }
  /** Delete; `preconditionUid` makes sure a same-named successor is not deleted by mistake. */
  | { type: 'delete'; ref: ObjectRef; preconditionUid?: string; propagationPolicy?: PropagationPolicy }
  /** Write another object's status subresource (e.g. a Pod's condition, a Node's Ready condition). */
  | { type: 'patchStatus'; ref: ObjectRef; status: unknown }
  /** Evict a pod through the eviction subresource (honours PodDisruptionBudgets). */
  | { type: 'evict'; ref: ObjectRef };

export interface EventSpec {
  regarding: ObjectRef;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface ReconcileResult<S = unknown> {
  actions: Action[];
  /** The owner's new status, only when it differs from the stored one. */
  status?: S;
  requeueAfterMs?: number;
  events?: EventSpec[];
}

export function refOf(obj: KubeObject): ObjectRef {
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    ...(obj.metadata.namespace !== undefined ? { namespace: obj.metadata.namespace } : {}),
    name: obj.metadata.name ?? '',
    ...(obj.metadata.uid !== undefined ? { uid: obj.metadata.uid } : {}),
  };
}

/** The earliest of several optional requeue delays. */
export function earliest(...delays: (number | undefined)[]): number | undefined {
  const set = delays.filter((d): d is number => d !== undefined && d >= 0);
  return set.length ? Math.min(...set) : undefined;
}
