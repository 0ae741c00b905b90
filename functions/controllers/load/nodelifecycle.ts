/** Node lifecycle loader: the Node, its Lease in kube-node-lease and the pods bound to it → reconcileNodeLifecycle. */
import type { Lease } from '../../../shared/api/kinds/lease.ts';
import type { Node } from '../../../shared/api/kinds/node.ts';
import type { Pod } from '../../../shared/api/kinds/pod.ts';
import { reconcileNodeLifecycle } from '../nodelifecycle.ts';
import { applyResult, type ControllerRegistration } from '../runner.ts';

export interface NodeLifecycleSettings {
  /** Seconds without a lease renewal before a node is NotReady (Unknown). Default 40. */
  gracePeriodSeconds?: number;
}

export function nodeLifecycleController(settings: NodeLifecycleSettings = {}): ControllerRegistration {
  return {
    name: 'nodelifecycle',
    resource: 'core/nodes',
    async load(name, env) {
      const node = await env.api.get<Node>('core/nodes', '', name);
      if (!node) return;
      const lease = await env.api.get<Lease>('coordination.k8s.io/leases', 'kube-node-lease', name);
      const input = { node, lease, now: env.now(), gracePeriodSeconds: settings.gracePeriodSeconds };
      // Pods matter only for NoExecute taints (evictions); a healthy node's periodic check lists none.
      let result = reconcileNodeLifecycle({ ...input, pods: [] });
      const taints = (result.nodeUpdate ?? node).spec?.taints ?? [];
      if (taints.some((t) => t.effect === 'NoExecute')) {
        const pods = await env.api.list<Pod>('core/pods', undefined, (p) => (p as Pod).spec?.nodeName === name);
        result = reconcileNodeLifecycle({ ...input, pods: pods.items });
      }
      const { nodeUpdate, ...rest } = result;
      if (nodeUpdate) await env.api.update(nodeUpdate);
      const owner = nodeUpdate ? await env.api.get<Node>('core/nodes', '', name) : node;
      await applyResult(env, rest, { controller: 'nodelifecycle', key: name, owner });
    },
  };
}
