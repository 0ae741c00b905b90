/**
 * The port between the LoadBalancer Service controller and whatever provides load balancers: ELBv2 network load
 * balancers on AWS (aws/elbv2-load-balancers.ts), TCP forwarders on 127.0.0.1 locally (local/load-balancer.ts).
 * The controller decides what should exist (load-balancer.ts, pure); a provider only makes it so.
 *
 * Contract: every method is idempotent and level-based. ensure() converges one Service's load balancer on the spec
 * (creating, changing or removing listeners and targets) and returns the ingress points; delete() resolves only
 * once nothing of the Service's load balancer is left (it throws while something still is, so the caller retries
 * and keeps its finalizer); list() names every load balancer the provider holds for this cluster, so a resync can
 * remove those whose Service is gone without having run the finalizer.
 */

/** Which Service a load balancer belongs to. The uid tells a Service from a same-named successor. */
export interface ServiceIdentity {
  namespace: string;
  name: string;
  uid: string;
}

export type LoadBalancerScheme = 'internet-facing' | 'internal';

export interface LoadBalancerPort {
  /** The Service port's name ('' when it has a single unnamed port). */
  name: string;
  protocol: 'TCP' | 'UDP';
  /** What clients connect to on the load balancer. */
  port: number;
  /** Where the load balancer reaches the Service on every node. */
  nodePort: number;
  /** The Service port's targetPort (a number or a container port name), for providers that reach pods directly. */
  targetPort: number | string;
}

/** A node that receives load-balanced traffic (Ready, with an instance). */
export interface LoadBalancerTarget {
  nodeName: string;
  instanceId: string;
  zone: string;
}

export interface LoadBalancerSpec {
  service: ServiceIdentity;
  scheme: LoadBalancerScheme;
  /** Sorted by port; never empty. */
  ports: LoadBalancerPort[];
  /** Sorted by instance id; may be empty (the load balancer then exists with no healthy target). */
  targets: LoadBalancerTarget[];
}

/** One entry of status.loadBalancer.ingress. */
export interface LoadBalancerIngress {
  ip?: string;
  hostname?: string;
  /** The ports served at this ingress point when they are not the Service's own (local forwarders). */
  ports?: { port: number; protocol: string }[];
}

export interface LoadBalancerProvider {
  ensure(spec: LoadBalancerSpec): Promise<LoadBalancerIngress[]>;
  delete(service: ServiceIdentity): Promise<void>;
  list(): Promise<ServiceIdentity[]>;
}
