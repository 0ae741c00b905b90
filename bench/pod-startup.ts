/**
 * `npm run bench:pod-startup`: how fast a real node starts pods, next to `docker run` of the same image measured in
 * the same run, and what an idle node costs in API requests.
 *
 * One local cluster runs in this process (DynamoDB Local + the SQS emulator, controllers and scheduler on) and one
 * real node agent (the production agent code over HTTPS with a node credential, the Docker runtime, its pod bridge
 * inside a throwaway network namespace this bench creates: nothing is added to the host namespace). Phases:
 *   1. baseline: `docker run -d --network none zp/busybox:1 sleep 3600` (the CLI, as a user types it) and the same
 *      create+start through the Engine API (what the agent's runtime calls), N sequential each, and BURST CLI runs
 *      at once (the baseline of the pod burst);
 *   2. pod start: a Pod bound to the node (spec.nodeName) created through the API, timed until a watch shows it
 *      Running and Ready; N sequential, then a burst created at once, then a Deployment through the scheduler
 *      (time to Available);
 *   3. idle: no pods; the agent's API requests by verb and path over IDLE_SECONDS, and how long a watch was held
 *      open (on AWS a held watch is billed as Lambda duration).
 * Every container carries the bench's labels and is removed at the end, also on failure or Ctrl-C.
 *
 * Figures, not assertions: the goal checks are printed (and the exit code is 0 either way).
 * Env: QUICK=1 (smoke run: N=5, burst 5, deployment 3, 10 s idle), N (sequential samples, default 20),
 * BURST (pods created at once, default 10), REPLICAS (default 10), IDLE_SECONDS (default 60),
 * POD_SYNC (watch|poll, default watch), POLL_SECONDS (poll period, default 10).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { pino } from 'pino';
import { startLocalCluster, type LocalCluster } from '../local/cluster.ts';
import { ensureAdminToken } from '../local/kubeconfig.ts';
import { ensureTls } from '../local/tls.ts';
import { repoRoot } from '../local/tools.ts';
import { startNodeAgent, type NodeAgent } from '../node-agent/agent.ts';
import { createHttpApi, type NodeApi, type NodeWatchEvent, type WatchOptions } from '../node-agent/api-client.ts';
import { createPodNetwork, type PodNetwork } from '../node-agent/network/pod-network.ts';
import { cidrRange } from '../node-agent/pod/ip-allocator.ts';
import { LABEL } from '../node-agent/pod/known-state.ts';
import { createDockerRuntime } from '../node-agent/runtime/docker-runtime.ts';
import type { ResourceKey } from '../functions/store/object-store.ts';
import type { KubeObject } from '../shared/api/object.ts';
import type { Pod } from '../shared/api/kinds/pod.ts';
import { createNetns, deleteNetns, sweepContainers, testLabels } from '../test/node-agent/support/throwaway.ts';
import { summarize, type Summary } from './stats.ts';

const exec = promisify(execFile);
const quick = process.env.QUICK === '1';
const envNumber = (name: string, normal: number, smoke: number) => Number(process.env[name] ?? (quick ? smoke : normal));
const N = envNumber('N', 20, 5);
const BURST = envNumber('BURST', 10, 5);
const REPLICAS = envNumber('REPLICAS', 10, 3);
const IDLE_SECONDS = envNumber('IDLE_SECONDS', 60, 10);
const POD_SYNC = (process.env.POD_SYNC ?? 'watch') as 'watch' | 'poll';
const POLL_SECONDS = Number(process.env.POLL_SECONDS ?? 10);
const IMAGE = 'zp/busybox:1';
const NAMESPACE = 'default';
/** Containers and the namespace carry this tag and the process id (test/node-agent/support/throwaway.ts). */
const TAG = 'bench-pod-startup';
/** One pod start that takes longer than this is a failure, not a figure. */
const START_TIMEOUT_MS = 120_000;

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const docker = new Docker();

