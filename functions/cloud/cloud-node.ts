/**
 * Cloud node lifecycle (Kubernetes' cloud-node-lifecycle controller), pure: a Node whose EC2 instance is terminated
 * or no longer exists is deleted, so its pods are rescheduled and nothing keeps routing to it. Only a Node that is
 * not Ready is considered, as Kubernetes does: a Ready node is evidently alive, and EC2's eventually consistent
 * DescribeInstances may not show an instance that launched seconds ago.
 */
import type { Node } from '../../shared/api/kinds/node.ts';
import { refOf, type ReconcileResult } from '../controllers/types.ts';
import type { InstanceInfo } from './ec2-port.ts';
import { instanceOf, isNodeReady } from './provider-id.ts';

export interface CloudNodeInput {
  node: Node | undefined;
  /** The node's instance as EC2 describes it; undefined when EC2 does not know it. */
  instance: InstanceInfo | undefined;
}

export function reconcileCloudNode(input: CloudNodeInput): ReconcileResult {
  const node = input.node;
  if (!node || node.metadata.deletionTimestamp || isNodeReady(node)) return { actions: [] };
  const ref = instanceOf(node);
  if (!ref) return { actions: [] };
  const gone = !input.instance ? 'does not exist' : input.instance.state === 'terminated' ? 'is terminated' : undefined;
  if (!gone) return { actions: [] };
  return {
    actions: [{ type: 'delete', ref: refOf(node), preconditionUid: node.metadata.uid }],
    events: [{ regarding: refOf(node), type: 'Normal', reason: 'DeletingNode', message: `Deleting node ${node.metadata.name} because its instance ${ref.instanceId} ${gone}` }],
  };
}
