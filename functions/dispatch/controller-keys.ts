/**
 * Which controller keys a change wakes (design invariant 2: an event only says which key to look at). Pure: no
 * store reads, so dispatch stays a cheap, stateless stream consumer and every key can be derived again from the
 * same record (a retried batch, a duplicated or reordered record gives the same keys).
 *
 * Where a controller needs state dispatch does not have, the key is broader instead of looked up:
 * - Endpoints: which Services select a pod needs the Services, and a pod that *stops* matching a selector can only
 *   be seen by recomputing the Services that used to select it. So both pod and Service changes wake the endpoints
 *   controller for the whole namespace (key = namespace name); it recomputes every Service in it. Because Service
 *   changes use the same key, every Endpoints/EndpointSlice write in a namespace comes from one reconcile at a
 *   time. Pod changes only wake it when something endpoints show changed (endpointView).
 * - PodDisruptionBudgets: the same for the disruption controller (key = namespace): a ready (or formerly ready) pod
 *   whose labels, readiness or deletion changed, and any budget change, recompute every budget in the namespace.
 * - Namespaces: an active namespace (and a removed ServiceAccount) wakes the serviceaccount controller, which
 *   keeps the `default` ServiceAccount in it.
 * - Nodes: a node change wakes the scheduler's retry key and the DaemonSet broadcast key (BROADCAST_KEYS).
 * - Orphans a ReplicaSet could adopt are found by that ReplicaSet's own reconcile (resync), not by dispatch.
 */
import type { KubeObject, OwnerReference } from '../../shared/api/object.ts';
import { resourceKey } from '../../shared/api/object.ts';
import { findByKind } from '../../shared/api/registry.ts';
import type { ResourceKey } from '../store/object-store.ts';
import { BROADCAST_KEYS, type ControllerKey, type ControllerName } from '../pipeline/queue-message.ts';
import { cloudKeysForNodeChange } from '../cloud/cloud-keys.ts';

export interface ObjectChange {
  resource: ResourceKey;
  /** '' for cluster-scoped objects. */
  namespace: string;
  name: string;
  /** The object before the change (absent on create). */
  oldObject?: KubeObject;
  /** The object after the change (absent on removal). */
  newObject?: KubeObject;
}

/** Kinds whose own changes wake the controller of the same name, keyed by the object. */
const SELF: Record<string, ControllerName> = {
  'apps/deployments': 'deployment',
  'apps/replicasets': 'replicaset',
  'apps/daemonsets': 'daemonset',
  'apps/statefulsets': 'statefulset',
  'batch/jobs': 'job',
  'batch/cronjobs': 'cronjob',
  'core/namespaces': 'namespace',
  'autoscaling/horizontalpodautoscalers': 'hpa',
};

/** Controller owners (ownerReferences with controller: true) by `group/Kind`. */
const OWNER: Record<string, ControllerName> = {
  'apps/ReplicaSet': 'replicaset',
  'apps/Deployment': 'deployment',
  'apps/DaemonSet': 'daemonset',
  'apps/StatefulSet': 'statefulset',
  'batch/Job': 'job',
  'batch/CronJob': 'cronjob',
};

/** Changes nobody reconciles: Events are written at a high rate and only read by people. */
const IGNORED = new Set<ResourceKey>(['core/events', 'events.k8s.io/events']);

const NODE_LEASE_NAMESPACE = 'kube-node-lease';

/** `<resourceKey>:<namespace>/<name>`: the collector's key names the kind as well as the object. */
export function gcKey(resource: ResourceKey, namespace: string, name: string): string {
  return `${resource}:${namespace}/${name}`;
}

export function parseGcKey(key: string): { resource: ResourceKey; namespace: string; name: string } | undefined {
  const m = /^([^:]+):([^/]*)\/(.+)$/.exec(key);
  return m ? { resource: m[1], namespace: m[2], name: m[3] } : undefined;
}