// ---------------------------------------------------------------------------------------------------------------
// Watching: the first moment each object satisfies a condition, as an event arrives on one long watch.

interface Waiter {
  name: string;
  check: (obj: KubeObject) => boolean;
  resolve: (at: number) => void;
}

/** One watch over a resource in a namespace, re-established when the server ends it; waiters get the arrival time. */
class WatchTracker {
  private readonly waiters = new Set<Waiter>();
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(
    private readonly api: NodeApi,
    private readonly resource: ResourceKey,
    private readonly namespace: string,
  ) {}

  async start(): Promise<void> {
    let rv = (await this.api.list(this.resource, this.namespace)).resourceVersion;
    this.loop = (async () => {
      while (!this.abort.signal.aborted) {
        try {
          for await (const ev of this.api.watch(this.resource, { namespace: this.namespace, resourceVersion: rv, signal: this.abort.signal })) {
            const at = performance.now();
            rv = ev.object.metadata.resourceVersion ?? rv;
            if (ev.type === 'ADDED' || ev.type === 'MODIFIED') this.offer(ev.object, at);
          }
        } catch (err) {
          if (this.abort.signal.aborted) return;
          log(`watch of ${this.resource} broke (${err instanceof Error ? err.message : String(err)}); relisting`);
          const listed = await this.api.list(this.resource, this.namespace);
          rv = listed.resourceVersion;
          for (const obj of listed.items) this.offer(obj, performance.now());
        }
      }
    })();
  }

  private offer(obj: KubeObject, at: number): void {
    for (const w of this.waiters) {
      if (w.name === obj.metadata.name && w.check(obj)) {
        this.waiters.delete(w);
        w.resolve(at);
      }
    }
  }

  /** Resolves with the arrival time of the first event for `name` that passes `check` (register before creating). */
  until(name: string, check: (obj: KubeObject) => boolean, what: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`${what} ${name}: not seen within ${START_TIMEOUT_MS / 1000} s`));
      }, START_TIMEOUT_MS);
      const waiter: Waiter = {
        name,
        check,
        resolve: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
      };
      this.waiters.add(waiter);
    });
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }
}

const runningAndReady = (obj: KubeObject): boolean => {
  const pod = obj as Pod;
  return pod.status?.phase === 'Running' && pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
};

// ---------------------------------------------------------------------------------------------------------------
// The agent's API use: requests by class, and how long a watch was open.

interface RequestRecord {
  at: number;
  method: string;
  path: string;
}

/** `PUT /apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{node}`, `GET /api/v1/pods (watch)`. */
function requestClass(method: string, path: string, nodeName: string): string {
  const [bare, queryText = ''] = path.split('?');
  const q = new URLSearchParams(queryText);
  const shape = q.get('watch') === 'true' ? ' (watch)' : q.has('fieldSelector') || q.has('labelSelector') ? ' (list)' : '';
  return `${method} ${bare!.replaceAll(encodeURIComponent(nodeName), '{node}').replace(/\/namespaces\/[^/]+\/pods\/[^/]+/, '/namespaces/{ns}/pods/{pod}')}${shape}`;
}

/** The agent's NodeApi with each watch's open interval recorded (the stream is open from first pull to its end). */
function watchTimed(api: NodeApi & { close(): void }, intervals: Array<{ from: number; to?: number }>): NodeApi & { close(): void } {
  return {
    ...api,
    watch(resource: ResourceKey, options: WatchOptions): AsyncIterable<NodeWatchEvent> {
      return (async function* () {
        const interval: { from: number; to?: number } = { from: performance.now() };
        intervals.push(interval);
        try {
          yield* api.watch(resource, options);
        } finally {
          interval.to = performance.now();
        }
      })();
    },
  };
}

/** Seconds of open watch inside [from, to]. */
function openSeconds(intervals: ReadonlyArray<{ from: number; to?: number }>, from: number, to: number): number {
  let ms = 0;
  for (const i of intervals) ms += Math.max(0, Math.min(i.to ?? to, to) - Math.max(i.from, from));
  return ms / 1000;
}

