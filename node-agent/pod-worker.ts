/**
 * One serial worker per pod (the ECS agent's task_manager, the kubelet's pod worker): a loop of
 *   planPodStep(pod, known, now) → apply the action through the ContainerRuntime → record the outcome in the
 *   known state → (when idle) write the pod status if it changed → wait for the next due time or a change.
 * The pod comes from the API (newest version seen), the known state from the worker's own actions and from the
 * agent's periodic runtime relist (`observe`), so a container that exits on its own is noticed within a relist.
 * Nothing here decides Kubernetes behaviour: that is the pure core in pod/ (planner, status, lifecycle rules).
 */
import { mkdir } from 'node:fs/promises';
import type { ConfigMap } from '../shared/api/kinds/configmap.ts';
import type { Pod, PodStatus } from '../shared/api/kinds/pod.ts';
import type { Secret } from '../shared/api/kinds/secret.ts';
import { isReason, type NodeApi } from './api-client.ts';
import { resolvConf } from './network/dns-records.ts';
import { containerMounts, preparePodVolumes, removePodVolumes, volumeReferences } from './pod-volumes.ts';
import { podContainers } from './pod/container-lifecycle.ts';
import { containerCommand, containerEnv, containerLimits, envReferences } from './pod/container-config.ts';
import { containerLabels, knownContainerFrom, LABEL, MANAGED_SELECTOR, runtimeContainerName, sandboxLabels, type PodIdentity } from './pod/known-state.ts';
import { withContainer, withImageResult, withoutContainers, withProbeResult, withSandbox, withStartError } from './pod/known-updates.ts';
import { desiredFor, planPodStep, type PodAction } from './pod/plan-pod-step.ts';
import { advanceDesired, currentSandbox, PodDesired, type KnownPodState } from './pod/pod-state.ts';
import { computePodStatus } from './pod/pod-status.ts';
import { runProbe } from './probe-runner.ts';
import type { ContainerRuntime, RuntimeContainer, RuntimeContainerState } from './runtime/container-runtime.ts';

/** Every container carries its node's name: several agents may share one engine (tests, one dockerd). */
export const NODE_LABEL = 'zeroplane.io/node';

/** What the agent lists from the runtime: only the containers of this node. */
export function nodeSelector(nodeName: string): Record<string, string> {
  return { ...MANAGED_SELECTOR, [NODE_LABEL]: nodeName };
}

/** The kubelet's minimum grace period, used for containers of pods the API no longer knows (orphans). */
export const ORPHAN_GRACE_SECONDS = 2;
const MAX_ERROR_BACKOFF_MS = 30_000;

export interface IpPool {
  allocate(): string | undefined;
  release(ip: string): void;
}

export interface WorkerLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface WorkerContext {
  runtime: ContainerRuntime;
  api: NodeApi;
  nodeName: string;
  hostIP: string;
  /** The cluster DNS server every ClusterFirst pod's resolv.conf names. */
  dnsIP: string;
  hostResolv: { nameservers: string[]; searches: string[] };
  dataDir: string;
  /** Added to every container's labels (tests sweep by them). */
  extraLabels?: Record<string, string>;
  ips: IpPool;
  now: () => number;
  log: WorkerLog;
  /** The worker has removed everything of its pod and ended. */
  onDone: (uid: string) => void;
}

/** JSON with sorted keys: two statuses that differ only in key order are the same status. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}

const STATE_ORDER: Record<RuntimeContainerState, number> = { created: 0, running: 1, exited: 2, unknown: -1 };

/** resourceVersions are decimal here; a newer one is larger. Anything else counts as newer when different. */
function isNewer(next: string | undefined, current: string | undefined): boolean {
  if (!next || !current) return true;
  if (/^\d+$/.test(next) && /^\d+$/.test(current)) return BigInt(next) > BigInt(current);
  return next !== current;
}

function isTerminalPhase(phase: string | undefined): boolean {
  return phase === 'Succeeded' || phase === 'Failed';
}

/** A stand-in pod for containers whose pod the API no longer has: enough for the planner to remove them. */
export function orphanPod(identity: PodIdentity): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: identity.name, namespace: identity.namespace, uid: identity.uid },
    spec: { containers: [], terminationGracePeriodSeconds: ORPHAN_GRACE_SECONDS },
  } as Pod;
}

export class PodWorker {
  readonly uid: string;
  readonly identity: PodIdentity;
  private pod: Pod;
  /** The pod object still exists in the API (false once deleted, and for orphans). */
  private exists: boolean;
  private known: KnownPodState;
  /** What we last sent as status: a server that normalises it differently must not make us write forever. */
  private lastSent: string | undefined;
  private stopped = false;
  private wakeUp: (() => void) | undefined;
  private woken = false;
  readonly done: Promise<void>;
  /** Actions applied, by type (tests and metrics). */
  readonly applied = new Map<string, number>();

