/**
 * Simulated nodes (in the spirit of kwok) for `zeroplane up --simulated-nodes N`, tests and benches. They act
 * through the same API a real node agent uses (the Registry, via ClusterApi): register Nodes, renew their Leases
 * in kube-node-lease, watch the pods bound to them and move them along their lifecycle:
 *   bound → (runDelayMs) Running with a unique pod IP 10.244.<node>.<n> and Ready
 *   Running, restartPolicy Never/OnFailure → (runForMs) Succeeded, exit code 0 — or the exit code in the
 *   `zeroplane.dev/simulated-exit-code` annotation (non-zero → Failed).
 * Nodes: 4 CPU, 16Gi, 110 pods, Ready, labels kubernetes.io/hostname and topology.kubernetes.io/zone (3 zones).
 *
 * Nodes come and go at runtime, as kwok's do: addNode() registers one more; stopNode() makes one fall silent
 * like a crashed kubelet (no lease renewals, its pods frozen as they are) and startNode() brings it back. With
 * `followNodes`, the same is driven through the API, so kubectl can do it against a running `zeroplane up`:
 * a Node created with the annotation `zeroplane.dev/simulated: "true"` is adopted (its status filled in), and
 * `zeroplane.dev/simulated-stopped: "true"` on a simulated Node stops it until the annotation goes away.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Node } from '../shared/api/kinds/node.ts';
import type { Pod } from '../shared/api/kinds/pod.ts';
import type { Lease } from '../shared/api/kinds/lease.ts';
import type { KubeObject } from '../shared/api/object.ts';
import type { ObjectStore } from '../functions/store/object-store.ts';
import { isReason, type ClusterApi } from '../functions/controllers/api-port.ts';

export const EXIT_CODE_ANNOTATION = 'zeroplane.dev/simulated-exit-code';
export const SIMULATED_ANNOTATION = 'zeroplane.dev/simulated';
export const STOPPED_ANNOTATION = 'zeroplane.dev/simulated-stopped';
export const ZONES = ['zone-a', 'zone-b', 'zone-c'];
const LEASE_NAMESPACE = 'kube-node-lease';
const LEASE_DURATION_SECONDS = 40;

export interface SimulatedNodesOptions {
  api: ClusterApi;
  store: ObjectStore;
  count: number;
  /** Node names are `<prefix><i>`, i from 1. Default `sim-node-`. */
  prefix?: string;
  /** From bound to Running and Ready. Default 300 ms. */
  runDelayMs?: number;
  /** How long a Never/OnFailure pod runs before it finishes. Default 1000 ms. */
  runForMs?: number;
  /** Lease renewal period. Default 10 s. */
  heartbeatMs?: number;
  /** Adopt Nodes created with the simulated annotation and obey the stopped annotation (see above). Default false. */
  followNodes?: boolean;
  logger?: Logger;
}

export interface SimulatedNodes {
  /** The nodes simulated now (a live list: addNode and adopted Nodes join it). */
  names: string[];
  /** Registers one more simulated node (default name: the next `<prefix><i>`); resolves to its name. */
  addNode(name?: string): Promise<string>;
  /** The node stops renewing its Lease and moving its pods, like a crashed kubelet. */
  stopNode(name: string): void;
  /** A stopped node reports Ready again and resumes its pods. */
  startNode(name: string): Promise<void>;
  stop(): Promise<void>;
}

function stamp(d = new Date()): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Leases carry MicroTime. */
function microStamp(d = new Date()): string {
  return d.toISOString().replace(/Z$/, '000Z');
}

