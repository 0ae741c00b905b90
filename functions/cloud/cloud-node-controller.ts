/** Cloud node lifecycle runner: key = a Node's name; EC2 says whether its instance lives (cloud-node.ts decides). */
import type { Node } from '../../shared/api/kinds/node.ts';
import { applyResult, type ControllerRegistration } from '../controllers/runner.ts';
import { reconcileCloudNode } from './cloud-node.ts';
import type { Ec2Port } from './ec2-port.ts';
import { instanceOf, isNodeReady } from './provider-id.ts';

export function cloudNodeController(ec2: Ec2Port): ControllerRegistration {
  return {
    name: 'cloudnode',
    resource: 'core/nodes',
    async load(name, env) {
      const node = await env.api.get<Node>('core/nodes', '', name);
      const ref = node && instanceOf(node);
      // A Ready node is not looked up at all: the resync then costs no EC2 call for a healthy cluster.
      if (!node || !ref || isNodeReady(node)) return;
      const [instance] = await ec2.describeInstances([ref.instanceId]);
      await applyResult({ ...env, component: 'cloud-node-lifecycle-controller' }, reconcileCloudNode({ node, instance }), { controller: 'cloudnode', key: name });
    },
  };
}
