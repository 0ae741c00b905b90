/**
 * The node agent (this system's kubelet): registers the Node with a pod CIDR of its own, heartbeats through its
 * Lease, learns the pods bound to it by one watch (`fieldSelector=spec.nodeName=<node>`, relisting after 410 or
 * a broken stream) and runs one PodWorker per pod. A relist of the runtime every second (the kubelet's PLEG)
 * tells workers about containers that changed on their own.
 *
 * Restart safety: on start the runtime is the only record. Every managed container is grouped by its pod-uid
 * label into a known state (known-state.ts); pods still bound here get a worker that adopts them (nothing healthy
 * is restarted: the planner only acts on what is not running as it should), pods the API no longer has get a
 * worker that removes their containers, and the IP allocation is rebuilt from the running sandboxes' IP labels.
 *
 * Idle cost: one Lease PUT per 10 s, one Node status GET+PUT per 5 min, one watch re-established per
 * server timeout (5–10 min): about 6.5 requests per node per minute.
 */
import type { Node } from '../shared/api/kinds/node.ts';
import { PodSchema, type Pod } from '../shared/api/kinds/pod.ts';
import { seedProbesFromStatus } from './adopted-probes.ts';
import { isReason, type NodeApi } from './api-client.ts';
import { readHostFacts, readHostResolvConf } from './node/host-facts.ts';
import { readInstanceMetadata } from './node/imds.ts';
import { NodeHeartbeat, LEASE_RENEW_MS } from './node/node-heartbeat.ts';
import type { NodeFacts } from './node/node-object.ts';
import { ensurePodCidr, registerNode } from './node/node-registration.ts';
import { CLUSTER_POD_CIDR } from './node/pod-cidr.ts';
import { nodeSelector, orphanPod, PodWorker, type IpPool, type WorkerContext, type WorkerLog } from './pod-worker.ts';
import { allocateIp, cidrRange, recoverAllocation, releaseIp, type IpAllocation } from './pod/ip-allocator.ts';
import { LABEL, recoverKnownStates } from './pod/known-state.ts';
import { currentSandbox, instancesOf, PodDesired } from './pod/pod-state.ts';
import type { ContainerRuntime, RuntimeContainer } from './runtime/container-runtime.ts';

export interface AgentOptions {
  api: NodeApi;
  /** The runtime, or how to make it once the node's pod CIDR is known (the pod network's bridge needs it). */
  runtime: ContainerRuntime | ((podCidr: string) => Promise<ContainerRuntime>);
  nodeName: string;
  /** Where volumes live (<dataDir>/pods, <dataDir>/volumes). */
  dataDir: string;
  /** InternalIP (default: IMDS local-ipv4 on EC2, else the host's first IPv4). */
  nodeIP?: string;
  /** The DNS server pods use (default: the gateway of the node's pod CIDR, where the agent's DNS listens). */
  dnsIP?: string;
  /** The node server's port (logs/exec), reported in status.daemonEndpoints. */
  serverPort?: number;
  /** IMDSv2 base URL; undefined: IMDS is never contacted. */
  imdsUrl?: string;
  clusterCidr?: string;
  /** Added to every container's labels (tests sweep by them). */
  extraLabels?: Record<string, string>;
  containerRuntimeVersion?: string;
  /** Runtime relist period. Default 1000 ms. */
  relistMs?: number;
  /** Lease renewal period. Default 10 s. */
  leaseRenewMs?: number;
  /** The Lease's leaseDurationSeconds (how long the node counts as alive without a renewal). Default 40. */
  leaseDurationSeconds?: number;
  /**
   * How pods are learnt: one long-held watch (default; fastest pod start), or a list every `pollMs` (cheaper on
   * AWS when idle: a held watch is billed as Lambda duration, a list is one short invocation).
   */
  podSync?: 'watch' | 'poll';
  /** The list period in poll mode. Default 10 s. */
  pollMs?: number;
  /** Asked of the server per watch; default: the server's choice (5–10 min). */
  watchTimeoutSeconds?: number;
  log?: WorkerLog & { error?(obj: object, msg: string): void };
  now?: () => number;
}

export interface NodeAgent {
  readonly node: Node;
  readonly podCidr: string;
  readonly dnsIP: string;
  /** The worker of each pod uid (tests, the node server). */
  readonly workers: ReadonlyMap<string, PodWorker>;
  /** The runtime container of a pod's container (`previous`: the instance before the current one), for logs. */
  resolveContainer(namespace: string, pod: string, container: string, opts: { previous: boolean }): { id: string } | { error: string };
  /** The runtime container owning a pod's network namespace (port-forward enters it). */
  sandboxOf(namespace: string, pod: string): { id: string } | { error: string };
  /** Stops watching, heartbeats and workers; containers keep running (the agent may come back and adopt them). */
  stop(): Promise<void>;
}

/** How long a finished pod's uid is remembered (longer than any watch delivers a late event). */
const FINISHED_MEMORY_MS = 15 * 60_000;

