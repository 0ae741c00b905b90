/** NodeUnschedulable: a cordoned node takes no new pods unless the pod tolerates the unschedulable taint. */
import type { NodeInfo, PodInfo } from '../node-info.ts';
import { tolerates } from './taint-toleration.ts';
import type { FilterResult } from './filter.ts';

export const UNSCHEDULABLE_TAINT = 'node.kubernetes.io/unschedulable';
export const REASON_UNSCHEDULABLE = 'node(s) were unschedulable';

export function nodeUnschedulable(pod: PodInfo, node: NodeInfo): FilterResult {
  if (!node.node.spec?.unschedulable) return { ok: true };
  if (tolerates(pod.tolerations, { key: UNSCHEDULABLE_TAINT, effect: 'NoSchedule' })) return { ok: true };
  return { ok: false, reasons: [REASON_UNSCHEDULABLE] };
}
