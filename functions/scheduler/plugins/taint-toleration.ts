/**
 * TaintToleration: NoSchedule/NoExecute taints must be tolerated. A node whose Ready condition is not True
 * counts as carrying the not-ready (False) or unreachable (Unknown) NoSchedule taint even before the node
 * lifecycle controller has written it, so a pod never lands on a node that just went away.
 */
import type { Node } from '../../../shared/api/kinds/node.ts';
import type { Toleration } from '../../../shared/api/kinds/pod-spec.ts';
import type { NodeInfo, PodInfo } from '../node-info.ts';
import type { FilterResult } from './filter.ts';

export interface Taint {
  key: string;
  value?: string;
  effect: string;
}

export const NOT_READY_TAINT = 'node.kubernetes.io/not-ready';
export const UNREACHABLE_TAINT = 'node.kubernetes.io/unreachable';

/** v1.Toleration.ToleratesTaint. */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  if (!t.key && t.operator !== 'Exists') return false;
  if (t.operator === 'Exists') return true;
  return (t.value ?? '') === (taint.value ?? '');
}

export function tolerates(tolerations: Toleration[], taint: Taint): boolean {
  return tolerations.some((t) => toleratesTaint(t, taint));
}

/** The node's taints plus the implicit readiness taint. */
export function effectiveTaints(node: Node): Taint[] {
  const taints: Taint[] = [...(node.spec?.taints ?? [])];
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status !== 'True') {
    const key = ready?.status === 'Unknown' ? UNREACHABLE_TAINT : NOT_READY_TAINT;
    if (!taints.some((t) => t.key === key && t.effect === 'NoSchedule')) taints.push({ key, effect: 'NoSchedule' });
  }
  return taints;
}

export function taintToleration(pod: PodInfo, node: NodeInfo): FilterResult {
  for (const taint of effectiveTaints(node.node)) {
    if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
    if (!tolerates(pod.tolerations, taint)) {
      return { ok: false, reasons: [`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`] };
    }
  }
  return { ok: true };
}