// ---------------------------------------------------------------------------------------------------------------
// Phase 1: docker run

async function dockerCliRun(i: number): Promise<string> {
  const labels = Object.entries(testLabels(TAG)).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
  const { stdout } = await exec('docker', ['run', '-d', '--network', 'none', ...labels, '--name', `zp-bench-cli-${process.pid}-${i}`, IMAGE, 'sleep', '3600']);
  return stdout.trim();
}

async function engineApiRun(i: number): Promise<string> {
  const c = await docker.createContainer({
    name: `zp-bench-api-${process.pid}-${i}`,
    Image: IMAGE,
    Cmd: ['sleep', '3600'],
    Labels: testLabels(TAG),
    HostConfig: { NetworkMode: 'none' },
  });
  await c.start();
  return c.id;
}

async function baseline(run: (i: number) => Promise<string>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    const id = await run(i);
    samples.push(performance.now() - t0);
    // Removed between samples so each run meets the same daemon state as a pod start does.
    await docker.getContainer(id).remove({ force: true });
  }
  return samples;
}

/** BURST `docker run`s at once: each one's time from the burst's start (the baseline of a pod burst). */
async function baselineBurst(): Promise<number[]> {
  const t0 = performance.now();
  const ran = await Promise.all(
    Array.from({ length: BURST }, async (_, i) => {
      const id = await dockerCliRun(1000 + i);
      return { id, ms: performance.now() - t0 };
    }),
  );
  await Promise.all(ran.map((r) => docker.getContainer(r.id).remove({ force: true })));
  return ran.map((r) => r.ms);
}

// ---------------------------------------------------------------------------------------------------------------
// Phase 2: pods

function benchPod(name: string, nodeName: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NAMESPACE, labels: { app: 'bench-pod' } },
    spec: {
      nodeName,
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'app', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }],
    },
  } as Pod;
}

/** Containers the agent made for pods (sandbox + app), any pod. */
async function podContainerCount(): Promise<number> {
  const found = await docker.listContainers({ all: true, filters: { label: [`zp-test=${TAG}`, LABEL.podUid] } });
  return found.length;
}

/** Waits until no pod object is left in the namespace and the agent has removed every pod container. */
async function drain(api: NodeApi, what: string): Promise<void> {
  const deadline = performance.now() + 120_000;
  for (;;) {
    const pods = (await api.list<Pod>('core/pods', NAMESPACE)).items.length;
    const containers = await podContainerCount();
    if (pods === 0 && containers === 0) return;
    if (performance.now() > deadline) throw new Error(`${what}: ${pods} pods and ${containers} containers still there after 120 s`);
    await sleep(250);
  }
}

async function deletePods(api: NodeApi, names: string[]): Promise<void> {
  await Promise.all(names.map((name) => api.delete({ apiVersion: 'v1', kind: 'Pod', namespace: NAMESPACE, name }).catch(() => undefined)));
}

async function sequentialPods(api: NodeApi, pods: WatchTracker, nodeName: string): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < N; i++) {
    const name = `seq-${i}`;
    const ready = pods.until(name, runningAndReady, 'pod');
    const t0 = performance.now();
    await api.create(benchPod(name, nodeName));
    samples.push((await ready) - t0);
    await deletePods(api, [name]);
    await drain(api, `pod ${name}`);
  }
  return samples;
}

/** All pods created at once (concurrent POSTs); each pod's time from the burst's start, and the time to all. */
async function burstPods(api: NodeApi, pods: WatchTracker, nodeName: string): Promise<{ samples: number[]; allMs: number }> {
  const names = Array.from({ length: BURST }, (_, i) => `burst-${i}`);
  const ready = names.map((name) => pods.until(name, runningAndReady, 'pod'));
  const t0 = performance.now();
  await Promise.all(names.map((name) => api.create(benchPod(name, nodeName))));
  const at = await Promise.all(ready);
  const samples = at.map((t) => t - t0);
  await deletePods(api, names);
  await drain(api, 'burst');
  return { samples, allMs: Math.max(...samples) };
}