/** Kubernetes' MetaNamespaceKey: `namespace/name`, or `name` for cluster-scoped objects. */
export function objectKey(namespace: string, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

export function keysForChange(change: ObjectChange): ControllerKey[] {
  const { resource, namespace, name, oldObject: before, newObject: after } = change;
  if (IGNORED.has(resource)) return [];
  const out = new KeySet();
  const self = objectKey(namespace, name);

  const selfController = SELF[resource];
  if (selfController) out.add(selfController, self);

  for (const obj of [before, after]) {
    const ref = controllerRef(obj);
    const owner = ref && OWNER[`${groupOf(ref.apiVersion)}/${ref.kind}`];
    if (ref && owner) out.add(owner, objectKey(namespace, ref.name));
  }

  if (resource === 'core/pods') podKeys(change, out);
  else if (resource === 'core/nodes') {
    nodeKeys(change, out);
    for (const k of cloudKeysForNodeChange(change)) out.add(k.controller, k.key);
  } else if (resource === 'core/services') {
    out.add('endpoints', namespace);
    if (serviceType(before) === 'LoadBalancer' || serviceType(after) === 'LoadBalancer') out.add('loadbalancer', self);
  } else if (resource === 'policy/poddisruptionbudgets') {
    // Like endpoints: one key per namespace, so a budget's status has one writer among the controllers.
    out.add('disruption', namespace);
  } else if (resource === 'core/namespaces' && after && !after.metadata.deletionTimestamp) {
    out.add('serviceaccount', name);
  } else if (resource === 'core/serviceaccounts' && !after) {
    out.add('serviceaccount', namespace);
  } else if (resource === 'coordination.k8s.io/leases' && namespace === NODE_LEASE_NAMESPACE && (!before || !after)) {
    // Renewals are time-driven work (the resync checks expiry); only a lease appearing or going away is news.
    out.add('nodelifecycle', name);
  }

  gcKeys(change, out);
  return out.list();
}

function podKeys({ namespace, name, oldObject: before, newObject: after }: ObjectChange, out: KeySet): void {
  if (after && needsScheduling(after)) out.add('scheduler', objectKey(namespace, name));
  // A bound pod that goes away or finishes frees capacity: pods that did not fit may fit now.
  if (before && nodeName(before) && !isTerminal(before) && (!after || isTerminal(after))) {
    out.add('scheduler', BROADCAST_KEYS.retryUnschedulable);
  }
  if (!sameJson(endpointView(before), endpointView(after))) out.add('endpoints', namespace);
  // Only ready pods count towards a budget: an unready pod coming or going changes no disruptionsAllowed.
  const ready = (p?: KubeObject) => Boolean(p && conditionStatus(p, 'Ready') === 'True');
  if ((ready(before) || ready(after)) && !sameJson(disruptionView(before), disruptionView(after))) out.add('disruption', namespace);
}

function nodeKeys({ name, oldObject: before, newObject: after }: ObjectChange, out: KeySet): void {
  // Heartbeat-only status updates (timestamps) change nothing placement or DaemonSets look at.
  if (sameJson(nodeView(before), nodeView(after))) return;
  out.add('scheduler', BROADCAST_KEYS.retryUnschedulable);
  out.add('daemonset', BROADCAST_KEYS.all);
  out.add('nodelifecycle', name);
}

/**
 * Garbage collection (ownerReferences):
 * - an object that is removed or starts deleting: its dependents may have to go (background) or be orphaned;
 * - a removed dependent, or one that dropped an owner: an owner in foreground deletion may be waiting for it;
 * - a new dependent, or new owner references: the owner may already be gone (dangling reference).
 */
function gcKeys({ resource, namespace, name, oldObject: before, newObject: after }: ObjectChange, out: KeySet): void {
  const self = gcKey(resource, namespace, name);
  const beforeRefs = before?.metadata.ownerReferences ?? [];
  const afterRefs = after?.metadata.ownerReferences ?? [];
  if (!after || (after.metadata.deletionTimestamp && !before?.metadata.deletionTimestamp)) out.add('gc', self);
  const afterUids = new Set(afterRefs.map((r) => r.uid));
  for (const ref of beforeRefs) {
    if (!after || !afterUids.has(ref.uid)) {
      const owner = ownerGcKey(ref, namespace);
      if (owner) out.add('gc', owner);
    }
  }
  const beforeUids = new Set(beforeRefs.map((r) => r.uid));
  if (after && afterRefs.some((r) => !beforeUids.has(r.uid))) out.add('gc', self);
}

function ownerGcKey(ref: OwnerReference, dependentNamespace: string): string | undefined {
  const type = findByKind(ref.apiVersion, ref.kind);
  if (!type) return undefined;
  return gcKey(resourceKey(type), type.namespaced ? dependentNamespace : '', ref.name);
}

class KeySet {
  private readonly seen = new Map<string, ControllerKey>();
  add(controller: ControllerName, key: string): void {
    this.seen.set(`${controller}\n${key}`, { controller, key });
  }
  list(): ControllerKey[] {
    return [...this.seen.values()];
  }
}

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

function controllerRef(obj: KubeObject | undefined): OwnerReference | undefined {
  return obj?.metadata.ownerReferences?.find((r) => r.controller === true);
}

// Field access on any kind's object; the kinds' own schemas are not needed for these few fields.
type Loose = Record<string, unknown>;
function field(obj: unknown, ...path: string[]): unknown {
  let v: unknown = obj;
  for (const p of path) v = v && typeof v === 'object' ? (v as Loose)[p] : undefined;
  return v;
}

function nodeName(pod: KubeObject): string | undefined {
  const n = field(pod, 'spec', 'nodeName');
  return typeof n === 'string' && n ? n : undefined;
}

function isTerminal(pod: KubeObject): boolean {
  const phase = field(pod, 'status', 'phase');
  return phase === 'Succeeded' || phase === 'Failed';
}

function needsScheduling(pod: KubeObject): boolean {
  const scheduler = field(pod, 'spec', 'schedulerName');
  return (
    !nodeName(pod) &&
    !pod.metadata.deletionTimestamp &&
    !isTerminal(pod) &&
    (scheduler === undefined || scheduler === '' || scheduler === 'default-scheduler')
  );
}

function conditionStatus(obj: KubeObject, type: string): unknown {
  const conditions = field(obj, 'status', 'conditions');
  return Array.isArray(conditions) ? conditions.find((c) => field(c, 'type') === type)?.status : undefined;
}

/** What Endpoints/EndpointSlices are computed from, per pod. */
function endpointView(pod: KubeObject | undefined): unknown {
  if (!pod) return undefined;
  return {
    labels: pod.metadata.labels ?? {},
    deleting: Boolean(pod.metadata.deletionTimestamp),
    podIPs: field(pod, 'status', 'podIPs') ?? field(pod, 'status', 'podIP') ?? null,
    phase: field(pod, 'status', 'phase') ?? null,
    ready: conditionStatus(pod, 'Ready') ?? null,
    nodeName: nodeName(pod) ?? null,
    hostname: field(pod, 'spec', 'hostname') ?? null,
    subdomain: field(pod, 'spec', 'subdomain') ?? null,
  };
}

/** What PodDisruptionBudget status is computed from, per pod (its owner gives the expected scale). */
function disruptionView(pod: KubeObject | undefined): unknown {
  if (!pod) return undefined;
  return { labels: pod.metadata.labels ?? {}, deleting: Boolean(pod.metadata.deletionTimestamp), ready: conditionStatus(pod, 'Ready') ?? null };
}

/** What placement, DaemonSets and node lifecycle read of a node (not heartbeat times). */
function nodeView(node: KubeObject | undefined): unknown {
  if (!node) return undefined;
  return {
    labels: node.metadata.labels ?? {},
    deleting: Boolean(node.metadata.deletionTimestamp),
    unschedulable: field(node, 'spec', 'unschedulable') ?? false,
    taints: field(node, 'spec', 'taints') ?? [],
    allocatable: field(node, 'status', 'allocatable') ?? {},
    ready: conditionStatus(node, 'Ready') ?? null,
  };
}

function serviceType(svc: KubeObject | undefined): unknown {
  return svc && field(svc, 'spec', 'type');
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