  constructor(
    private readonly ctx: WorkerContext,
    pod: Pod,
    options: { known?: KnownPodState; exists?: boolean } = {},
  ) {
    this.pod = pod;
    this.uid = pod.metadata.uid ?? '';
    this.identity = { uid: this.uid, namespace: pod.metadata.namespace ?? '', name: pod.metadata.name ?? '' };
    this.exists = options.exists ?? true;
    this.known = options.known ?? { desired: PodDesired.Running, sandboxes: [], containers: [], images: {}, probes: {}, startErrors: {} };
    this.done = this.run();
  }

  /** A newer version of the pod from the API. */
  update(pod: Pod): void {
    if (!this.exists || !isNewer(pod.metadata.resourceVersion, this.pod.metadata.resourceVersion)) return;
    this.pod = pod;
    this.wake();
  }

  /** The pod object is gone from the API (or no longer bound here). */
  deleted(): void {
    if (!this.exists) return;
    this.exists = false;
    this.wake();
  }

  /**
   * What the runtime listed for this pod at `listedAt`. Only forward state changes are taken (a list taken
   * before our own kill must not bring a container back to running); an instance gone from a list taken after
   * it was created was removed behind our back.
   */
  observe(containers: RuntimeContainer[], listedAt: number): void {
    let known = this.known;
    const seen = new Set(containers.map((c) => c.id));
    for (const c of containers) {
      const sandbox = known.sandboxes.find((s) => s.id === c.id);
      if (sandbox) {
        if (STATE_ORDER[c.state] > STATE_ORDER[sandbox.state]) known = withSandbox(known, { ...sandbox, state: c.state });
        continue;
      }
      const existing = known.containers.find((k) => k.id === c.id);
      if (!existing || STATE_ORDER[c.state] <= STATE_ORDER[existing.state]) continue;
      known = withContainer(known, { ...knownContainerFrom(c, existing.name, existing.role, existing.attempt), ...(existing.backoff ? { backoff: existing.backoff } : {}) });
    }
    const vanished = [...known.sandboxes, ...known.containers].filter((k) => !seen.has(k.id) && k.createdAt < listedAt - 1000).map((k) => k.id);
    if (vanished.length) {
      for (const s of known.sandboxes) if (vanished.includes(s.id) && s.state === 'running') this.ctx.ips.release(s.ip);
      known = withoutContainers(known, vanished);
    }
    if (known !== this.known) {
      this.known = known;
      this.wake();
    }
  }

  /** Ends the loop after the current action; containers are left as they are (agent shutdown). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.done;
  }

  knownState(): KnownPodState {
    return this.known;
  }

  private wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  private async sleepUntil(until: number | undefined): Promise<void> {
    if (this.woken || this.stopped) {
      this.woken = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = until === undefined ? undefined : setTimeout(resolve, Math.max(0, until - this.ctx.now()));
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wakeUp = undefined;
    this.woken = false;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      const now = this.ctx.now();
      try {
        const status = computePodStatus(this.pod, this.known, now, { hostIP: this.ctx.hostIP });
        this.known = { ...this.known, desired: advanceDesired(this.known.desired, desiredFor(this.exists ? this.pod : undefined, status)) };
        const action = planPodStep(this.pod, this.known, now);
        if (action.type === 'done') {
          await removePodVolumes(this.ctx.dataDir, this.uid);
          this.ctx.onDone(this.uid);
          return;
        }
        if (action.type === 'wait') {
          await this.writeStatus();
          failures = 0;
          await this.sleepUntil(action.until);
          continue;
        }
        this.applied.set(action.type, (this.applied.get(action.type) ?? 0) + 1);
        await this.apply(action);
        failures = 0;
      } catch (err) {
        failures++;
        const delay = Math.min(MAX_ERROR_BACKOFF_MS, 500 * 2 ** (failures - 1));
        this.ctx.log.warn({ err, pod: `${this.identity.namespace}/${this.identity.name}`, uid: this.uid, failures }, 'pod worker step failed; retrying');
        await this.sleepUntil(this.ctx.now() + delay);
      }
    }
  }

  private nodeFacts() {
    return { hostIP: this.ctx.hostIP };
  }

  /** Writes pods/status when what we would report differs from what the API shows (and from what we last sent). */
  private async writeStatus(): Promise<void> {
    if (!this.exists || isTerminalPhase(this.pod.status?.phase)) return;
    for (let attempt = 0; attempt < 3; attempt++) {
      const status = computePodStatus(this.pod, this.known, this.ctx.now(), this.nodeFacts());
      const text = canonical(status);
      if (text === canonical(this.pod.status ?? {}) || text === this.lastSent) return;
      try {
        this.lastSent = text;
        const written = await this.ctx.api.updateStatus<Pod>({ ...this.pod, status });
        this.pod = written;
        return;
      } catch (err) {
        this.lastSent = undefined;
        if (isReason(err, 'NotFound')) {
          this.exists = false;
          return;
        }
        if (!isReason(err, 'Conflict')) throw err;
        const fresh = await this.ctx.api.get<Pod>('core/pods', this.identity.namespace, this.identity.name);
        if (!fresh || fresh.metadata.uid !== this.uid) {
          this.exists = false;
          return;
        }
        this.pod = fresh;
      }
    }
  }

