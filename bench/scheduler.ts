/**
 * `npm run bench:scheduler`: the scheduler and the controllers on the event pipeline, on DynamoDB Local (in memory)
 * and the SQS emulator, with the store's own write rate measured in the same run as the baseline.
 *
 * Phase A (binds/s): 1,000 simulated Node objects and 10,000 pending pods are written first (in parallel, through
 *   the same Registry path the API uses); then the real scheduler handler is invoked with the `*unschedulable`
 *   broadcast until every pod is bound. Each bind is the real path: node ledger reservation (the conditional write
 *   that refuses overcommit) and pods/binding, plus the `Scheduled` Event. Baselines in the same run: the store's
 *   raw write rate (ObjectStore.update of pods, 32 in flight: the RV counter + one TransactWriteItems each) and
 *   the pure placement compute (scheduleBatch over an in-memory snapshot).
 * Phase B: a 1,000-replica Deployment on 100 simulated nodes through the whole pipeline (stream → dispatch → SQS →
 *   controllers/scheduler → simulated nodes make pods Running/Ready): time until the Deployment is Available with
 *   1,000 available replicas.
 * Phase C: `kubectl set image` on it (a template change): time until the rollout is complete (updated = ready =
 *   available = 1,000, observedGeneration current, the old ReplicaSet at 0 and its pods gone).
 *
 * Figures, not assertions; the goal checks are printed. BENCH_QUICK=1 runs a tenth of the sizes (a smoke run).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { ensureBootstrapObjects } from '../functions/apiserver/bootstrap.ts';
import { createRegistryApi, type ClusterApi } from '../functions/controllers/api-port.ts';
import { makeSchedulerHandler } from '../functions/scheduler/handler.ts';
import { scheduleBatch, Snapshot } from '../functions/scheduler/schedule.ts';
import { createDynamoStore, type DynamoStore } from '../functions/store/dynamodb-store.ts';
import { BROADCAST_KEYS } from '../functions/pipeline/queue-message.ts';
import type { Deployment } from '../shared/api/kinds/deployment.ts';
import type { Node } from '../shared/api/kinds/node.ts';
import type { Pod } from '../shared/api/kinds/pod.ts';
import type { ReplicaSet } from '../shared/api/kinds/replicaset.ts';
import type { KubeObject } from '../shared/api/object.ts';
import { ensureQueues, ensureTables } from '../shared/resources.ts';
import { startControlPlane } from '../local/control-plane.ts';
import { makeDynamoClient, makeSqsClient, startDynamoLocal, startSqsEmulator } from '../local/emulators.ts';
import { makeInvokeContext } from '../local/runtime/invoke-context.ts';
import { simulatedNode, startSimulatedNodes } from '../local/simulated-nodes.ts';
import { repoRoot } from '../local/tools.ts';
import { runConcurrent } from './stats.ts';

const quick = process.env.BENCH_QUICK === '1';
const size = (n: number) => Math.max(1, Math.round(quick ? n / 10 : n));
const BIND_NODES = size(1_000);
const BIND_PODS = size(10_000);
const DEPLOY_NODES = size(100);
const DEPLOY_REPLICAS = size(1_000);
const BASELINE_WRITES = size(3_000);
const CREATE_CONCURRENCY = 32;
const PHASE_TIMEOUT_MS = 600_000;

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
const logger = pino({ level: process.env.BENCH_LOG_LEVEL ?? 'error' }, pino.destination(2));

interface Figure {
  what: string;
  value: number;
  unit: string;
  note?: string;
}
const figures: Figure[] = [];
const record = (what: string, value: number, unit: string, note?: string) => {
  figures.push({ what, value, unit, note });
  log(`${what}: ${fmt(value)} ${unit}${note ? ` (${note})` : ''}`);
};

function fmt(v: number): string {
  if (!Number.isFinite(v)) return '–';
  return v >= 100 ? v.toFixed(0) : v.toFixed(2);
}

const seconds = (ms: number) => ms / 1000;

function pendingPod(namespace: string, name: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { app: 'bench' } },
    spec: { containers: [{ name: 'c', image: 'zp/busybox:1', resources: { requests: { cpu: '100m', memory: '128Mi' } } }] },
  } as KubeObject;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, intervalMs = 200): Promise<T> {
  const deadline = performance.now() + PHASE_TIMEOUT_MS;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (performance.now() > deadline) throw new Error(`${what}: not reached within ${PHASE_TIMEOUT_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Phase A: binds/s

async function bindPhase(dynamoEndpoint: string): Promise<void> {
  const client = makeDynamoClient(dynamoEndpoint);
  await ensureTables(client, 'bindbench');
  const store: DynamoStore = createDynamoStore({ client, tablePrefix: 'bindbench', onError: (err) => logger.error({ err }, 'store') });
  await ensureBootstrapObjects(store);
  const api: ClusterApi = createRegistryApi({ store, fieldManager: 'bench' });
  await api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });

  log(`A: baseline, ${BASELINE_WRITES} raw store writes (32 in flight)`);
  // The store's own write path, without the Registry: create, then update each object once (the shape of a bind).
  const created = new Map<number, string>();
  await runConcurrent({ concurrency: CREATE_CONCURRENCY, ops: BASELINE_WRITES, maxMs: PHASE_TIMEOUT_MS }, async (_w, i) => {
    const name = `baseline-${i}`;
    const res = await store.create({ resource: 'core/configmaps', namespace: 'bench', name }, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'bench' }, data: { i: String(i) } });
    if (!res.ok) throw new Error(`baseline create ${name}: ${res.reason}`);
    created.set(i, res.object.metadata.resourceVersion ?? '');
  });
  const t0 = performance.now();
  await runConcurrent({ concurrency: CREATE_CONCURRENCY, ops: BASELINE_WRITES, maxMs: PHASE_TIMEOUT_MS }, async (_w, i) => {
    const name = `baseline-${i}`;
    const res = await store.update({ resource: 'core/configmaps', namespace: 'bench', name }, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'bench' }, data: { i: String(i), bound: 'yes' } }, created.get(i) ?? '');
    if (!res.ok) throw new Error(`baseline update ${name}: ${res.reason}`);
  });
  const storeWritesPerS = (BASELINE_WRITES * 1000) / (performance.now() - t0);
  record('A0 store raw writes/s (ObjectStore.update, 32 in flight)', storeWritesPerS, 'writes/s', 'baseline');

  log(`A: creating ${BIND_NODES} nodes and ${BIND_PODS} pending pods (${CREATE_CONCURRENCY} in flight, through the Registry)`);
  let t = performance.now();
  await runConcurrent({ concurrency: CREATE_CONCURRENCY, ops: BIND_NODES, maxMs: PHASE_TIMEOUT_MS }, async (_w, i) => {
    await api.create(simulatedNode(`node-${i + 1}`, i + 1));
  });
  t = performance.now();
  await runConcurrent({ concurrency: CREATE_CONCURRENCY, ops: BIND_PODS, maxMs: PHASE_TIMEOUT_MS }, async (_w, i) => {
    await api.create(pendingPod('bench', `pod-${i}`));
  });
  const createMs = performance.now() - t;
  record(`A1 pod creates/s (${BIND_PODS} pods, Registry, 32 in flight)`, (BIND_PODS * 1000) / createMs, 'pods/s', `${seconds(createMs).toFixed(1)} s`);

  // Pure placement compute over the same cluster: what the scheduler's CPU alone would allow.
  const [nodes, pods] = await Promise.all([api.list<Node>('core/nodes'), api.list<Pod>('core/pods', 'bench')]);
  t = performance.now();
  const placements = scheduleBatch(pods.items, new Snapshot(nodes.items, []));
  const computeMs = performance.now() - t;
  if (placements.some((p) => !('node' in p.result))) throw new Error('the pure placement left pods unplaced');
  record('A2 placement compute (scheduleBatch, in memory)', (placements.length * 1000) / computeMs, 'pods/s', `${computeMs.toFixed(0)} ms for ${placements.length}`);

  const handler = makeSchedulerHandler({ store, logger });
  const event = (i: number) => ({
    Records: [
      {
        messageId: `bench-${i}`,
        receiptHandle: `bench-${i}`,
        body: JSON.stringify({ controller: 'scheduler', key: BROADCAST_KEYS.retryUnschedulable }),
        attributes: { ApproximateReceiveCount: '1', MessageGroupId: `scheduler/${BROADCAST_KEYS.retryUnschedulable}` },
        messageAttributes: {},
      },
    ],
  });
  log('A: scheduling (the scheduler handler, broadcast key, until every pod is bound)');
  t = performance.now();
  let invocations = 0;
  for (;;) {
    const out = (await handler(event(invocations++), makeInvokeContext('scheduler', 900_000))) as { batchItemFailures: unknown[] };
    if (out.batchItemFailures.length) throw new Error('the scheduling cycle failed');
    const left = (await api.list<Pod>('core/pods', 'bench', (o) => !(o as Pod).spec?.nodeName)).items.length;
    if (left === 0) break;
    if (invocations > 20) throw new Error(`${left} pods still unbound after ${invocations} cycles`);
  }
  const bindMs = performance.now() - t;
  const bindsPerS = (BIND_PODS * 1000) / bindMs;
  record(`A3 scheduler binds/s (${BIND_PODS} pods, ${BIND_NODES} nodes)`, bindsPerS, 'binds/s', `${seconds(bindMs).toFixed(1)} s, ${invocations} invocation(s)`);
  record('A4 binds/s ÷ store raw writes/s', bindsPerS / storeWritesPerS, '×', 'each bind costs ≥ 2 store writes (binding + Scheduled Event) + its share of a ledger write');

  // No overcommit: every node's bound requests within allocatable.
  const bound = (await api.list<Pod>('core/pods', 'bench')).items;
  const perNode = new Map<string, number>();
  for (const p of bound) perNode.set(p.spec.nodeName ?? '', (perNode.get(p.spec.nodeName ?? '') ?? 0) + 1);
  const maxPerNode = Math.max(...perNode.values());
  record('A5 most pods on one node (110 allowed, 40 fit by cpu)', maxPerNode, 'pods', `${perNode.size} nodes used`);
  client.destroy();
}

// ---------------------------------------------------------------------------------------------------------------
// Phases B and C: a Deployment on the pipeline

function deployment(namespace: string, image: string): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace },
    spec: {
      replicas: DEPLOY_REPLICAS,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image, resources: { requests: { cpu: '10m', memory: '16Mi' } } }] } },
    },
  } as KubeObject;
}

function complete(d: Deployment | undefined): boolean {
  const s = d?.status;
  const want = d?.spec.replicas ?? 0;
  return Boolean(
    d && s && (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0) && s.updatedReplicas === want && s.readyReplicas === want && s.availableReplicas === want && s.replicas === want &&
      (s.conditions ?? []).some((c) => c.type === 'Available' && c.status === 'True'),
  );
}

async function deploymentPhase(dynamoEndpoint: string, sqsEndpoint: string): Promise<void> {
  const prefix = 'deploybench';
  const client = makeDynamoClient(dynamoEndpoint);
  const sqs = makeSqsClient(sqsEndpoint);
  await ensureTables(client, prefix);
  const urls = await ensureQueues(sqs, prefix);
  const store = createDynamoStore({ client, tablePrefix: prefix, onError: (err) => logger.error({ err }, 'store') });
  await ensureBootstrapObjects(store);
  const plane = await startControlPlane({ store, sqs, queueUrls: urls.queues, dynamoEndpoint, sqsEndpoint, prefix, logger });
  const api = createRegistryApi({ store, fieldManager: 'bench' });
  log(`B: registering ${DEPLOY_NODES} simulated nodes`);
  const nodes = await startSimulatedNodes({ api, store, count: DEPLOY_NODES, runDelayMs: 100, logger });
  try {
    const ns = 'deploy';
    await api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    // Let node registration's wake-ups drain, so the clock measures the Deployment only.
    await new Promise((r) => setTimeout(r, 2000));

    log(`B: Deployment of ${DEPLOY_REPLICAS} replicas`);
    const t0 = performance.now();
    const marks = { created: 0, bound: 0 };
    await api.create(deployment(ns, 'zp/busybox:1'));
    const watchPods = setInterval(() => {
      void api.list<Pod>('core/pods', ns).then(({ items }) => {
        if (!marks.created && items.length >= DEPLOY_REPLICAS) marks.created = performance.now() - t0;
        if (!marks.bound && items.filter((p) => p.spec.nodeName).length >= DEPLOY_REPLICAS) marks.bound = performance.now() - t0;
      }, () => undefined);
    }, 500);
    await until('Deployment Available', async () => (complete(await api.get<Deployment>('apps/deployments', ns, 'web')) ? true : undefined));
    const availableMs = performance.now() - t0;
    clearInterval(watchPods);
    if (marks.created) record(`B1 all ${DEPLOY_REPLICAS} pods created`, seconds(marks.created), 's', 'sampled every 0.5 s');
    if (marks.bound) record(`B2 all ${DEPLOY_REPLICAS} pods bound`, seconds(marks.bound), 's', 'sampled every 0.5 s');
    record(`B3 Deployment of ${DEPLOY_REPLICAS} Available on ${DEPLOY_NODES} nodes`, seconds(availableMs), 's', 'pods Ready 100 ms after bind');

    log('C: set image');
    const t1 = performance.now();
    for (let attempt = 0; ; attempt++) {
      const d = (await api.get<Deployment>('apps/deployments', ns, 'web'))!;
      d.spec.template.spec!.containers[0].image = 'zp/busybox:2';
      try {
        await api.update(d);
        break;
      } catch (err) {
        if (attempt > 10) throw err;
      }
    }
    await until('rollout complete', async () => {
      const d = await api.get<Deployment>('apps/deployments', ns, 'web');
      if (!complete(d)) return undefined;
      const sets = (await api.list<ReplicaSet>('apps/replicasets', ns)).items;
      const old = sets.filter((s) => s.spec.template?.spec?.containers[0].image !== 'zp/busybox:2');
      if (old.some((s) => (s.spec.replicas ?? 0) !== 0 || (s.status?.replicas ?? 0) !== 0)) return undefined;
      return true;
    });
    const rolloutMs = performance.now() - t1;
    const pods = (await api.list<Pod>('core/pods', ns)).items.filter((p) => !p.metadata.deletionTimestamp);
    const fresh = pods.filter((p) => p.spec.containers[0].image === 'zp/busybox:2').length;
    record(`C1 rolling update of ${DEPLOY_REPLICAS} (set image, 25% surge/unavailable)`, seconds(rolloutMs), 's', `${fresh} new pods, ${pods.length - fresh} others left`);
  } finally {
    await nodes.stop();
    await plane.stop();
    client.destroy();
    sqs.destroy();
  }
}

// ---------------------------------------------------------------------------------------------------------------

function report(): string {
  const rows = figures.map((f) => [f.what, fmt(f.value), f.unit, f.note ?? '']);
  const header = ['figure', 'value', 'unit', 'note'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 1 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
  const get = (prefix: string) => figures.find((f) => f.what.startsWith(prefix))?.value;
  const checks: [string, number | undefined, (v: number) => boolean][] = [
    ['≥ 1,000 binds/s', get('A3'), (v) => v >= 1000],
    ['≤ 10 s to Available', get('B3'), (v) => v <= 10],
  ];
  out.push('', 'goal checks:');
  for (const [what, v, ok] of checks) out.push(`  ${v !== undefined && ok(v) ? 'PASS' : 'FAIL'}  ${what}: ${v === undefined ? 'not measured' : fmt(v)}`);
  return out.join('\n');
}

async function main(): Promise<void> {
  const started = new Date();
  const only = process.env.BENCH_ONLY; // 'A' or 'B' to run one part
  log('starting DynamoDB Local (in memory) and the SQS emulator');
  const [ddb, sqs] = await Promise.all([startDynamoLocal({ inMemory: true }), startSqsEmulator()]);
  try {
    if (!only || only === 'A') await bindPhase(ddb.endpoint);
    if (!only || only === 'B') await deploymentPhase(ddb.endpoint, sqs.endpoint);
  } finally {
    await Promise.all([ddb.stop(), sqs.stop()]);
  }
  process.stdout.write(`\nZeroplane scheduler benchmark (${started.toISOString()}${quick ? ', BENCH_QUICK' : ''}; DynamoDB Local in memory, SQS emulator)\n\n${report()}\n`);
  const dir = join(repoRoot, 'bench/results');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `scheduler-${started.toISOString().replace(/[:.]/g, '-')}.json`), JSON.stringify({ started, quick, figures }, null, 2));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