/** A Deployment through the scheduler: each pod's Ready time from the Deployment's creation, and time to Available. */
async function deploymentPods(api: NodeApi, deployments: WatchTracker): Promise<{ samples: number[]; bound: number[]; availableMs: number }> {
  const name = 'bench-deploy';
  const podReady = new Map<string, number>();
  /** When the scheduler's binding was seen: the control plane's share of each pod's start. */
  const podBound = new Map<string, number>();
  const available = deployments.until(
    name,
    (obj) => {
      const status = (obj as { status?: { availableReplicas?: number; updatedReplicas?: number; conditions?: Array<{ type: string; status: string }> } }).status;
      return status?.availableReplicas === REPLICAS && status.updatedReplicas === REPLICAS && status.conditions?.some((c) => c.type === 'Available' && c.status === 'True') === true;
    },
    'deployment',
  );
  // Pod names are the ReplicaSet's; every pod of the Deployment is caught by its label on this process's watch.
  const watchAbort = new AbortController();
  const rv = (await api.list('core/pods', NAMESPACE)).resourceVersion;
  const podsLoop = (async () => {
    try {
      for await (const ev of api.watch('core/pods', { namespace: NAMESPACE, labelSelector: 'app=bench-deploy', resourceVersion: rv, signal: watchAbort.signal })) {
        const at = performance.now();
        const podName = ev.object.metadata.name ?? '';
        if (ev.type !== 'ADDED' && ev.type !== 'MODIFIED') continue;
        if (!podBound.has(podName) && (ev.object as Pod).spec?.nodeName) podBound.set(podName, at);
        if (!podReady.has(podName) && runningAndReady(ev.object)) podReady.set(podName, at);
      }
    } catch (err) {
      if (!watchAbort.signal.aborted) log(`deployment pod watch broke: ${err instanceof Error ? err.message : String(err)}`);
    }
  })();
  const t0 = performance.now();
  await api.create({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NAMESPACE },
    spec: {
      replicas: REPLICAS,
      selector: { matchLabels: { app: 'bench-deploy' } },
      template: {
        metadata: { labels: { app: 'bench-deploy' } },
        spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }] },
      },
    },
  } as KubeObject);
  const availableMs = (await available) - t0;
  watchAbort.abort();
  await podsLoop;
  const samples = [...podReady.values()].map((t) => t - t0);
  const bound = [...podBound.values()].map((t) => t - t0);

  await api.delete({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: NAMESPACE, name });
  // The garbage collector removes the ReplicaSet and its pods; should it lag, the pods are deleted directly too
  // once the ReplicaSet is gone (else it would make new ones).
  const deadline = performance.now() + 30_000;
  while (performance.now() < deadline && (await api.list('apps/replicasets', NAMESPACE)).items.length > 0) await sleep(250);
  await deletePods(api, (await api.list<Pod>('core/pods', NAMESPACE)).items.map((p) => p.metadata.name ?? ''));
  await drain(api, 'deployment');
  return { samples, bound, availableMs };
}

// ---------------------------------------------------------------------------------------------------------------
// Report

const fmt = (v: number) => (Number.isFinite(v) ? (v >= 100 ? v.toFixed(0) : v.toFixed(1)) : '–');

interface Row {
  what: string;
  summary: Summary;
  note?: string;
}

