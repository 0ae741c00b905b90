/**
 * Which cloud controller keys a Node change wakes (called from functions/dispatch/controller-keys.ts; pure, like
 * the rest of dispatch). Heartbeats change none of the views below, so they wake nothing:
 * - load balancers (`loadbalancer` `*`): the set of Ready nodes with an instance changed, so every load balancer's
 *   targets may have to follow;
 * - routes (`route` `vpc`): a node's pod range or instance changed, or a node came or went;
 * - cloud node lifecycle (`cloudnode` <node>): the node stopped being Ready, so its instance may be gone.
 */
import type { Node } from '../../shared/api/kinds/node.ts';
import type { KubeObject } from '../../shared/api/object.ts';
import type { ControllerKey } from '../pipeline/queue-message.ts';
import { BROADCAST_KEYS } from '../pipeline/queue-message.ts';
import { EXCLUDE_FROM_LOAD_BALANCERS_LABEL } from './load-balancer.ts';
import { isNodeReady } from './provider-id.ts';

/** The route controller's one key: the whole VPC (every route table is shared by every node). */
export const ROUTES_KEY = 'vpc';

interface NodeChange {
  name: string;
  oldObject?: KubeObject;
  newObject?: KubeObject;
}

function asNode(obj: KubeObject | undefined): Node | undefined {
  return obj as Node | undefined;
}

function targetView(node: Node | undefined): string | undefined {
  if (!node) return undefined;
  const excluded = node.metadata.labels?.[EXCLUDE_FROM_LOAD_BALANCERS_LABEL] !== undefined;
  return JSON.stringify([isNodeReady(node), node.spec?.providerID ?? null, excluded, Boolean(node.metadata.deletionTimestamp)]);
}

function routeView(node: Node | undefined): string | undefined {
  if (!node) return undefined;
  return JSON.stringify([node.spec?.podCIDR ?? null, node.spec?.providerID ?? null, Boolean(node.metadata.deletionTimestamp)]);
}

export function cloudKeysForNodeChange(change: NodeChange): ControllerKey[] {
  const before = asNode(change.oldObject);
  const after = asNode(change.newObject);
  const keys: ControllerKey[] = [];
  if (targetView(before) !== targetView(after)) keys.push({ controller: 'loadbalancer', key: BROADCAST_KEYS.all });
  if (routeView(before) !== routeView(after)) keys.push({ controller: 'route', key: ROUTES_KEY });
  if (after && !isNodeReady(after) && (!before || isNodeReady(before) || before.spec?.providerID !== after.spec?.providerID)) {
    keys.push({ controller: 'cloudnode', key: change.name });
  }
  return keys;
}
