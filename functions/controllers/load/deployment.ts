/** Deployment loader: the Deployment, the ReplicaSets and pods of its namespace → reconcileDeployment → applied. */
import type { Deployment } from '../../../shared/api/kinds/deployment.ts';
import type { Pod } from '../../../shared/api/kinds/pod.ts';
import type { ReplicaSet } from '../../../shared/api/kinds/replicaset.ts';
import { reconcileDeployment } from '../deployment.ts';
import { applyResult, splitKey, type ControllerRegistration } from '../runner.ts';

export const deploymentController: ControllerRegistration = {
  name: 'deployment',
  resource: 'apps/deployments',
  async load(key, env) {
    const { namespace, name } = splitKey(key);
    const deployment = await env.api.get<Deployment>('apps/deployments', namespace, name);
    if (!deployment) return;
    const [{ items: replicaSets }, { items: pods }] = await Promise.all([
      env.api.list<ReplicaSet>('apps/replicasets', namespace),
      // Only Recreate reads pods (it waits for the old ones to be gone).
      deployment.spec.strategy?.type === 'Recreate' ? env.api.list<Pod>('core/pods', namespace) : Promise.resolve({ items: [] as Pod[] }),
    ]);
    const result = reconcileDeployment({ deployment, replicaSets, pods, now: env.now() });
    await applyResult(env, result, { controller: 'deployment', key, owner: deployment });
  },
};