function table(rows: Row[]): string {
  const header = ['measurement', 'n', 'p50 ms', 'p99 ms', 'max ms', 'note'];
  const body = rows.map((r) => [r.what, String(r.summary.n), fmt(r.summary.p50), fmt(r.summary.p99), fmt(r.summary.max), r.note ?? '']);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

// ---------------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = new Date();
  const loadBefore = load();
  const dataDir = await mkdtemp(join(tmpdir(), 'zp-bench-pod-startup-'));
  let cluster: LocalCluster | undefined;
  let agent: NodeAgent | undefined;
  let network: PodNetwork | undefined;
  let netns: string | undefined;
  let benchApi: (NodeApi & { close(): void }) | undefined;
  let agentApi: (NodeApi & { close(): void }) | undefined;
  const trackers: WatchTracker[] = [];
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    log('cleaning up: agent, containers, network namespace, cluster');
    for (const t of trackers) await t.stop().catch(() => undefined);
    await agent?.stop().catch(() => undefined);
    await sweepContainers(docker, TAG, 'mine').catch(() => undefined);
    await network?.teardown().catch(() => undefined);
    if (netns) await deleteNetns(netns);
    benchApi?.close();
    agentApi?.close();
    await cluster?.stop().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping`);
      void cleanup().finally(() => process.exit(130));
    });
  }

  const rows: Row[] = [];
  let idle: { seconds: number; byClass: Map<string, number>; total: number; watchOpenSeconds: number; watchesOpened: number } | undefined;
  let burstAllMs = Number.NaN;
  let availableMs = Number.NaN;
  try {
    await sweepContainers(docker, TAG, 'dead');
    await docker.getImage(IMAGE).inspect().catch(() => {
      throw new Error(`image ${IMAGE} is missing: run npm run build:images`);
    });
    netns = await createNetns(TAG);
    log(`network namespace ${netns}`);

    // Phase 1 first, with nothing else running in this process.
    log(`baseline: docker run (CLI) ×${N}`);
    const cli = await baseline(dockerCliRun);
    log(`baseline: Engine API create+start ×${N}`);
    const engine = await baseline(engineApiRun);
    log(`baseline: ${BURST} docker run (CLI) at once`);
    const cliBurst = await baselineBurst();
    rows.push({ what: 'docker run -d (CLI)', summary: summarize(cli, 0), note: 'baseline' });
    rows.push({ what: 'Engine API create+start', summary: summarize(engine, 0), note: 'what the runtime adapter calls, one container' });
    rows.push({ what: `${BURST} docker run -d at once (CLI)`, summary: summarize(cliBurst, 0), note: `baseline of the burst; all started after ${fmt(Math.max(...cliBurst))} ms` });

    log('starting a local cluster (ephemeral, controllers on)…');
    cluster = await startLocalCluster({ dataDir, port: 0, ephemeral: true, controllers: true, logger: pino({ level: 'error' }, pino.destination(2)) });
    const tls = await ensureTls(dataDir);
    benchApi = createHttpApi({ server: cluster.url, token: await ensureAdminToken(dataDir), ca: tls.caCertPem, userAgent: 'zeroplane-bench' });

    const nodeName = `bench-node-${process.pid}`;
    const requests: RequestRecord[] = [];
    const watchIntervals: Array<{ from: number; to?: number }> = [];
    agentApi = watchTimed(
      createHttpApi({
        server: cluster.url,
        token: await cluster.issueNodeToken(nodeName),
        ca: tls.caCertPem,
        onRequest: (method, path) => requests.push({ at: performance.now(), method, path }),
      }),
      watchIntervals,
    );
    const bridgeNetns = netns;
    agent = await startNodeAgent({
      api: agentApi,
      nodeName,
      dataDir: join(dataDir, 'node'),
      extraLabels: testLabels(TAG),
      podSync: POD_SYNC,
      pollMs: POLL_SECONDS * 1000,
      runtime: async (podCidr) => {
        const range = cidrRange(podCidr);
        network = createPodNetwork({ netns: bridgeNetns, bridge: 'zpbr0', gatewayCidr: `${range.gateway}/${range.prefix}` });
        await network.ensureBridge();
        return createDockerRuntime({ docker, network, podFilesDir: join(dataDir, 'node', 'pod-files') });
      },
    });
    log(`agent ${nodeName} registered (pod CIDR ${agent.podCidr}, pod sync ${POD_SYNC})`);

    const podTracker = new WatchTracker(benchApi, 'core/pods', NAMESPACE);
    const deployTracker = new WatchTracker(benchApi, 'apps/deployments', NAMESPACE);
    trackers.push(podTracker, deployTracker);
    await podTracker.start();
    await deployTracker.start();

    // One warm-up pod: first-use costs (the bridge's first veth, the agent's first status write) are not pod start.
    log('warm-up pod');
    const warm = podTracker.until('warm-up', runningAndReady, 'pod');
    await benchApi.create(benchPod('warm-up', nodeName));
    await warm;
    await deletePods(benchApi, ['warm-up']);
    await drain(benchApi, 'warm-up');

    log(`pods: ${N} sequential, bound to the node`);
    const seq = await sequentialPods(benchApi, podTracker, nodeName);
    const seqSummary = summarize(seq, 0);
    const cliSummary = summarize(cli, 0);
    const engineSummary = summarize(engine, 0);
    rows.push({
      what: 'pod create → Running+Ready (watch)',
      summary: seqSummary,
      note: `${(seqSummary.p50 / cliSummary.p50).toFixed(2)}×/${(seqSummary.p99 / cliSummary.p99).toFixed(2)}× docker run p50/p99; ${(seqSummary.p50 / engineSummary.p50).toFixed(2)}×/${(seqSummary.p99 / engineSummary.p99).toFixed(2)}× Engine API`,
    });

    log(`pods: ${BURST} at once`);
    const burst = await burstPods(benchApi, podTracker, nodeName);
    burstAllMs = burst.allMs;
    const burstSummary = summarize(burst.samples, 0);
    const cliBurstSummary = summarize(cliBurst, 0);
    rows.push({
      what: `${BURST} pods at once → each Running+Ready`,
      summary: burstSummary,
      note: `all after ${fmt(burst.allMs)} ms; ${(burstSummary.p50 / cliBurstSummary.p50).toFixed(2)}×/${(burstSummary.p99 / cliBurstSummary.p99).toFixed(2)}× docker run burst p50/p99`,
    });

    log(`deployment: ${REPLICAS} replicas through the scheduler`);
    const dep = await deploymentPods(benchApi, deployTracker);
    availableMs = dep.availableMs;
    rows.push({ what: `Deployment ×${REPLICAS} → each pod bound`, summary: summarize(dep.bound, 0), note: 'controllers + scheduler: spec.nodeName seen on the watch' });
    rows.push({ what: `Deployment ×${REPLICAS} → each pod Ready`, summary: summarize(dep.samples, 0), note: `Available after ${fmt(dep.availableMs)} ms` });

    // Phase 3: idle. The bench's own watches are closed so that the cluster sees only the node.
    for (const t of trackers) await t.stop();
    trackers.length = 0;
    log(`idle: settling 5 s, then counting the agent's requests for ${IDLE_SECONDS} s`);
    await sleep(5_000);
    const from = performance.now();
    await sleep(IDLE_SECONDS * 1000);
    const to = performance.now();
    const inWindow = requests.filter((r) => r.at >= from && r.at < to);
    const byClass = new Map<string, number>();
    for (const r of inWindow) {
      const c = requestClass(r.method, r.path, nodeName);
      byClass.set(c, (byClass.get(c) ?? 0) + 1);
    }
    idle = {
      seconds: (to - from) / 1000,
      byClass,
      total: inWindow.length,
      watchOpenSeconds: openSeconds(watchIntervals, from, to),
      watchesOpened: watchIntervals.filter((i) => i.from >= from && i.from < to).length,
    };
  } catch (err) {
    if (cluster) log(`failed; agent containers left: ${await podContainerCount().catch(() => -1)}`);
    throw err;
  } finally {
    await cleanup();
  }

  const loadAfter = load();
  const out: string[] = [];
  out.push(`Pod startup on a real node (${started.toISOString()}${quick ? ', QUICK' : ''}; ${IMAGE} present, imagePullPolicy IfNotPresent; pod sync ${POD_SYNC})`);
  out.push(`load average (1/5/15 min): ${loadBefore} at start, ${loadAfter} at end (2 cores shared)`);
  out.push('', table(rows));
  if (idle) {
    const perMin = (n: number) => (n / idle!.seconds) * 60;
    out.push('', `Idle node, ${idle.seconds.toFixed(0)} s window, no pods: ${perMin(idle.total).toFixed(2)} API requests per node per minute`);
    for (const [c, n] of [...idle.byClass].sort((a, b) => b[1] - a[1])) out.push(`  ${perMin(n).toFixed(2).padStart(6)}/min  ${c}  (${n} in window)`);
    out.push(
      `  watch held open ${perMin(idle.watchOpenSeconds).toFixed(1)} s per minute (${idle.watchesOpened} watch request${idle.watchesOpened === 1 ? '' : 's'} started in the window)` +
        (idle.watchOpenSeconds > 0 ? ' — on AWS that is Lambda duration for the whole time the watch is held' : ''),
    );
    out.push(
      `  (periods longer than the window are missed by it: the Node status GET+PUT every 5 min, a new watch per server timeout of 5–10 min;` +
        ` a whole node (node-agent/start-node.ts) also holds Service and EndpointSlice watches for its proxy and DNS, not counted here)`,
    );
  }
  const seqRow = rows.find((r) => r.what.startsWith('pod create'));
  const cliRow = rows.find((r) => r.what.startsWith('docker run'));
  const checks: Array<[string, boolean, string]> = [];
  if (seqRow && cliRow) {
    checks.push(['pod start p99 ≤ 1.5 s', seqRow.summary.p99 <= 1500, `${fmt(seqRow.summary.p99)} ms`]);
    checks.push(['pod start p99 ≤ 3× docker run p99', seqRow.summary.p99 <= 3 * cliRow.summary.p99, `${(seqRow.summary.p99 / cliRow.summary.p99).toFixed(2)}× (docker run p99 ${fmt(cliRow.summary.p99)} ms)`]);
    checks.push(['pod start p99 ≤ 5 s (Kubernetes SLO)', seqRow.summary.p99 <= 5000, `${fmt(seqRow.summary.p99)} ms`]);
  }
  const burstRow = rows.find((r) => r.what.includes('pods at once'));
  const cliBurstRow = rows.find((r) => r.what.endsWith('at once (CLI)'));
  if (burstRow) checks.push([`${BURST}-pod burst p99 ≤ 1.5 s`, burstRow.summary.p99 <= 1500, `${fmt(burstRow.summary.p99)} ms`]);
  if (burstRow && cliBurstRow) {
    checks.push([`${BURST}-pod burst p99 ≤ 3× ${BURST} docker runs at once p99`, burstRow.summary.p99 <= 3 * cliBurstRow.summary.p99, `${(burstRow.summary.p99 / cliBurstRow.summary.p99).toFixed(2)}× (docker run burst p99 ${fmt(cliBurstRow.summary.p99)} ms)`]);
  }
  out.push('', 'goal checks:');
  for (const [what, ok, value] of checks) out.push(`  ${ok ? 'PASS' : 'FAIL'}  ${what}: ${value}`);
  process.stdout.write(`\n${out.join('\n')}\n`);

  const dir = join(repoRoot, 'bench/results');
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, `pod-startup-${started.toISOString().replace(/[:.]/g, '-')}.json`),
    JSON.stringify(
      { started, quick, loadBefore, loadAfter, podSync: POD_SYNC, rows, burstAllMs, availableMs, idle: idle && { ...idle, byClass: Object.fromEntries(idle.byClass) } },
      null,
      2,
    ),
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
