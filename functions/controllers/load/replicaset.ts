/** ReplicaSet loader: the ReplicaSet and the pods of its namespace → reconcileReplicaSet → applied. */
import type { Pod } from '../../../shared/api/kinds/pod.ts';
import type { ReplicaSet } from '../../../shared/api/kinds/replicaset.ts';
import { reconcileReplicaSet } from '../replicaset.ts';
import { applyResult, splitKey, type ControllerRegistration } from '../runner.ts';

export const replicaSetController: ControllerRegistration = {
  name: 'replicaset',
  resource: 'apps/replicasets',
  async load(key, env) {
    const { namespace, name } = splitKey(key);
    const replicaSet = await env.api.get<ReplicaSet>('apps/replicasets', namespace, name);
    if (!replicaSet) return;
    const { items: pods } = await env.api.list<Pod>('core/pods', namespace);
    const result = reconcileReplicaSet({ replicaSet, pods, now: env.now() });
    await applyResult(env, result, { controller: 'replicaset', key, owner: replicaSet });
  },
};
