/**
 * Disruption controller (pkg/controller/disruption): keeps a PodDisruptionBudget's status — how many of its pods
 * are expected, healthy and must stay healthy, and so how many may be disrupted now. pods/eviction reads
 * `disruptionsAllowed` and spends it (functions/apiserver/pod-subresources.ts), recording the pod in
 * `disruptedPods`; such a pod no longer counts as healthy here even before its deletion is seen, so a status
 * computed from a slightly older pod list never hands the same disruption out twice. An entry that is not
 * followed by the pod's deletion within DELETION_TIMEOUT_MS is dropped (the eviction's delete failed).
 */
import type { Pod } from '../../shared/api/kinds/pod.ts';
import type { PodDisruptionBudget } from '../../shared/api/kinds/poddisruptionbudget.ts';
import { labelSelectorFromObject, matchesLabels } from '../../shared/labels/label-selector.ts';
import { intOrPercentValue } from '../../shared/api/validation.ts';
import { isPodReady } from './pods.ts';
import type { ReconcileResult } from './types.ts';

/** How long an eviction's entry in disruptedPods waits for the pod's deletion (Kubernetes' DeletionTimeout). */
export const DELETION_TIMEOUT_MS = 2 * 60 * 1000;

export type PdbStatus = NonNullable<PodDisruptionBudget['status']>;

export interface DisruptionInput {
  pdb: PodDisruptionBudget;
  /** Pods of the budget's namespace (the reconcile picks those its selector matches). */
  pods: Pod[];
  /**
   * The replicas the pods' controllers want (sum of their scales: a ReplicaSet's Deployment, a StatefulSet…),
   * needed when the budget is a percentage or maxUnavailable. Undefined when unknown: the matched pods count.
   */
  expectedScale?: number;
  now: Date;
}

/** The pods a budget covers: its namespace's pods its selector matches (policy/v1: `{}` matches every pod). */
export function podsCoveredBy(pdb: PodDisruptionBudget, pods: readonly Pod[]): Pod[] {
  const selector = labelSelectorFromObject(pdb.spec?.selector);
  return pods.filter((p) => p.metadata.namespace === pdb.metadata.namespace && matchesLabels(selector, p.metadata.labels));
}

/** expectedPods and desiredHealthy (getExpectedPodCount). */
export function expectedAndDesired(pdb: PodDisruptionBudget, matched: number, expectedScale: number | undefined): { expectedPods: number; desiredHealthy: number } {
  const spec = pdb.spec ?? {};
  if (spec.maxUnavailable !== undefined) {
    const expectedPods = expectedScale ?? matched;
    return { expectedPods, desiredHealthy: Math.max(0, expectedPods - intOrPercentValue(spec.maxUnavailable, expectedPods, true)) };
  }
  if (typeof spec.minAvailable === 'string') {
    const expectedPods = expectedScale ?? matched;
    return { expectedPods, desiredHealthy: intOrPercentValue(spec.minAvailable, expectedPods, true) };
  }
  return { expectedPods: matched, desiredHealthy: spec.minAvailable ?? 0 };
}

function stamp(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function reconcileDisruptionBudget(input: DisruptionInput): ReconcileResult<PdbStatus> {
  const { pdb, now } = input;
  const pods = podsCoveredBy(pdb, input.pods);
  const byName = new Map(pods.map((p) => [p.metadata.name ?? '', p]));
  const waits: number[] = [];

  // Evictions still waiting for their pod's deletion; deleted (or deleting) pods and timed-out entries drop out.
  const disruptedPods: Record<string, string> = {};
  for (const [name, at] of Object.entries(pdb.status?.disruptedPods ?? {})) {
    const pod = byName.get(name);
    if (!pod || pod.metadata.deletionTimestamp) continue;
    const expires = (Date.parse(at) || 0) + DELETION_TIMEOUT_MS;
    if (expires <= now.getTime()) continue;
    disruptedPods[name] = at;
    waits.push(expires - now.getTime());
  }

  const currentHealthy = pods.filter((p) => !p.metadata.deletionTimestamp && isPodReady(p) && disruptedPods[p.metadata.name ?? ''] === undefined).length;
  const { expectedPods, desiredHealthy } = expectedAndDesired(pdb, pods.length, input.expectedScale);
  const allowed = currentHealthy - desiredHealthy;
  const disruptionsAllowed = expectedPods <= 0 || allowed <= 0 ? 0 : allowed;

  const previous = pdb.status?.conditions?.find((c) => c.type === 'DisruptionAllowed');
  const conditionStatus = disruptionsAllowed > 0 ? 'True' : 'False';
  const condition = {
    type: 'DisruptionAllowed',
    status: conditionStatus,
    observedGeneration: pdb.metadata.generation ?? 1,
    lastTransitionTime: previous?.status === conditionStatus && previous.lastTransitionTime ? previous.lastTransitionTime : stamp(now),
    reason: disruptionsAllowed > 0 ? 'SufficientPods' : 'InsufficientPods',
    message: '',
  };
  const status: PdbStatus = {
    ...(pdb.status ?? {}),
    observedGeneration: pdb.metadata.generation ?? 1,
    disruptionsAllowed,
    currentHealthy,
    desiredHealthy,
    expectedPods,
    conditions: [...(pdb.status?.conditions ?? []).filter((c) => c.type !== 'DisruptionAllowed'), condition],
  };
  if (Object.keys(disruptedPods).length) status.disruptedPods = disruptedPods;
  else delete status.disruptedPods;

  const result: ReconcileResult<PdbStatus> = { actions: [] };
  if (JSON.stringify(status) !== JSON.stringify(pdb.status ?? {})) result.status = status;
  if (waits.length) result.requeueAfterMs = Math.min(...waits);
  return result;
}
