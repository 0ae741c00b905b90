/**
 * DaemonSet loader: the DaemonSet, every node, and the pods and ControllerRevisions of its namespace →
 * reconcileDaemonSet → applied. Node changes wake the broadcast key (functions/dispatch/controller-keys.ts), which
 * fans out to every DaemonSet, since which sets a node concerns depends on selectors and taints dispatch does not read.
 */
import type { ControllerRevision } from '../../../shared/api/kinds/controllerrevision.ts';
import type { DaemonSet } from '../../../shared/api/kinds/daemonset.ts';
import type { Node } from '../../../shared/api/kinds/node.ts';
import type { Pod } from '../../../shared/api/kinds/pod.ts';
import { reconcileDaemonSet } from '../daemonset.ts';
import { applyResult, splitKey, type ControllerRegistration } from '../runner.ts';

export const daemonSetController: ControllerRegistration = {
  name: 'daemonset',
  resource: 'apps/daemonsets',
  async load(key, env) {
    const { namespace, name } = splitKey(key);
    const daemonSet = await env.api.get<DaemonSet>('apps/daemonsets', namespace, name);
    if (!daemonSet) return;
    const [{ items: nodes }, { items: pods }, { items: revisions }] = await Promise.all([
      env.api.list<Node>('core/nodes'),
      env.api.list<Pod>('core/pods', namespace),
      env.api.list<ControllerRevision>('apps/controllerrevisions', namespace),
    ]);
    // The reconcile orders its actions (revisions before the pods that name them); applyResult keeps that order.
    const result = reconcileDaemonSet({ daemonSet, nodes, pods, revisions, now: env.now() });
    await applyResult(env, result, { controller: 'daemonset', key, owner: daemonSet });
  },
};
