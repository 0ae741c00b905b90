/**
 * Disruption loader. Keys are namespaces (functions/dispatch/controller-keys.ts): a pod that starts or stops
 * matching a budget can only be seen by recomputing every budget of its namespace, and one key per namespace
 * keeps every PodDisruptionBudget status write of a namespace in one reconcile at a time (evictions write it too,
 * conditionally on its resourceVersion, so they never lose an update). A `namespace/name` key reconciles the
 * budget's namespace.
 *
 * The expected scale (for percentages and maxUnavailable) is the sum of the pods' controllers' replicas, found
 * the way Kubernetes' finders do: a ReplicaSet's Deployment, else the ReplicaSet; a StatefulSet; other
 * controllers count the pods they own.
 */
import type { Deployment } from '../../../shared/api/kinds/deployment.ts';
import type { Pod } from '../../../shared/api/kinds/pod.ts';
import type { PodDisruptionBudget } from '../../../shared/api/kinds/poddisruptionbudget.ts';
import type { ReplicaSet } from '../../../shared/api/kinds/replicaset.ts';
import type { StatefulSet } from '../../../shared/api/kinds/statefulset.ts';
import type { OwnerReference } from '../../../shared/api/object.ts';
import { podsCoveredBy, reconcileDisruptionBudget } from '../disruption.ts';
import { applyResult, splitKey, type ControllerRegistration, type RunnerEnv } from '../runner.ts';

const controllerOf = (pod: Pod): OwnerReference | undefined => pod.metadata.ownerReferences?.find((r) => r.controller === true);

/** Sum of the replicas the pods' controllers want; undefined when a pod has no controller. */
async function expectedScale(env: RunnerEnv, namespace: string, pods: Pod[]): Promise<number | undefined> {
  const scales = new Map<string, number>();
  for (const pod of pods) {
    const ref = controllerOf(pod);
    if (!ref) return undefined;
    if (scales.has(ref.uid)) continue;
    if (ref.kind === 'ReplicaSet') {
      const rs = await env.api.get<ReplicaSet>('apps/replicasets', namespace, ref.name);
      const owner = rs?.metadata.ownerReferences?.find((r) => r.controller === true && r.kind === 'Deployment');
      const deployment = owner ? await env.api.get<Deployment>('apps/deployments', namespace, owner.name) : undefined;
      // Several ReplicaSets of one Deployment (mid-rollout) share its scale once.
      const key = deployment?.metadata.uid ?? ref.uid;
      if (!scales.has(key)) scales.set(key, deployment ? (deployment.spec?.replicas ?? 1) : (rs?.spec?.replicas ?? 1));
      scales.set(ref.uid, 0);
    } else if (ref.kind === 'StatefulSet') {
      const sts = await env.api.get<StatefulSet>('apps/statefulsets', namespace, ref.name);
      scales.set(ref.uid, sts?.spec?.replicas ?? 1);
    } else {
      scales.set(ref.uid, pods.filter((p) => controllerOf(p)?.uid === ref.uid).length);
    }
  }
  return [...scales.values()].reduce((a, b) => a + b, 0);
}

export const disruptionController: ControllerRegistration = {
  name: 'disruption',
  async load(key, env) {
    const namespace = key.includes('/') ? splitKey(key).namespace : key;
    const { items: budgets } = await env.api.list<PodDisruptionBudget>('policy/poddisruptionbudgets', namespace);
    if (budgets.length === 0) return;
    const { items: pods } = await env.api.list<Pod>('core/pods', namespace);
    for (const pdb of budgets) {
      const covered = podsCoveredBy(pdb, pods);
      const needsScale = pdb.spec?.maxUnavailable !== undefined || typeof pdb.spec?.minAvailable === 'string';
      const scale = needsScale ? await expectedScale(env, namespace, covered) : undefined;
      const result = reconcileDisruptionBudget({ pdb, pods: covered, expectedScale: scale, now: env.now() });
      await applyResult(env, result, { controller: 'disruption', key: namespace, owner: pdb });
    }
  },
};
