/**
 * The scheduler's view of one node: its allocatable resources, what the pods bound to it already request, and
 * the host ports they hold. Built once per snapshot and updated in place as pods are placed (the batch path).
 */
import type { Node } from '../../shared/api/kinds/node.ts';
import type { Pod } from '../../shared/api/kinds/pod.ts';
import type { Toleration } from '../../shared/api/kinds/pod-spec.ts';
import { integerValue, milliValue } from '../../shared/api/quantity.ts';

export interface Resources {
  milliCPU: number;
  memory: number;
  /** Extended resources (nvidia.com/gpu, ephemeral-storage, …) in integer units. */
  scalar: Record<string, number>;
}

export interface HostPort {
  protocol: string;
  hostIP: string;
  port: number;
}

/** A pod with what the filters need precomputed, so a filter call does no parsing. */
export interface PodInfo {
  pod: Pod;
  requests: Resources;
  /** Requests with the scheduler's non-zero defaults (100m CPU, 200Mi) for containers that set none; used to score. */
  nonZeroRequests: { milliCPU: number; memory: number };
  hostPorts: HostPort[];
  tolerations: Toleration[];
  /** The controller owner's uid (ReplicaSet, StatefulSet, …), whose replicas the scorer spreads. */
  ownerUid?: string;
}

export interface NodeInfo {
  node: Node;
  name: string;
  zone?: string;
  allocatable: Resources & { pods: number };
  requested: Resources;
  nonZeroRequested: { milliCPU: number; memory: number };
  podCount: number;
  usedPorts: HostPort[];
}

/** The scheduler's defaults for a container without requests (pkg/scheduler/util: DefaultMilliCPURequest, DefaultMemoryRequest). */
const DEFAULT_MILLI_CPU = 100;
const DEFAULT_MEMORY = 200 * 1024 * 1024;

export const ZONE_LABEL = 'topology.kubernetes.io/zone';

function emptyResources(): Resources {
  return { milliCPU: 0, memory: 0, scalar: {} };
}

function addList(into: Resources, list: Record<string, string | number> | undefined): void {
  for (const [name, q] of Object.entries(list ?? {})) {
    if (name === 'cpu') into.milliCPU += milliValue(q) ?? 0;
    else if (name === 'memory') into.memory += integerValue(q) ?? 0;
    else if (name !== 'pods') into.scalar[name] = (into.scalar[name] ?? 0) + (integerValue(q) ?? 0);
  }
}

function maxInto(into: Resources, other: Resources): void {
  into.milliCPU = Math.max(into.milliCPU, other.milliCPU);
  into.memory = Math.max(into.memory, other.memory);
  for (const [k, v] of Object.entries(other.scalar)) into.scalar[k] = Math.max(into.scalar[k] ?? 0, v);
}

/**
 * The pod's effective request (resourcehelper.PodRequests): the sum over app containers and sidecars, at least
 * the largest init container (which runs alone before them), plus the pod overhead.
 */
export function podRequests(pod: Pod): Resources {
  const total = emptyResources();
  for (const c of pod.spec.containers) addList(total, c.resources?.requests as Record<string, string | number> | undefined);
  const sidecars = emptyResources();
  for (const c of pod.spec.initContainers ?? []) {
    const r = emptyResources();
    addList(r, c.resources?.requests as Record<string, string | number> | undefined);
    if (c.restartPolicy === 'Always') {
      addList(total, c.resources?.requests as Record<string, string | number> | undefined);
      addList(sidecars, c.resources?.requests as Record<string, string | number> | undefined);
    } else {
      // An init container runs next to the sidecars started before it.
      r.milliCPU += sidecars.milliCPU;
      r.memory += sidecars.memory;
      maxInto(total, r);
    }
  }
  addList(total, (pod.spec as { overhead?: Record<string, string | number> }).overhead);
  return total;
}

function nonZeroRequests(pod: Pod): { milliCPU: number; memory: number } {
  let milliCPU = 0;
  let memory = 0;
  for (const c of pod.spec.containers) {
    const req = (c.resources?.requests ?? {}) as Record<string, string | number>;
    milliCPU += req.cpu !== undefined ? (milliValue(req.cpu) ?? 0) : DEFAULT_MILLI_CPU;
    memory += req.memory !== undefined ? (integerValue(req.memory) ?? 0) : DEFAULT_MEMORY;
  }
  return { milliCPU, memory };
}

function hostPorts(pod: Pod): HostPort[] {
  const ports: HostPort[] = [];
  for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
    for (const p of c.ports ?? []) {
      if (p.hostPort) ports.push({ protocol: p.protocol || 'TCP', hostIP: p.hostIP || '0.0.0.0', port: p.hostPort });
    }
  }
  return ports;
}

export function controllerUid(obj: { metadata: { ownerReferences?: { controller?: boolean; uid: string }[] } }): string | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller)?.uid;
}

export function podInfo(pod: Pod): PodInfo {
  return {
    pod,
    requests: podRequests(pod),
    nonZeroRequests: nonZeroRequests(pod),
    hostPorts: hostPorts(pod),
    tolerations: pod.spec.tolerations ?? [],
    ownerUid: controllerUid(pod),
  };
}

export function nodeInfo(node: Node): NodeInfo {
  const alloc = (node.status?.allocatable ?? node.status?.capacity ?? {}) as Record<string, string | number>;
  const allocatable = { ...emptyResources(), pods: integerValue(alloc.pods) ?? 0 };
  addList(allocatable, alloc);
  return {
    node,
    name: node.metadata.name ?? '',
    zone: node.metadata.labels?.[ZONE_LABEL],
    allocatable,
    requested: emptyResources(),
    nonZeroRequested: { milliCPU: 0, memory: 0 },
    podCount: 0,
    usedPorts: [],
  };
}

/** Accounts a pod on the node (a bound pod in the snapshot, or one just placed by the batch scheduler). */
export function addPod(info: NodeInfo, pod: PodInfo): void {
  info.requested.milliCPU += pod.requests.milliCPU;
  info.requested.memory += pod.requests.memory;
  for (const [k, v] of Object.entries(pod.requests.scalar)) info.requested.scalar[k] = (info.requested.scalar[k] ?? 0) + v;
  info.nonZeroRequested.milliCPU += pod.nonZeroRequests.milliCPU;
  info.nonZeroRequested.memory += pod.nonZeroRequests.memory;
  info.podCount += 1;
  info.usedPorts.push(...pod.hostPorts);
}

/** Pods that hold node resources: bound and not finished (terminating pods still hold theirs). */
export function holdsResources(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return Boolean(pod.spec.nodeName) && phase !== 'Succeeded' && phase !== 'Failed';
}