  private async apply(action: Exclude<PodAction, { type: 'wait' } | { type: 'done' }>): Promise<void> {
    const { runtime } = this.ctx;
    switch (action.type) {
      case 'createSandbox':
        return this.createSandbox();
      case 'ensureImage': {
        const result = await runtime.ensureImage(action.image, action.mode);
        this.known = withImageResult(this.known, action.container, action.image, result, action.attempt, this.ctx.now());
        return;
      }
      case 'startContainer':
        return this.startContainer(action);
      case 'startCreated': {
        await runtime.start(action.id).catch(() => undefined);
        await this.refresh([action.id]);
        return;
      }
      case 'killContainers': {
        this.ctx.log.info({ pod: `${this.identity.namespace}/${this.identity.name}`, reason: action.reason, ids: action.ids }, action.message);
        await Promise.all(action.ids.map((id) => runtime.stop(id, action.graceSeconds)));
        await this.refresh(action.ids);
        return;
      }
      case 'probe': {
        const spec = podContainers(this.pod).find((c) => c.spec.name === action.container)?.spec;
        const ip = currentSandbox(this.known)?.ip ?? '';
        const ok = spec ? await runProbe(runtime, action.spec, { containerId: action.containerId, podIP: ip, container: spec }) : false;
        this.known = withProbeResult(this.known, action.containerId, action.probe, action.spec, ok, this.ctx.now());
        return;
      }
      case 'removeContainers': {
        for (const id of action.ids) await runtime.remove(id);
        for (const s of this.known.sandboxes) if (action.ids.includes(s.id) && s.state === 'running') this.ctx.ips.release(s.ip);
        this.known = withoutContainers(this.known, action.ids);
        return;
      }
      case 'stopSandbox': {
        await runtime.stop(action.sandboxId, 10);
        const sandbox = this.known.sandboxes.find((s) => s.id === action.sandboxId);
        const info = await runtime.inspect(action.sandboxId);
        if (sandbox) {
          // The sandbox's network namespace is gone with it, and so is its use of the IP.
          this.ctx.ips.release(sandbox.ip);
          this.known = info ? withSandbox(this.known, { ...sandbox, state: info.state === 'running' ? 'exited' : info.state }) : withoutContainers(this.known, [sandbox.id]);
        }
        return;
      }
      case 'finalizeStatus':
        await this.finalize();
        this.known = { ...this.known, statusFinalized: true };
        return;
    }
  }

  private async createSandbox(): Promise<void> {
    const ip = this.ctx.ips.allocate();
    if (!ip) throw new Error('no free pod IP left in the node pod CIDR');
    const pod = this.pod;
    try {
      const id = await this.ctx.runtime.createSandbox({
        podUid: this.uid,
        namespace: this.identity.namespace,
        podName: this.identity.name,
        hostname: (pod.spec.hostname ?? this.identity.name).slice(0, 63),
        ip,
        resolvConf: resolvConf({
          namespace: this.identity.namespace,
          dnsPolicy: pod.spec.dnsPolicy,
          dnsConfig: pod.spec.dnsConfig as never,
          hostNetwork: pod.spec.hostNetwork,
          nameserver: this.ctx.dnsIP,
          host: this.ctx.hostResolv,
        }),
        labels: { ...this.ctx.extraLabels, ...sandboxLabels(this.identity, ip), [NODE_LABEL]: this.ctx.nodeName },
      });
      const info = await this.ctx.runtime.inspect(id);
      this.known = withSandbox(this.known, { id, ip, state: info?.state ?? 'running', createdAt: info?.createdAt ?? this.ctx.now() });
    } catch (err) {
      this.ctx.ips.release(ip);
      throw err;
    }
  }

  /** The ConfigMaps and Secrets of the pod's namespace that `names` lists; absent ones map to undefined. */
  private async fetch<T extends ConfigMap | Secret>(resource: 'core/configmaps' | 'core/secrets', names: Set<string>): Promise<Map<string, T | undefined>> {
    const out = new Map<string, T | undefined>();
    await Promise.all([...names].map(async (n) => out.set(n, await this.ctx.api.get<T>(resource, this.identity.namespace, n))));
    return out;
  }

