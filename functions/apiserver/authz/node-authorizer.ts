/**
 * Node restriction (Kubernetes' Node authorizer + NodeRestriction admission, in one place): a node user
 * `system:node:<name>` may read every Node (as the system:node ClusterRole allows: get/list/watch nodes) but write
 * only its own Node and Lease, read the pods bound to it (a list or watch must carry the field selector
 * `spec.nodeName=<self>`), write their status and delete them, read the Secrets and ConfigMaps those pods
 * reference (by name: a get, or a list/watch with `metadata.name=<x>`), read Services, Endpoints and
 * EndpointSlices, and emit Events. Anything else gets no opinion here (RBAC decides, and nothing binds
 * system:nodes by default). Stricter than Kubernetes, which lets nodes list every pod.
 *
 * Pod CIDR claims: there is no node-IPAM controller; each agent claims a free /24 by *creating* a Lease named
 * `podcidr-<cidr>` in kube-node-lease (node-agent/node/pod-cidr.ts; create is the store's conditional write, so
 * one agent wins each CIDR) and then sets its own spec.podCIDR. So node users may read the Leases of
 * kube-node-lease (heartbeats and claims: nothing secret) and create and delete `podcidr-*` ones. This is kept on
 * the agent rather than moved into a server-side allocator because it works the same against the Lambda API with
 * no extra controller on the node-registration path (a new node would otherwise wait on the event pipeline for
 * its CIDR). What a misbehaving node can do with it is bounded: agents count a CIDR as taken when any Node's
 * spec.podCIDR names it, whatever the claims say, so deleting another node's claim cannot hand its range out
 * twice; hoarding claims only exhausts the range (visible as Leases held by that node).
 */
import { parseFieldSelector } from '../../../shared/labels/field-selector.ts';
import type { Pod } from '../../../shared/api/kinds/pod.ts';
import type { ResourceAttributes } from './attributes.ts';
import type { Decision } from './rbac.ts';

/** The reads the decision needs; an adapter over the store (or a fake in tests). */
export interface NodeGraph {
  getPod(namespace: string, name: string): Promise<Pod | undefined>;
  /** Pods in `namespace` whose spec.nodeName is `node`. */
  podsOnNode(node: string, namespace: string): Promise<Pod[]>;
}

export interface NodeRequest {
  /** The request's `fieldSelector` query parameter. */
  fieldSelector?: string;
  /** metadata.name of the object in a create's body. */
  bodyName?: string;
}

export type NodeDecision = Decision | { allowed: false; noOpinion: true; reason: string };

const READ = new Set(['get', 'list', 'watch']);
const OWN_OBJECT_VERBS = new Set(['get', 'update', 'patch', 'delete']);
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
/** The name prefix of pod CIDR claims (node-agent/node/pod-cidr.ts claimName). */
export const POD_CIDR_CLAIM_PREFIX = 'podcidr-';

const allow = (reason: string): NodeDecision => ({ allowed: true, reason });
const noOpinion = (reason = ''): NodeDecision => ({ allowed: false, noOpinion: true, reason });

function noRelationship(node: string): NodeDecision {
  return noOpinion(`no relationship found between node '${node}' and this object`);
}

/** The value of `field=value` (or `==`) in a field selector, when it is there exactly once. */
export function selectedValue(fieldSelector: string | undefined, field: string): string | undefined {
  if (!fieldSelector) return undefined;
  try {
    const reqs = parseFieldSelector(fieldSelector).requirements.filter((r) => r.field === field && r.operator === '=');
    return reqs.length === 1 ? reqs[0].value : undefined;
  } catch {
    return undefined;
  }
}

/** Names of the Secrets and ConfigMaps a pod uses (volumes, projected sources, env, envFrom, image pull secrets). */
export function referencedNames(pod: Pod, kind: 'secrets' | 'configmaps'): Set<string> {
  const names = new Set<string>();
  const spec = (pod as { spec?: Record<string, any> }).spec ?? {};
  const add = (n: unknown) => {
    if (typeof n === 'string' && n) names.add(n);
  };
  if (kind === 'secrets') for (const s of spec.imagePullSecrets ?? []) add(s?.name);
  for (const v of spec.volumes ?? []) {
    if (kind === 'secrets') add(v?.secret?.secretName);
    else add(v?.configMap?.name);
    for (const src of v?.projected?.sources ?? []) add(kind === 'secrets' ? src?.secret?.name : src?.configMap?.name);
  }
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])]) {
    for (const e of c?.env ?? []) add(kind === 'secrets' ? e?.valueFrom?.secretKeyRef?.name : e?.valueFrom?.configMapKeyRef?.name);
    for (const f of c?.envFrom ?? []) add(kind === 'secrets' ? f?.secretRef?.name : f?.configMapRef?.name);
  }
  return names;
}

