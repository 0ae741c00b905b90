/** Object builders for the cloud controller tests. */
import type { Node } from '../../../shared/api/kinds/node.ts';
import type { Service } from '../../../shared/api/kinds/service.ts';

export interface CloudNodeOptions {
  name: string;
  instanceId?: string;
  zone?: string;
  ready?: 'True' | 'False' | 'Unknown';
  podCIDR?: string;
  labels?: Record<string, string>;
  deleting?: boolean;
}

export function cloudNode(o: CloudNodeOptions): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: o.name,
      uid: `uid-${o.name}`,
      ...(o.labels ? { labels: o.labels } : {}),
      ...(o.deleting ? { deletionTimestamp: '2025-01-01T00:00:00Z' } : {}),
    },
    spec: {
      ...(o.instanceId ? { providerID: `aws:///${o.zone ?? 'eu-west-1a'}/${o.instanceId}` } : {}),
      ...(o.podCIDR ? { podCIDR: o.podCIDR, podCIDRs: [o.podCIDR] } : {}),
    },
    status: { conditions: [{ type: 'Ready', status: o.ready ?? 'True' }] },
  };
}

export interface LbServiceOptions {
  name?: string;
  type?: string;
  ports?: NonNullable<Service['spec']>['ports'];
  finalizer?: boolean;
  deleting?: boolean;
  ingress?: { ip?: string; hostname?: string }[];
  scheme?: string;
  loadBalancerClass?: string;
}

export const DEFAULT_PORTS = [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080, nodePort: 30080 }];

export function lbService(o: LbServiceOptions = {}): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: o.name ?? 'web',
      namespace: 'default',
      uid: 'uid-web',
      resourceVersion: '7',
      ...(o.scheme ? { annotations: { 'service.beta.kubernetes.io/aws-load-balancer-scheme': o.scheme } } : {}),
      ...(o.finalizer ? { finalizers: ['service.kubernetes.io/load-balancer-cleanup'] } : {}),
      ...(o.deleting ? { deletionTimestamp: '2025-01-01T00:00:00Z' } : {}),
    },
    spec: {
      type: o.type ?? 'LoadBalancer',
      ports: o.ports ?? DEFAULT_PORTS,
      selector: { app: 'web' },
      ...(o.loadBalancerClass ? { loadBalancerClass: o.loadBalancerClass } : {}),
    },
    ...(o.ingress ? { status: { loadBalancer: { ingress: o.ingress } } } : {}),
  };
}