  private async startContainer(action: Extract<PodAction, { type: 'startContainer' }>): Promise<void> {
    const pod = this.pod;
    const entry = podContainers(pod).find((c) => c.spec.name === action.container && c.role === action.role);
    const sandbox = currentSandbox(this.known);
    if (!entry || !sandbox) return;
    const spec = entry.spec;
    const startError = (reason: string, message: string) => {
      this.known = withStartError(this.known, action.container, { reason, message, at: this.ctx.now(), forAttempt: action.attempt });
    };
    const envRefs = envReferences(spec);
    const volRefs = volumeReferences(pod);
    const [configMaps, secrets] = await Promise.all([
      this.fetch<ConfigMap>('core/configmaps', new Set([...envRefs.configMaps, ...volRefs.configMaps])),
      this.fetch<Secret>('core/secrets', new Set([...envRefs.secrets, ...volRefs.secrets])),
    ]);
    const env = containerEnv(pod, spec, { configMaps, secrets }, { podIP: sandbox.ip, hostIP: this.ctx.hostIP, nodeName: this.ctx.nodeName });
    if (!env.ok) return startError(env.reason, env.message);
    const volumes = await preparePodVolumes(pod, this.ctx.dataDir, { configMaps, secrets });
    if (!volumes.ok) return startError(volumes.reason, volumes.message);
    const mounts = containerMounts(pod, spec, volumes.paths);
    if ('error' in mounts) return startError('CreateContainerConfigError', mounts.error);
    for (const m of spec.volumeMounts ?? []) {
      if (m.subPath) await mkdir(mounts.find((x) => x.containerPath === m.mountPath)!.hostPath, { recursive: true });
    }
    let id: string;
    try {
      id = await this.ctx.runtime.createContainer({
        sandboxId: sandbox.id,
        name: runtimeContainerName(this.identity, action.container, action.attempt),
        image: spec.image ?? '',
        ...containerCommand(spec, env.env),
        env: env.env,
        ...(spec.workingDir ? { workingDir: spec.workingDir } : {}),
        mounts,
        ...containerLimits(spec),
        tty: spec.tty === true,
        stdin: spec.stdin === true,
        labels: { ...this.ctx.extraLabels, ...containerLabels(this.identity, action.container, action.role, action.attempt, action.backoff), [NODE_LABEL]: this.ctx.nodeName },
      });
    } catch (err) {
      return startError('CreateContainerError', err instanceof Error ? err.message : String(err));
    }
    // A failed start shows in the container itself (created, with the engine's error): the planner's business.
    await this.ctx.runtime.start(id).catch(() => undefined);
    const info = await this.ctx.runtime.inspect(id);
    if (info) this.known = withContainer(this.known, knownContainerFrom(info, action.container, action.role, action.attempt));
  }

  /** Reads the runtime's view of these instances into the known state. */
  private async refresh(ids: string[]): Promise<void> {
    for (const id of ids) {
      const info = await this.ctx.runtime.inspect(id);
      const existing = this.known.containers.find((c) => c.id === id);
      if (!existing) continue;
      if (!info) {
        this.known = withoutContainers(this.known, [id]);
        continue;
      }
      const fresh = knownContainerFrom(info, existing.name, existing.role, existing.attempt);
      this.known = withContainer(this.known, existing.backoff && !info.labels[LABEL.backoff] ? { ...fresh, backoff: existing.backoff } : fresh);
    }
  }

  /**
   * The kubelet's last words about a deleted pod: its terminal status, then the delete with grace period 0 and
   * the uid as precondition (a pod of the same name created meanwhile is left alone). Orphans have neither.
   */
  private async finalize(): Promise<void> {
    if (!this.exists) return;
    const ref = { apiVersion: 'v1', kind: 'Pod', namespace: this.identity.namespace, name: this.identity.name };
    for (let attempt = 0; attempt < 3 && this.exists; attempt++) {
      const status: PodStatus = computePodStatus(this.pod, this.known, this.ctx.now(), this.nodeFacts());
      try {
        if (canonical(status) !== canonical(this.pod.status ?? {})) this.pod = await this.ctx.api.updateStatus<Pod>({ ...this.pod, status });
        break;
      } catch (err) {
        if (isReason(err, 'NotFound')) return;
        if (!isReason(err, 'Conflict')) throw err;
        const fresh = await this.ctx.api.get<Pod>('core/pods', this.identity.namespace, this.identity.name);
        if (!fresh || fresh.metadata.uid !== this.uid) return;
        this.pod = fresh;
      }
    }
    try {
      await this.ctx.api.delete(ref, { preconditionUid: this.uid, gracePeriodSeconds: 0 });
    } catch (err) {
      if (!isReason(err, 'NotFound', 'Conflict')) throw err;
    }
  }
}
