/**
 * The LoadBalancer Service controller's decisions (pkg/controller/service in Kubernetes), pure: from a Service and
 * the Nodes, what the provider should ensure or delete, and what happens to the Service's cleanup finalizer and
 * status around that. The runner (load-balancer-controller.ts) carries them out in this order:
 *
 *   addFinalizer → provider.ensure(spec) → status from the ingress (only when it changed)
 *   provider.delete(service) → clear status.loadBalancer (type changed) → remove the finalizer
 *
 * The finalizer is written before anything exists in the cloud, and removed only after delete() resolved (it throws
 * while something is left), so a Service can never disappear while its load balancer lives on.
 */
import type { Node } from '../../shared/api/kinds/node.ts';
import type { Service } from '../../shared/api/kinds/service.ts';
import { canonicalJson } from '../../shared/api/validation.ts';
import type { EventSpec } from '../controllers/types.ts';
import { refOf } from '../controllers/types.ts';
import type { LoadBalancerIngress, LoadBalancerPort, LoadBalancerScheme, LoadBalancerSpec, LoadBalancerTarget, ServiceIdentity } from './load-balancer-provider.ts';
import { instanceOf, isNodeReady } from './provider-id.ts';

export const LOAD_BALANCER_CLEANUP_FINALIZER = 'service.kubernetes.io/load-balancer-cleanup';
export const SCHEME_ANNOTATION = 'service.beta.kubernetes.io/aws-load-balancer-scheme';
/** Nodes carrying this label never receive load-balanced traffic (Kubernetes' own label). */
export const EXCLUDE_FROM_LOAD_BALANCERS_LABEL = 'node.kubernetes.io/exclude-from-external-load-balancers';

export interface LoadBalancerInput {
  service: Service | undefined;
  nodes: Node[];
}

export interface LoadBalancerDecision {
  /** Write the Service with the cleanup finalizer before ensuring. */
  addFinalizer?: boolean;
  ensure?: LoadBalancerSpec;
  /** Delete the Service's load balancer, then clear its status (clearStatus) and drop the finalizer. */
  delete?: ServiceIdentity;
  clearStatus?: boolean;
  removeFinalizer?: boolean;
  events: EventSpec[];
}

export function isLoadBalancerService(service: Service): boolean {
  // A loadBalancerClass names another implementation; Kubernetes' service controller leaves those alone too.
  return service.spec?.type === 'LoadBalancer' && !service.spec.loadBalancerClass;
}

export function hasCleanupFinalizer(service: Service): boolean {
  return (service.metadata.finalizers ?? []).includes(LOAD_BALANCER_CLEANUP_FINALIZER);
}

export function identityOf(service: Service): ServiceIdentity {
  return { namespace: service.metadata.namespace ?? '', name: service.metadata.name ?? '', uid: service.metadata.uid ?? '' };
}

export function schemeOf(service: Service): LoadBalancerScheme {
  return service.metadata.annotations?.[SCHEME_ANNOTATION] === 'internal' ? 'internal' : 'internet-facing';
}

/** The Ready nodes with an instance that may take traffic, by instance id. */
export function loadBalancerTargets(nodes: Node[]): LoadBalancerTarget[] {
  const out: LoadBalancerTarget[] = [];
  for (const node of nodes) {
    if (node.metadata.deletionTimestamp || !isNodeReady(node)) continue;
    if (node.metadata.labels?.[EXCLUDE_FROM_LOAD_BALANCERS_LABEL] !== undefined) continue;
    const instance = instanceOf(node);
    if (instance) out.push({ nodeName: node.metadata.name ?? '', instanceId: instance.instanceId, zone: instance.zone });
  }
  return out.sort((a, b) => a.instanceId.localeCompare(b.instanceId));
}