export function simulatedNode(name: string, index: number): Node {
  const capacity = { cpu: '4', memory: '16Gi', pods: '110', 'ephemeral-storage': '100Gi' };
  const t = stamp();
  const condition = (type: string, status: string, reason: string, message: string) => ({ type, status, lastHeartbeatTime: t, lastTransitionTime: t, reason, message });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'topology.kubernetes.io/zone': ZONES[(index - 1) % ZONES.length],
        'node.kubernetes.io/instance-type': 'simulated',
      },
      annotations: { [SIMULATED_ANNOTATION]: 'true' },
    },
    spec: { podCIDR: `10.244.${index}.0/24`, podCIDRs: [`10.244.${index}.0/24`] },
    status: {
      capacity,
      allocatable: { ...capacity },
      conditions: [
        condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      addresses: [
        { type: 'InternalIP', address: hostIp(index) },
        { type: 'Hostname', address: name },
      ],
      nodeInfo: {
        machineID: randomBytes(16).toString('hex'),
        kernelVersion: '6.8.0-zeroplane',
        osImage: 'Zeroplane simulated node',
        containerRuntimeVersion: 'simulated://1.0.0',
        kubeletVersion: 'v1.35.0',
        kubeProxyVersion: 'v1.35.0',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  } as Node;
}

function hostIp(index: number): string {
  return `172.31.${Math.floor(index / 250)}.${(index % 250) + 2}`;
}

function exitCodeOf(pod: Pod): number {
  const v = Number(pod.metadata.annotations?.[EXIT_CODE_ANNOTATION] ?? 0);
  return Number.isInteger(v) ? v : 1;
}

function isReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

function finishes(pod: Pod): boolean {
  const policy = pod.spec.restartPolicy ?? 'Always';
  return policy === 'Never' || policy === 'OnFailure';
}

interface NodeState {
  name: string;
  index: number;
  usedIps: Set<string>;
  next: number;
  /** Effective: stopped by a stopNode() call or by the stopped annotation (followNodes); either keeps it down. */
  stopped: boolean;
  stoppedByCall: boolean;
  stoppedByAnnotation: boolean;
}

export async function startSimulatedNodes(options: SimulatedNodesOptions): Promise<SimulatedNodes> {
  const { api, store, logger } = options;
  const prefix = options.prefix ?? 'sim-node-';
  const runDelayMs = options.runDelayMs ?? 300;
  const runForMs = options.runForMs ?? 1000;
  const abort = new AbortController();
  const timers = new Set<NodeJS.Timeout>();
  const nodes = new Map<string, NodeState>();
  /** Pods with a transition scheduled (by uid), so one pod never gets two timers for the same step. */
  const scheduled = new Map<string, string>();

  const names: string[] = [];
  const track = (name: string, index: number): NodeState => {
    const state: NodeState = { name, index, usedIps: new Set(), next: 2, stopped: false, stoppedByCall: false, stoppedByAnnotation: false };
    nodes.set(name, state);
    names.push(name);
    return state;
  };
  const nextIndex = (): number => Math.max(0, ...[...nodes.values()].map((n) => n.index)) + 1;

  for (let i = 1; i <= options.count; i++) {
    const name = `${prefix}${i}`;
    track(name, i);
    await registerNode(api, simulatedNode(name, i));
    await renewLease(api, name);
  }

  const later = (ms: number, run: () => Promise<void>): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (abort.signal.aborted) return;
      run().catch((err: unknown) => logger?.warn({ err }, 'simulated node step failed'));
    }, ms);
    timers.add(timer);
  };

  const heartbeat = setInterval(() => {
    for (const [name, state] of nodes) if (!state.stopped) renewLease(api, name).catch((err: unknown) => logger?.warn({ err, node: name }, 'lease renewal failed'));
  }, options.heartbeatMs ?? 10_000);

  const allocateIp = (state: NodeState): string => {
    for (let tries = 0; tries < 253; tries++) {
      const n = state.next;
      state.next = n >= 254 ? 2 : n + 1;
      const ip = `10.244.${state.index}.${n}`;
      if (!state.usedIps.has(ip)) {
        state.usedIps.add(ip);
        return ip;
      }
    }
    throw new Error(`node ${state.name} has no free pod IP`);
  };

  const release = (pod: Pod): void => {
    const state = pod.spec.nodeName ? nodes.get(pod.spec.nodeName) : undefined;
    const ip = pod.status?.podIP;
    if (state && ip) state.usedIps.delete(ip);
  };

  /** Moves one pod towards its next state, reading it fresh (the event may be old). */
  const step = async (uid: string, ns: string, name: string, want: 'run' | 'finish'): Promise<void> => {
    scheduled.delete(uid);
    for (let attempt = 0; attempt < 5; attempt++) {
      const pod = await api.get<Pod>('core/pods', ns, name);
      if (!pod || pod.metadata.uid !== uid || pod.metadata.deletionTimestamp) return;
      const state = pod.spec.nodeName ? nodes.get(pod.spec.nodeName) : undefined;
      if (!state || state.stopped) return;
      const phase = pod.status?.phase ?? 'Pending';
      let status: Pod['status'];
      if (want === 'run' && (phase === 'Pending' || (phase === 'Running' && !isReady(pod)))) status = runningStatus(pod, pod.status?.podIP ?? allocateIp(state), hostIp(state.index));
      else if (want === 'finish' && phase === 'Running') status = finishedStatus(pod, exitCodeOf(pod));
      else return;
      try {
        const written = await api.updateStatus<Pod>({ ...pod, status } as Pod);
        observe(written);
        return;
      } catch (err) {
        if (isReason(err, 'NotFound')) return;
        if (!isReason(err, 'Conflict')) throw err;
      }
    }
  };

  /** Decides what a pod bound to one of our nodes needs next. */
  const observe = (pod: Pod): void => {
    const uid = pod.metadata.uid ?? '';
    const state = pod.spec.nodeName ? nodes.get(pod.spec.nodeName) : undefined;
    if (!state || pod.metadata.deletionTimestamp) return;
    if (pod.status?.podIP) state.usedIps.add(pod.status.podIP);
    if (state.stopped) return;
    const phase = pod.status?.phase ?? 'Pending';
    // A Running pod that is not Ready was marked so while its node was silent: the node vouches for it again.
    const want = phase === 'Pending' || (phase === 'Running' && !isReady(pod)) ? 'run' : phase === 'Running' && finishes(pod) ? 'finish' : undefined;
    if (!want || scheduled.get(uid) === want) return;
    scheduled.set(uid, want);
    later(want === 'run' ? runDelayMs : runForMs, () => step(uid, pod.metadata.namespace ?? '', pod.metadata.name ?? '', want));
  };

  const watchLoop = async (): Promise<void> => {
    while (!abort.signal.aborted) {
      try {
        const listed = await api.list<Pod>('core/pods', undefined, (o) => nodes.has((o as Pod).spec?.nodeName ?? ''));
        for (const pod of listed.items) observe(pod);
        const started = await store.watch({ resource: 'core/pods', fromResourceVersion: listed.resourceVersion, signal: abort.signal });
        if (!started.ok) continue;
        for await (const ev of started.events) {
          const pod = ev.object as Pod;
          if (ev.type === 'DELETED') {
            release(pod);
            scheduled.delete(pod.metadata.uid ?? '');
          } else if (nodes.has(pod.spec?.nodeName ?? '')) {
            const phase = pod.status?.phase;
            if (phase === 'Succeeded' || phase === 'Failed') release(pod);
            else observe(pod);
          }
        }
      } catch (err) {
        if (abort.signal.aborted) return;
        logger?.warn({ err }, 'simulated nodes: pod watch failed; relisting');
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  };
  const watching = watchLoop();

  /** Picks up the pods already bound to a node that just joined or came back. */
  const resumePods = async (name: string): Promise<void> => {
    const listed = await api.list<Pod>('core/pods', undefined, (o) => (o as Pod).spec?.nodeName === name);
    for (const pod of listed.items) observe(pod);
  };

  const addNode = async (name?: string): Promise<string> => {
    const index = nextIndex();
    const nodeName = name ?? `${prefix}${index}`;
    if (nodes.has(nodeName)) return nodeName;
    track(nodeName, index);
    await registerNode(api, simulatedNode(nodeName, index));
    await renewLease(api, nodeName);
    return nodeName;
  };

  /** A Node someone created with the simulated annotation: fill in what a kubelet would post, then run it. */
  const adoptNode = async (node: Node): Promise<void> => {
    const name = node.metadata.name ?? '';
    const state = track(name, nextIndex());
    const template = simulatedNode(name, state.index);
    if (!node.status?.allocatable) {
      const labels = { ...template.metadata.labels, ...(node.metadata.labels ?? {}) };
      const withLabels = await api.update<Node>({ ...node, metadata: { ...node.metadata, labels }, spec: { ...template.spec, ...(node.spec ?? {}) } } as Node);
      await api.updateStatus({ ...withLabels, status: template.status } as KubeObject);
    }
    await renewLease(api, name);
    await resumePods(name);
  };

  const stopNode = (name: string): void => {
    const state = nodes.get(name);
    if (!state) return;
    state.stoppedByCall = true;
    state.stopped = true;
  };

  /** Back up once nothing holds the node down: Ready again, lease renewed, its pods picked up. */
  const resume = async (state: NodeState): Promise<void> => {
    if (!state.stopped || state.stoppedByCall || state.stoppedByAnnotation) return;
    state.stopped = false;
    await registerNode(api, simulatedNode(state.name, state.index));
    await renewLease(api, state.name);
    await resumePods(state.name);
  };

  const startNode = async (name: string): Promise<void> => {
    const state = nodes.get(name);
    if (!state) return;
    state.stoppedByCall = false;
    await resume(state);
  };

  /** followNodes: adoption and the stopped annotation, level-triggered from each Node event. */
  const onNode = async (node: Node, deleted: boolean): Promise<void> => {
    const name = node.metadata.name ?? '';
    const state = nodes.get(name);
    if (deleted) {
      // Gone from the cluster: stop simulating it (a Node created again under this name is adopted afresh).
      if (state) {
        nodes.delete(name);
        names.splice(names.indexOf(name), 1);
      }
      return;
    }
    const annotations = node.metadata.annotations ?? {};
    if (!state) {
      if (annotations[SIMULATED_ANNOTATION] === 'true' && !node.metadata.deletionTimestamp) await adoptNode(node);
      return;
    }
    state.stoppedByAnnotation = annotations[STOPPED_ANNOTATION] === 'true';
    if (state.stoppedByAnnotation) state.stopped = true;
    else await resume(state);
  };

  const followLoop = async (): Promise<void> => {
    while (!abort.signal.aborted) {
      try {
        const listed = await api.list<Node>('core/nodes');
        for (const node of listed.items) await onNode(node, false);
        const started = await store.watch({ resource: 'core/nodes', fromResourceVersion: listed.resourceVersion, signal: abort.signal });
        if (!started.ok) continue;
        for await (const ev of started.events) {
          if (ev.type === 'ADDED' || ev.type === 'MODIFIED' || ev.type === 'DELETED') await onNode(ev.object as Node, ev.type === 'DELETED');
        }
      } catch (err) {
        if (abort.signal.aborted) return;
        logger?.warn({ err }, 'simulated nodes: node watch failed; relisting');
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  };
  const following = options.followNodes ? followLoop() : Promise.resolve();

  return {
    names,
    addNode,
    stopNode,
    startNode,
    stop: async () => {
      abort.abort();
      clearInterval(heartbeat);
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await Promise.all([watching, following]);
    },
  };
}

/** Creates the Node, or marks an existing one Ready again (a restarted cluster's nodes come back). */
async function registerNode(api: ClusterApi, node: Node): Promise<void> {
  try {
    await api.create(node);
    return;
  } catch (err) {
    if (!isReason(err, 'AlreadyExists')) throw err;
  }
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await api.get<Node>('core/nodes', '', node.metadata.name ?? '');
    if (!current) return registerNode(api, node);
    try {
      await api.updateStatus({ ...current, status: node.status } as KubeObject);
      return;
    } catch (err) {
      if (!isReason(err, 'Conflict')) throw err;
    }
  }
}

async function renewLease(api: ClusterApi, node: string): Promise<void> {
  const now = microStamp();
  const current = await api.get<Lease>('coordination.k8s.io/leases', LEASE_NAMESPACE, node);
  if (!current) {
    const owner = await api.get<Node>('core/nodes', '', node);
    const lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: node,
        namespace: LEASE_NAMESPACE,
        ...(owner?.metadata.uid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: node, uid: owner.metadata.uid }] } : {}),
      },
      spec: { holderIdentity: node, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime: now },
    } as KubeObject;
    try {
      await api.create(lease);
    } catch (err) {
      if (!isReason(err, 'AlreadyExists')) throw err;
    }
    return;
  }
  try {
    await api.update({ ...current, spec: { ...(current.spec ?? {}), renewTime: now } } as KubeObject);
  } catch (err) {
    // Someone else wrote it meanwhile; the next heartbeat renews.
    if (!isReason(err, 'Conflict', 'NotFound')) throw err;
  }
}

