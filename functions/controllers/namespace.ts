/**
 * Namespace deletion (pkg/controller/namespace): a Terminating namespace has everything inside deleted;
 * once nothing is left, the `kubernetes` finalizer is removed from spec.finalizers (the namespace's finalize
 * subresource) and the store deletes it. Conditions report what remains, as `kubectl describe ns` shows.
 */
import type { Namespace } from '../../shared/api/kinds/namespace.ts';
import type { KubeObject } from '../../shared/api/object.ts';
import { refOf, type Action, type ReconcileResult } from './types.ts';

export const KUBERNETES_FINALIZER = 'kubernetes';

export interface NamespaceInput {
  namespace: Namespace | undefined;
  /** Every object still in the namespace, of every namespaced kind. */
  contents: KubeObject[];
  now: Date;
}

export function reconcileNamespace(input: NamespaceInput): ReconcileResult<Namespace['status']> & { finalize?: Namespace } {
  const ns = input.namespace;
  if (!ns || !ns.metadata.deletionTimestamp) return { actions: [] };
  const actions: Action[] = [];
  for (const obj of input.contents) {
    if (!obj.metadata.deletionTimestamp) actions.push({ type: 'delete', ref: refOf(obj), preconditionUid: obj.metadata.uid, propagationPolicy: 'Background' });
  }
  const t = input.now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const remaining = input.contents.length;
  const finalizersLeft = input.contents.filter((o) => (o.metadata.finalizers ?? []).length > 0);
  const conditions = [
    { type: 'NamespaceContentRemaining', status: remaining ? 'True' : 'False', lastTransitionTime: t, reason: remaining ? 'SomeResourcesRemain' : 'ContentRemoved', message: remaining ? `Some resources are remaining: ${summarize(input.contents)}` : 'All content successfully removed' },
    { type: 'NamespaceFinalizersRemaining', status: finalizersLeft.length ? 'True' : 'False', lastTransitionTime: t, reason: finalizersLeft.length ? 'SomeFinalizersRemain' : 'ContentHasNoFinalizers', message: finalizersLeft.length ? `Some content in the namespace has finalizers remaining: ${[...new Set(finalizersLeft.flatMap((o) => o.metadata.finalizers!))].sort().map((f) => `${f} in ${finalizersLeft.filter((o) => o.metadata.finalizers!.includes(f)).length} resource instances`).join(', ')}` : 'All content-preserving finalizers finished' },
  ];
  const status = { phase: 'Terminating', conditions };
  const sameConditions = JSON.stringify((ns.status?.conditions ?? []).map((c) => [c.type, c.status, c.message])) === JSON.stringify(conditions.map((c) => [c.type, c.status, c.message]));
  const result: ReconcileResult<Namespace['status']> & { finalize?: Namespace } = { actions, ...(sameConditions && ns.status?.phase === 'Terminating' ? {} : { status }) };
  if (remaining === 0) {
    const finalized = structuredClone(ns);
    finalized.spec = { ...(ns.spec ?? {}), finalizers: (ns.spec?.finalizers ?? []).filter((f) => f !== KUBERNETES_FINALIZER) };
    result.finalize = finalized;
  } else {
    result.requeueAfterMs = 1000;
  }
  return result;
}

function summarize(objs: KubeObject[]): string {
  const counts = new Map<string, number>();
  for (const o of objs) {
    const group = o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : '';
    const key = `${o.kind.toLowerCase()}s${group ? `.${group}` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k} has ${n} resource instances`).join(', ');
}
