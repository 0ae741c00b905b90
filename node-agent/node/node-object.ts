/**
 * The Node this agent registers, built from plain facts (pure): capacity and allocatable, addresses, the
 * standard labels (hostname, os, arch; instance-type and zone from IMDS on EC2), providerID, nodeInfo, the
 * node server's port as daemonEndpoints.kubeletEndpoint, and the kubelet's four conditions.
 */
import type { Node } from '../../shared/api/kinds/node.ts';
import { awsProviderId, type InstanceMetadata } from './imds.ts';
import { MAX_PODS, type HostFacts } from './host-facts.ts';

export const KUBELET_VERSION = 'v1.35.0';

export interface NodeFacts {
  name: string;
  host: HostFacts;
  /** InternalIP: the operator's `--node-ip`, else IMDS's local-ipv4, else the host's first IPv4. */
  nodeIP?: string;
  instance?: InstanceMetadata;
  /** The node server's port (logs, exec, stats), reported as daemonEndpoints.kubeletEndpoint.Port. */
  serverPort?: number;
  /** `docker://27.5.1` */
  containerRuntimeVersion?: string;
}

export type NodeCondition = NonNullable<NonNullable<Node['status']>['conditions']>[number];

export function nodeLabels(f: NodeFacts): Record<string, string> {
  const labels: Record<string, string> = {
    'kubernetes.io/hostname': f.name,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': f.host.arch,
    'beta.kubernetes.io/os': 'linux',
    'beta.kubernetes.io/arch': f.host.arch,
  };
  if (f.instance) {
    labels['node.kubernetes.io/instance-type'] = f.instance.instanceType;
    labels['topology.kubernetes.io/zone'] = f.instance.availabilityZone;
    labels['topology.kubernetes.io/region'] = f.instance.region;
  }
  return labels;
}

export function nodeCapacity(host: HostFacts): Record<string, string> {
  const capacity: Record<string, string> = {
    cpu: String(host.cpus),
    memory: `${Math.floor(host.memoryBytes / 1024)}Ki`,
    pods: String(MAX_PODS),
  };
  if (host.ephemeralStorageBytes !== undefined) capacity['ephemeral-storage'] = `${Math.floor(host.ephemeralStorageBytes / 1024)}Ki`;
  return capacity;
}

export function nodeAddresses(f: NodeFacts): Array<{ type: string; address: string }> {
  return [
    { type: 'InternalIP', address: f.nodeIP ?? f.instance?.localIpv4 ?? f.host.internalIP },
    { type: 'Hostname', address: f.name },
  ];
}

/** The kubelet's conditions, all healthy, heartbeat now; transitions are carried over from `previous`. */
export function nodeConditions(now: string, previous: NodeCondition[] = []): NodeCondition[] {
  const make = (type: string, status: string, reason: string, message: string): NodeCondition => {
    const before = previous.find((c) => c.type === type);
    const lastTransitionTime = before?.status === status && before.lastTransitionTime ? before.lastTransitionTime : now;
    return { type, status, lastHeartbeatTime: now, lastTransitionTime, reason, message };
  };
  return [
    make('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
    make('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    make('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    make('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
  ];
}

export function nodeStatus(f: NodeFacts, now: string, previous?: Node['status']): NonNullable<Node['status']> {
  const capacity = nodeCapacity(f.host);
  const status: NonNullable<Node['status']> = {
    capacity,
    allocatable: { ...capacity },
    conditions: nodeConditions(now, previous?.conditions),
    addresses: nodeAddresses(f),
    daemonEndpoints: { kubeletEndpoint: { Port: f.serverPort ?? 0 } },
    nodeInfo: {
      machineID: f.host.machineID,
      kernelVersion: f.host.kernelVersion,
      osImage: f.host.osImage,
      containerRuntimeVersion: f.containerRuntimeVersion ?? 'docker://unknown',
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: KUBELET_VERSION,
      operatingSystem: 'linux',
      architecture: f.host.arch,
    },
  };
  if (previous?.images) status.images = previous.images;
  return status;
}

/** A new Node (no pod CIDR yet: registration claims one and sets it). */
export function newNode(f: NodeFacts, now: string): Node {
  const spec: NonNullable<Node['spec']> = {};
  if (f.instance) spec.providerID = awsProviderId(f.instance);
  return { apiVersion: 'v1', kind: 'Node', metadata: { name: f.name, labels: nodeLabels(f) }, spec, status: nodeStatus(f, now) };
}

/** RFC 3339 seconds, as metav1.Time. */
export function stamp(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** RFC 3339 microseconds, as metav1.MicroTime (Lease renewTime). */
export function microStamp(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}