function containerStatuses(pod: Pod, state: Record<string, unknown>, ready: boolean) {
  return pod.spec.containers.map((c) => ({
    name: c.name,
    image: c.image ?? '',
    imageID: `${c.image ?? ''}@sha256:${'0'.repeat(64)}`,
    containerID: `simulated://${randomBytes(16).toString('hex')}`,
    ready,
    started: ready,
    restartCount: 0,
    state,
  }));
}

export function runningStatus(pod: Pod, podIP: string, hostIP: string, now = new Date()): Pod['status'] {
  const t = stamp(now);
  const cond = (type: string) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: t });
  return {
    ...(pod.status ?? {}),
    phase: 'Running',
    hostIP,
    hostIPs: [{ ip: hostIP }],
    podIP,
    podIPs: [{ ip: podIP }],
    startTime: pod.status?.startTime ?? t,
    qosClass: pod.status?.qosClass ?? 'BestEffort',
    conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map(cond),
    containerStatuses: containerStatuses(pod, { running: { startedAt: t } }, true),
  } as Pod['status'];
}

export function finishedStatus(pod: Pod, exitCode: number, now = new Date()): Pod['status'] {
  const t = stamp(now);
  const started = pod.status?.startTime ?? t;
  const notReady = (type: string) => ({ type, status: 'False', lastProbeTime: null, lastTransitionTime: t, reason: 'PodCompleted' });
  const keep = (type: string) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: t });
  return {
    ...(pod.status ?? {}),
    phase: exitCode === 0 ? 'Succeeded' : 'Failed',
    conditions: [notReady('PodReadyToStartContainers'), keep('Initialized'), notReady('Ready'), notReady('ContainersReady'), keep('PodScheduled')],
    containerStatuses: containerStatuses(
      pod,
      { terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt: started, finishedAt: t, containerID: `simulated://${randomBytes(16).toString('hex')}` } },
      false,
    ),
  } as Pod['status'];
}
