/**
 * Pod routes in the VPC (Kubernetes' route controller), pure: every Node with a pod range (spec.podCIDR) and a
 * live instance gets a route `podCIDR → instance` in each of the cluster's route tables, so pods on different nodes
 * reach each other without an overlay; the instance must not drop packets for addresses that are not its own
 * (source/destination check off). Routes inside the cluster's pod range that no Node claims any more are removed.
 * Routes outside the pod range (local, internet gateway, anything an operator added) are never touched.
 */
import type { Node } from '../../shared/api/kinds/node.ts';
import type { InstanceInfo, RouteTableInfo } from './ec2-port.ts';
import { instanceOf } from './provider-id.ts';

export interface RoutesInput {
  nodes: Node[];
  /** EC2's view of the nodes' instances (absent: unknown to EC2). */
  instances: InstanceInfo[];
  tables: RouteTableInfo[];
  /** The cluster's pod range; node ranges are slices of it. */
  clusterPodCidr: string;
}

export type RouteStep =
  | { type: 'createRoute' | 'replaceRoute'; routeTableId: string; destinationCidr: string; instanceId: string }
  | { type: 'deleteRoute'; routeTableId: string; destinationCidr: string }
  | { type: 'disableSourceDestCheck'; instanceId: string };

interface Ipv4Range {
  base: number;
  bits: number;
}

export function parseIpv4Cidr(text: string): Ipv4Range | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text.trim());
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const bits = Number(m[5]);
  if (octets.some((o) => o > 255) || bits > 32) return undefined;
  const ip = octets.reduce((n, o) => n * 256 + o, 0);
  const size = 2 ** (32 - bits);
  return { base: ip - (ip % size), bits };
}

/** Whether `inner` lies wholly inside `outer`. */
export function cidrWithin(inner: string, outer: string): boolean {
  const a = parseIpv4Cidr(inner);
  const b = parseIpv4Cidr(outer);
  if (!a || !b || a.bits < b.bits) return false;
  const size = 2 ** (32 - b.bits);
  return a.base - (a.base % size) === b.base;
}

/** podCIDR → instance id for the Nodes that should have a route. */
export function desiredRoutes(nodes: Node[], instances: InstanceInfo[], clusterPodCidr: string): Map<string, string> {
  const live = new Set(instances.filter((i) => i.state !== 'terminated' && i.state !== 'shutting-down').map((i) => i.instanceId));
  const out = new Map<string, string>();
  for (const node of [...nodes].sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))) {
    const cidr = node.spec?.podCIDR;
    const ref = instanceOf(node);
    if (node.metadata.deletionTimestamp || !cidr || !ref || !live.has(ref.instanceId)) continue;
    // A range outside the cluster's would let a Node object steer arbitrary VPC traffic; the delete side could
    // never clean it up either.
    if (!cidrWithin(cidr, clusterPodCidr) || out.has(cidr)) continue;
    out.set(cidr, ref.instanceId);
  }
  return out;
}

export function planRoutes(input: RoutesInput): RouteStep[] {
  const want = desiredRoutes(input.nodes, input.instances, input.clusterPodCidr);
  const steps: RouteStep[] = [];
  for (const table of input.tables) {
    const have = new Map(table.routes.map((r) => [r.destinationCidr, r]));
    for (const [cidr, instanceId] of want) {
      const route = have.get(cidr);
      if (!route) steps.push({ type: 'createRoute', routeTableId: table.routeTableId, destinationCidr: cidr, instanceId });
      else if (route.instanceId !== instanceId || route.state === 'blackhole') steps.push({ type: 'replaceRoute', routeTableId: table.routeTableId, destinationCidr: cidr, instanceId });
    }
    for (const route of table.routes) {
      if (!want.has(route.destinationCidr) && cidrWithin(route.destinationCidr, input.clusterPodCidr)) {
        steps.push({ type: 'deleteRoute', routeTableId: table.routeTableId, destinationCidr: route.destinationCidr });
      }
    }
  }
  const routed = new Set(want.values());
  for (const instance of input.instances) {
    if (routed.has(instance.instanceId) && instance.sourceDestCheck) steps.push({ type: 'disableSourceDestCheck', instanceId: instance.instanceId });
  }
  return steps;
}
