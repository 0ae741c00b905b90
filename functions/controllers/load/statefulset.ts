/**
 * StatefulSet loader: the StatefulSet and the pods, PersistentVolumeClaims and ControllerRevisions of its
 * namespace → reconcileStatefulSet → applied. The reconcile orders revisions before pods and a pod's claims before
 * the pod. A pod create that meets AlreadyExists (a same-named pod from an earlier, half-applied reconcile or one
 * still terminating) is retried from fresh state like a Conflict (retryOnConflict in the runner).
 */
import type { ControllerRevision } from '../../../shared/api/kinds/controllerrevision.ts';
import type { PersistentVolumeClaim } from '../../../shared/api/kinds/persistentvolumeclaim.ts';
import type { Pod } from '../../../shared/api/kinds/pod.ts';
import type { StatefulSet } from '../../../shared/api/kinds/statefulset.ts';
import { reconcileStatefulSet } from '../statefulset.ts';
import { applyResult, splitKey, type ControllerRegistration } from '../runner.ts';

export const statefulSetController: ControllerRegistration = {
  name: 'statefulset',
  resource: 'apps/statefulsets',
  async load(key, env) {
    const { namespace, name } = splitKey(key);
    const statefulSet = await env.api.get<StatefulSet>('apps/statefulsets', namespace, name);
    if (!statefulSet) return;
    const [{ items: pods }, { items: pvcs }, { items: revisions }] = await Promise.all([
      env.api.list<Pod>('core/pods', namespace),
      // Only sets with claim templates look at claims.
      statefulSet.spec.volumeClaimTemplates?.length
        ? env.api.list<PersistentVolumeClaim>('core/persistentvolumeclaims', namespace)
        : Promise.resolve({ items: [] as PersistentVolumeClaim[] }),
      env.api.list<ControllerRevision>('apps/controllerrevisions', namespace),
    ]);
    const result = reconcileStatefulSet({ statefulSet, pods, pvcs, revisions, now: env.now() });
    await applyResult(env, result, { controller: 'statefulset', key, owner: statefulSet });
  },
};