/** The Service ports a network load balancer can serve: TCP or UDP with a nodePort. */
export function loadBalancerPorts(service: Service): { ports: LoadBalancerPort[]; skipped: string[] } {
  const ports: LoadBalancerPort[] = [];
  const skipped: string[] = [];
  for (const p of service.spec?.ports ?? []) {
    const protocol = p.protocol ?? 'TCP';
    const label = `${p.name ? `${p.name} ` : ''}${p.port}/${protocol}`;
    if (protocol !== 'TCP' && protocol !== 'UDP') skipped.push(`${label}: protocol ${protocol} is not supported`);
    else if (!p.nodePort) skipped.push(`${label}: no nodePort (allocateLoadBalancerNodePorts is false)`);
    else ports.push({ name: p.name ?? '', protocol, port: p.port, nodePort: p.nodePort, targetPort: p.targetPort ?? p.port });
  }
  return { ports: ports.sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol)), skipped };
}

export function decideLoadBalancer(input: LoadBalancerInput): LoadBalancerDecision {
  const service = input.service;
  if (!service) return { events: [] };
  const regarding = refOf(service);
  const finalizer = hasCleanupFinalizer(service);
  const deleting = Boolean(service.metadata.deletionTimestamp);
  const hasIngress = (service.status?.loadBalancer?.ingress ?? []).length > 0;

  if (!deleting && isLoadBalancerService(service)) {
    const { ports, skipped } = loadBalancerPorts(service);
    const events: EventSpec[] = skipped.map((message) => ({ regarding, type: 'Warning', reason: 'UnsupportedLoadBalancerPort', message }));
    if (ports.length === 0) {
      // Nothing to balance: behave as if the Service were not of type LoadBalancer (remove what exists).
      if (!finalizer && !hasIngress) return { events };
      const removal = cleanup(service, true);
      return { ...removal, events: [...events, ...removal.events] };
    }
    const spec: LoadBalancerSpec = { service: identityOf(service), scheme: schemeOf(service), ports, targets: loadBalancerTargets(input.nodes) };
    return { ...(finalizer ? {} : { addFinalizer: true }), ensure: spec, events };
  }
  // Deleting, or no longer of type LoadBalancer: only a Service we took on (finalizer, or a status we wrote) has
  // anything to clean up.
  if (!finalizer && (deleting || !hasIngress)) return { events: [] };
  return cleanup(service, !deleting);
}

function cleanup(service: Service, clearStatus: boolean): LoadBalancerDecision {
  const hasIngress = (service.status?.loadBalancer?.ingress ?? []).length > 0;
  return {
    delete: identityOf(service),
    ...(clearStatus && hasIngress ? { clearStatus: true } : {}),
    ...(hasCleanupFinalizer(service) ? { removeFinalizer: true } : {}),
    events: [{ regarding: refOf(service), type: 'Normal', reason: 'DeletingLoadBalancer', message: 'Deleting load balancer' }],
  };
}

/** The Service's status with the provider's ingress points, or undefined when it already says exactly that. */
export function statusWithIngress(service: Service, ingress: LoadBalancerIngress[]): Service['status'] | undefined {
  const current = service.status?.loadBalancer?.ingress ?? [];
  if (canonicalJson(current) === canonicalJson(ingress)) return undefined;
  const loadBalancer: NonNullable<Service['status']>['loadBalancer'] = ingress.length ? { ingress: ingress.map((i) => ({ ...i })) } : {};
  return { ...(service.status ?? {}), loadBalancer };
}

export function withFinalizer(service: Service): Service {
  if (hasCleanupFinalizer(service)) return service;
  return { ...service, metadata: { ...service.metadata, finalizers: [...(service.metadata.finalizers ?? []), LOAD_BALANCER_CLEANUP_FINALIZER] } };
}

export function withoutFinalizer(service: Service): Service {
  const { finalizers: all, ...rest } = service.metadata;
  const finalizers = (all ?? []).filter((f) => f !== LOAD_BALANCER_CLEANUP_FINALIZER);
  return { ...service, metadata: { ...rest, ...(finalizers.length ? { finalizers } : {}) } };
}