function nodeNameOfPod(pod: Pod | undefined): string | undefined {
  return (pod as { spec?: { nodeName?: string } } | undefined)?.spec?.nodeName;
}

async function authorizeOwnPod(node: string, attrs: ResourceAttributes, req: NodeRequest, graph: NodeGraph): Promise<NodeDecision> {
  const sub = attrs.subresource;
  if (sub === '' && (attrs.verb === 'list' || attrs.verb === 'watch')) {
    return selectedValue(req.fieldSelector, 'spec.nodeName') === node
      ? allow(`node '${node}' reads its own pods`)
      : noOpinion(`can only list/watch pods with spec.nodeName=${node} field selector`);
  }
  const verbs = sub === '' ? new Set(['get', 'delete']) : sub === 'status' ? new Set(['get', 'update', 'patch']) : new Set<string>();
  if (!verbs.has(attrs.verb) || !attrs.name) return noOpinion();
  const pod = await graph.getPod(attrs.namespace, attrs.name);
  // A pod that no longer exists cannot be shown to anyone: let the request through to its 404.
  if (!pod) return attrs.verb === 'get' || attrs.verb === 'delete' ? allow('pod not found') : noRelationship(node);
  return nodeNameOfPod(pod) === node ? allow(`pod is bound to node '${node}'`) : noRelationship(node);
}

async function authorizeReferenced(node: string, attrs: ResourceAttributes, req: NodeRequest, graph: NodeGraph, kind: 'secrets' | 'configmaps'): Promise<NodeDecision> {
  if (!READ.has(attrs.verb) || attrs.subresource !== '' || !attrs.namespace) return noOpinion();
  const name = attrs.verb === 'get' ? attrs.name : selectedValue(req.fieldSelector, 'metadata.name');
  if (!name) return noOpinion(`can only read individual ${kind} referenced by pods on node '${node}'`);
  const pods = await graph.podsOnNode(node, attrs.namespace);
  return pods.some((p) => referencedNames(p, kind).has(name)) ? allow(`referenced by a pod on node '${node}'`) : noRelationship(node);
}

/** The node authorizer's decision for `node` (the caller checked the user is `system:node:<node>` in system:nodes). */
export async function authorizeNode(node: string, attrs: ResourceAttributes, req: NodeRequest, graph: NodeGraph): Promise<NodeDecision> {
  const { apiGroup, resource, subresource, verb } = attrs;
  if (apiGroup === '' && resource === 'nodes') {
    if (verb === 'create' && subresource === '') return req.bodyName === node ? allow('own node') : noOpinion(`node '${node}' can only create its own Node`);
    if (READ.has(verb) && subresource === '') return allow('nodes are readable by every node');
    if (attrs.name !== node) return noOpinion(`node '${node}' cannot modify node '${attrs.name}'`);
    if (subresource === '' && OWN_OBJECT_VERBS.has(verb)) return allow('own node');
    if (subresource === 'status' && (verb === 'get' || verb === 'update' || verb === 'patch')) return allow('own node status');
    return noOpinion();
  }
  if (apiGroup === 'coordination.k8s.io' && resource === 'leases') {
    if (attrs.namespace !== NODE_LEASE_NAMESPACE) return noOpinion(`can only access leases in the ${NODE_LEASE_NAMESPACE} namespace`);
    if (subresource !== '') return noOpinion();
    if (READ.has(verb)) return allow('node leases and pod CIDR claims are readable by every node');
    if (verb === 'create') {
      if (req.bodyName === node) return allow('own lease');
      return req.bodyName?.startsWith(POD_CIDR_CLAIM_PREFIX) ? allow('pod CIDR claim') : noOpinion(`node '${node}' can only create its own Lease`);
    }
    if (verb === 'delete' && attrs.name.startsWith(POD_CIDR_CLAIM_PREFIX)) return allow('pod CIDR claim');
    return attrs.name === node && OWN_OBJECT_VERBS.has(verb) ? allow('own lease') : noOpinion(`node '${node}' can only access its own Lease`);
  }
  if (apiGroup === '' && resource === 'pods') return authorizeOwnPod(node, attrs, req, graph);
  if (apiGroup === '' && (resource === 'secrets' || resource === 'configmaps')) return authorizeReferenced(node, attrs, req, graph, resource);
  if ((apiGroup === '' && (resource === 'services' || resource === 'endpoints')) || (apiGroup === 'discovery.k8s.io' && resource === 'endpointslices')) {
    return READ.has(verb) && subresource === '' ? allow('service routing') : noOpinion();
  }
  if ((apiGroup === '' || apiGroup === 'events.k8s.io') && resource === 'events') {
    return verb === 'create' || verb === 'update' || verb === 'patch' ? allow('node events') : noOpinion();
  }
  return noOpinion();
}