const silent: WorkerLog = { info: () => undefined, warn: () => undefined };

class Timer {
  private timer: NodeJS.Timeout | undefined;
  private wakeUp: (() => void) | undefined;
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.timer = setTimeout(resolve, ms);
      this.wakeUp = resolve;
    });
  }
  cancel(): void {
    clearTimeout(this.timer);
    this.wakeUp?.();
  }
}

/** The node's IP allocation as a small mutable pool over the pure allocator. */
function ipPool(initial: IpAllocation): IpPool {
  let state = initial;
  return {
    allocate() {
      const next = allocateIp(state);
      if (!next) return undefined;
      state = next.state;
      return next.ip;
    },
    release(ip) {
      state = releaseIp(state, ip);
    },
  };
}

export async function startNodeAgent(options: AgentOptions): Promise<NodeAgent> {
  const { api, nodeName } = options;
  const log = options.log ?? silent;
  const now = options.now ?? Date.now;
  const host = readHostFacts(options.dataDir);
  const instance = options.imdsUrl ? await readInstanceMetadata({ baseUrl: options.imdsUrl }) : undefined;
  const facts: NodeFacts = { name: nodeName, host };
  if (options.nodeIP) facts.nodeIP = options.nodeIP;
  if (instance) facts.instance = instance;
  if (options.serverPort !== undefined) facts.serverPort = options.serverPort;
  if (options.containerRuntimeVersion) facts.containerRuntimeVersion = options.containerRuntimeVersion;

  let node = await registerNode(api, facts, now());
  node = await ensurePodCidr(api, node, options.clusterCidr ?? CLUSTER_POD_CIDR);
  const podCidr = node.spec?.podCIDR ?? '';
  const heartbeat = new NodeHeartbeat(api, facts, now, options.leaseDurationSeconds);
  heartbeat.statusPosted(now());
  await heartbeat.renewLease();
  const hostIP = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? host.internalIP;
  const dnsIP = options.dnsIP ?? cidrRange(podCidr).gateway;
  const runtime = typeof options.runtime === 'function' ? await options.runtime(podCidr) : options.runtime;

  // Recovery: the runtime's containers are the known state; strays (our label, unreadable) are removed.
  const containers = await runtime.list(nodeSelector(nodeName));
  const { pods: recovered, strays } = recoverKnownStates(containers);
  for (const id of strays) await runtime.remove(id);
  const runningSandboxIps = containers.filter((c) => c.labels[LABEL.role] === 'sandbox' && c.state === 'running').map((c) => c.labels[LABEL.podIP] ?? '');
  const ips = ipPool(recoverAllocation(podCidr, runningSandboxIps));

  const workers = new Map<string, PodWorker>();
  /** Pods whose worker has removed everything: a late watch event for one must not start it again. */
  const finished = new Map<string, number>();
  let stopped = false;
  const ctx: WorkerContext = {
    runtime,
    api,
    nodeName,
    hostIP,
    dnsIP,
    hostResolv: readHostResolvConf(),
    dataDir: options.dataDir,
    ...(options.extraLabels ? { extraLabels: options.extraLabels } : {}),
    ips,
    now,
    log,
    onDone: (uid) => {
      workers.delete(uid);
      finished.set(uid, now());
    },
  };

  const fieldSelector = `spec.nodeName=${nodeName}`;
  const ensureWorker = (pod: Pod): void => {
    const uid = pod.metadata.uid ?? '';
    if (!uid || stopped || finished.has(uid)) return;
    const existing = workers.get(uid);
    if (existing) existing.update(pod);
    else {
      const adopted = recovered.get(uid)?.known;
      workers.set(uid, new PodWorker(ctx, pod, { known: adopted && seedProbesFromStatus(adopted, pod) }));
    }
    recovered.delete(uid);
  };
  /** A full list: every listed pod gets its worker; workers of pods not listed learn they are gone. */
  const syncAll = (pods: Pod[]): void => {
    const listed = new Set(pods.map((p) => p.metadata.uid));
    for (const pod of pods) ensureWorker(pod);
    for (const [uid, w] of workers) if (!listed.has(uid)) w.deleted();
  };

  let listed = await api.list<Pod>('core/pods', undefined, { fieldSelector });
  syncAll(listed.items);
  // Containers of pods the API no longer binds here: workers that only remove them.
  for (const [uid, pod] of recovered) {
    const known = { ...pod.known, desired: PodDesired.Removed };
    workers.set(uid, new PodWorker(ctx, orphanPod(pod.identity), { known, exists: false }));
    log.info({ pod: `${pod.identity.namespace}/${pod.identity.name}`, uid }, 'removing containers of a pod that no longer exists');
  }
  recovered.clear();

  const abort = new AbortController();
  const timers = { watch: new Timer(), heartbeat: new Timer(), relist: new Timer() };

  const watchLoop = async (): Promise<void> => {
    let rv = listed.resourceVersion;
    let failures = 0;
    while (!stopped) {
      try {
        const stream = api.watch('core/pods', { fieldSelector, resourceVersion: rv, signal: abort.signal, ...(options.watchTimeoutSeconds ? { timeoutSeconds: options.watchTimeoutSeconds } : {}) });
        for await (const ev of stream) {
          rv = ev.object.metadata.resourceVersion ?? rv;
          failures = 0;
          if (ev.type === 'BOOKMARK') continue;
          const pod = PodSchema.parse(ev.object);
          const uid = pod.metadata.uid ?? '';
          if (ev.type === 'DELETED' || pod.spec.nodeName !== nodeName) workers.get(uid)?.deleted();
          else ensureWorker(pod);
        }
        // The server ended the stream (its timeout): watch again from the last RV seen.
      } catch (err) {
        if (stopped) return;
        failures++;
        if (!isReason(err, 'Expired', 'Gone')) {
          log.warn({ err, failures }, 'pod watch broke; relisting');
          await timers.watch.sleep(Math.min(30_000, 500 * 2 ** (failures - 1)));
          if (stopped) return;
        }
        try {
          listed = await api.list<Pod>('core/pods', undefined, { fieldSelector });
          syncAll(listed.items);
          rv = listed.resourceVersion;
        } catch (listErr) {
          log.warn({ err: listErr }, 'pod relist failed');
        }
      }
    }
  };

  const heartbeatLoop = async (): Promise<void> => {
    while (!stopped) {
      await timers.heartbeat.sleep(options.leaseRenewMs ?? LEASE_RENEW_MS);
      if (stopped) return;
      const beat = await heartbeat.beat();
      if (beat.error) log.warn({ err: beat.error }, 'node heartbeat failed');
    }
  };

  const relistLoop = async (): Promise<void> => {
    while (!stopped) {
      await timers.relist.sleep(options.relistMs ?? 1000);
      if (stopped) return;
      try {
        const at = now();
        const all = await runtime.list(nodeSelector(nodeName));
        const byPod = new Map<string, RuntimeContainer[]>();
        for (const c of all) {
          const uid = c.labels[LABEL.podUid] ?? '';
          byPod.set(uid, [...(byPod.get(uid) ?? []), c]);
        }
        for (const [uid, w] of workers) w.observe(byPod.get(uid) ?? [], at);
        for (const [uid, at0] of finished) if (at - at0 > FINISHED_MEMORY_MS) finished.delete(uid);
      } catch (err) {
        log.warn({ err }, 'runtime relist failed');
      }
    }
  };

  /** Poll mode: a full list every period stands in for the watch (a deleted pod is one not listed). */
  const pollLoop = async (): Promise<void> => {
    while (!stopped) {
      await timers.watch.sleep(options.pollMs ?? 10_000);
      if (stopped) return;
      try {
        listed = await api.list<Pod>('core/pods', undefined, { fieldSelector });
        if (!stopped) syncAll(listed.items);
      } catch (err) {
        log.warn({ err }, 'pod list failed');
      }
    }
  };

  const loops = [options.podSync === 'poll' ? pollLoop() : watchLoop(), heartbeatLoop(), relistLoop()];
  log.info({ node: nodeName, podCidr, dnsIP, pods: workers.size }, 'node agent started');

  /** A pod's worker; when a pod was replaced by one of the same name, the live one rather than the one going away. */
  const workerOf = (namespace: string, pod: string): PodWorker | undefined => {
    const named = [...workers.values()].filter((w) => w.identity.namespace === namespace && w.identity.name === pod);
    return named.find((w) => w.knownState().desired !== PodDesired.Removed) ?? named[0];
  };

  return {
    node,
    podCidr,
    dnsIP,
    workers,
    sandboxOf(namespace, pod) {
      const worker = workerOf(namespace, pod);
      const sandbox = worker && currentSandbox(worker.knownState());
      if (!sandbox || sandbox.state !== 'running') return { error: `pod "${pod}" has no running sandbox on node ${nodeName}` };
      return { id: sandbox.id };
    },
    resolveContainer(namespace, pod, container, opts) {
      const worker = workerOf(namespace, pod);
      if (!worker) return { error: `pod "${pod}" not found on node ${nodeName}` };
      const known = worker.knownState();
      const role = known.containers.some((c) => c.name === container && c.role === 'app') ? 'app' : 'init';
      const [latest, previous] = instancesOf(known, container, role);
      if (opts.previous) return previous ? { id: previous.id } : { error: `previous terminated container "${container}" in pod "${pod}" not found` };
      return latest ? { id: latest.id } : { error: `container "${container}" in pod "${pod}" is waiting to start: ContainerCreating` };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      abort.abort();
      for (const t of Object.values(timers)) t.cancel();
      await Promise.all(loops);
      await Promise.all([...workers.values()].map((w) => w.stop()));
    },
  };
}
