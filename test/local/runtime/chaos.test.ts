/**
 * Chaos on the real pipeline (DynamoDB Local + its stream, the SQS emulator's FIFO queues, the handlers Lambda
 * runs, simulated nodes): the final state must be exactly right whatever the delivery does.
 * - a controller handler that throws for some records of a batch: exactly those are redelivered;
 * - every controller key delivered twice, late and out of order;
 * - the control plane killed with SIGKILL mid-rollout and a new one started on the same store and queues.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetQueueAttributesCommand, SendMessageBatchCommand, SetQueueAttributesCommand, type SendMessageBatchCommandInput, type SQSClient } from '@aws-sdk/client-sqs';
import { pino } from 'pino';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { ensureBootstrapObjects } from '../../../functions/apiserver/bootstrap.ts';
import { createRegistryApi, type ClusterApi } from '../../../functions/controllers/api-port.ts';
import { builtinControllers, Requeuer } from '../../../functions/controllers/handler.ts';
import { controllerReconcilers, type RunnerEnv } from '../../../functions/controllers/runner.ts';
import { makeHandler as makeDispatchHandler } from '../../../functions/dispatch/handler.ts';
import { sendControllerKeys, type QueueSenderDeps } from '../../../functions/dispatch/queue-sender.ts';
import { makeControllerHandler, type Reconciler } from '../../../functions/pipeline/controller-handler.ts';
import type { BatchResponse, SqsEvent } from '../../../functions/pipeline/lambda-events.ts';
import { QueueMessageSchema, type ControllerKey, type ControllerName } from '../../../functions/pipeline/queue-message.ts';
import { makeSchedulerHandler } from '../../../functions/scheduler/handler.ts';
import type { DynamoStore } from '../../../functions/store/dynamodb-store.ts';
import { startControlPlane } from '../../../local/control-plane.ts';
import { makeSqsClient } from '../../../local/emulators.ts';
import type { InvokeContext } from '../../../local/runtime/invoke-context.ts';
import { startLocalRuntime } from '../../../local/runtime/runtime.ts';
import { startSimulatedNodes } from '../../../local/simulated-nodes.ts';
import { repoRoot } from '../../../local/tools.ts';
import type { Deployment } from '../../../shared/api/kinds/deployment.ts';
import type { Pod } from '../../../shared/api/kinds/pod.ts';
import type { ReplicaSet } from '../../../shared/api/kinds/replicaset.ts';
import type { KubeObject } from '../../../shared/api/object.ts';
import { ensureQueues, type QueueId, type QueueUrls } from '../../../shared/resources.ts';
import { READY_LINE, type ControlPlaneProcessConfig } from '../../support/control-plane-process.ts';
import { createTestStore, testSqsClient, uniquePrefix } from '../../support/dynamo.ts';

const silent = pino({ level: 'silent' });
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

interface Stack {
  prefix: string;
  store: DynamoStore;
  api: ClusterApi;
  urls: QueueUrls;
}

async function freshStack(): Promise<Stack> {
  const prefix = uniquePrefix('chaos');
  const store = await createTestStore({ tablePrefix: prefix });
  await ensureBootstrapObjects(store);
  const urls = await ensureQueues(testSqsClient(), prefix);
  return { prefix, store, urls, api: createRegistryApi({ store, fieldManager: 'chaos-test' }) };
}

async function startNodes(stack: Stack, count: number): Promise<void> {
  const nodes = await startSimulatedNodes({ api: createRegistryApi({ store: stack.store, fieldManager: 'zeroplane-simulated-node' }), store: stack.store, count, runDelayMs: 50, logger: silent });
  cleanups.push(() => nodes.stop());
}

const template = (app: string, image: string) => ({ metadata: { labels: { app } }, spec: { containers: [{ name: 'c', image }] } });

function deployment(namespace: string, replicas: number, image: string, rollingUpdate: { maxSurge: number; maxUnavailable: number }): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace },
    spec: { replicas, selector: { matchLabels: { app: 'web' } }, strategy: { type: 'RollingUpdate', rollingUpdate }, template: template('web', image) },
  } as KubeObject;
}

async function setImage(api: ClusterApi, namespace: string, image: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const d = (await api.get<Deployment>('apps/deployments', namespace, 'web'))!;
    d.spec.template.spec!.containers[0].image = image;
    try {
      await api.update(d);
      return;
    } catch (err) {
      // The controller writes the Deployment too (revision annotation, status): read again, as kubectl does.
      if (attempt > 10) throw err;
    }
  }
}

const live = (pods: Pod[]) => pods.filter((p) => !p.metadata.deletionTimestamp);
const runningReady = (p: Pod) => p.status?.phase === 'Running' && Boolean(p.spec.nodeName) && (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/**
 * The exact end state of a Deployment rolled to `image`: `replicas` live pods, every one of the new template,
 * bound, Running and Ready, owned by the one new ReplicaSet; every other ReplicaSet at 0 with no pods; the
 * Deployment's status complete for its current generation. Returns a description of what is off, or 'ok'.
 */
async function rolloutState(api: ClusterApi, namespace: string, replicas: number, image: string): Promise<string> {
  const d = await api.get<Deployment>('apps/deployments', namespace, 'web');
  const sets = (await api.list<ReplicaSet>('apps/replicasets', namespace)).items;
  const pods = (await api.list<Pod>('core/pods', namespace)).items;
  const fresh = sets.filter((s) => s.spec.template?.spec?.containers[0].image === image);
  if (!d || fresh.length !== 1) return `${fresh.length} ReplicaSets of the new template`;
  const rs = fresh[0];
  const problems: string[] = [];
  if (pods.length !== replicas) problems.push(`${pods.length} pods (${live(pods).length} live)`);
  const wrong = pods.filter((p) => p.metadata.ownerReferences?.[0]?.uid !== rs.metadata.uid || p.spec.containers[0].image !== image || !runningReady(p));
  if (wrong.length) problems.push(`${wrong.length} pods not new, Running and Ready`);
  if (new Set(pods.map((p) => p.status?.podIP)).size !== pods.length) problems.push('duplicate pod IPs');
  if (rs.spec.replicas !== replicas || rs.status?.replicas !== replicas || rs.status?.readyReplicas !== replicas || rs.status?.availableReplicas !== replicas) problems.push(`new ReplicaSet ${JSON.stringify({ spec: rs.spec.replicas, ...rs.status })}`);
  for (const old of sets.filter((s) => s !== rs)) if (old.spec.replicas !== 0 || (old.status?.replicas ?? 0) !== 0) problems.push(`old ReplicaSet ${old.metadata.name} at ${old.spec.replicas}`);
  const s = d.status ?? {};
  if ((s.observedGeneration ?? 0) < (d.metadata.generation ?? 0) || s.replicas !== replicas || s.updatedReplicas !== replicas || s.readyReplicas !== replicas || s.availableReplicas !== replicas || (s.unavailableReplicas ?? 0) !== 0) {
    problems.push(`deployment status ${JSON.stringify({ generation: d.metadata.generation, ...s, conditions: undefined })}`);
  }
  const progressing = (s.conditions ?? []).find((c) => c.type === 'Progressing');
  if (progressing?.reason !== 'NewReplicaSetAvailable') problems.push(`Progressing ${progressing?.reason}`);
  if (!(s.conditions ?? []).some((c) => c.type === 'Available' && c.status === 'True')) problems.push('not Available');
  return problems.length ? problems.join('; ') : 'ok';
}

/** Messages visible or in flight on a queue (0 when every wake-up has been handled). */
async function queueDepth(sqs: SQSClient, url: string): Promise<number> {
  const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
  return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
}

describe('a controller handler that fails some records of a batch', () => {
  it('has exactly the failed records redelivered, and reconciling them again creates nothing twice', async () => {
    const stack = await freshStack();
    const sender: QueueSenderDeps = { sqs: testSqsClient(), queueUrl: (id) => stack.urls.queues[id] };
    const send = async (keys: ControllerKey[], cause: string) => {
      const { failed } = await sendControllerKeys(sender, keys.map((k) => ({ message: k, cause, tag: k })));
      if (failed.length) throw new Error('send failed');
    };
    const requeuer = new Requeuer(send, silent);
    cleanups.push(async () => requeuer.stop());
    const env: RunnerEnv = { api: createRegistryApi({ store: stack.store, fieldManager: 'kube-controller-manager' }), now: () => new Date(), send, requeue: (k, ms) => requeuer.requeue(k, ms), logger: silent };
    const real = controllerReconcilers(env, builtinControllers());

    // ReplicaSets rs-1 and rs-3 fail on every first delivery: rs-1 after its reconcile wrote (a crash before the
    // ack), rs-3 before it did anything. The others always succeed.
    const ns = 'chaos-partial';
    const failAfter = new Set([`${ns}/rs-1`]);
    const failBefore = new Set([`${ns}/rs-3`]);
    const reconcilers: Partial<Record<ControllerName, Reconciler>> = { ...real };
    reconcilers.replicaset = async (key, context) => {
      if (failBefore.has(key) && context.receiveCount === 1) throw new Error(`chaos: ${key} fails before reconciling`);
      await real.replicaset!(key, context);
      if (failAfter.has(key) && context.receiveCount === 1) throw new Error(`chaos: ${key} fails after reconciling`);
    };
    const inner = makeControllerHandler({ reconcilers, logger: silent });
    const batches: { records: { id: string; key: string; receiveCount: number }[]; failed: Set<string> }[] = [];
    const controllers = async (event: SqsEvent, context: InvokeContext): Promise<BatchResponse> => {
      const result = (await inner(event, context as never)) as BatchResponse;
      batches.push({
        records: event.Records.map((r) => ({ id: r.messageId, key: QueueMessageSchema.parse(JSON.parse(r.body)).key, receiveCount: Number(r.attributes.ApproximateReceiveCount) })),
        failed: new Set(result.batchItemFailures.map((f) => f.itemIdentifier)),
      });
      return result;
    };
    const runtime = await startLocalRuntime({
      dynamoEndpoint: inject('dynamoEndpoint'),
      sqsEndpoint: inject('sqsEndpoint'),
      tablePrefix: stack.prefix,
      logger: silent,
      handlers: {
        dispatch: makeDispatchHandler({ ...sender, logger: silent }),
        controllers,
        scheduler: makeSchedulerHandler({ store: stack.store, logger: silent }),
      },
      stream: { idleDelayMs: 20 },
      queues: {
        // One receiver, so that the keys sent together below arrive in one batch.
        controllers: { concurrency: 1, batchSize: 10, waitTimeSeconds: 1, retryVisibilitySeconds: () => 1 },
        scheduler: { waitTimeSeconds: 1 },
      },
    });
    cleanups.push(() => runtime.stop());
    await startNodes(stack, 2);

    await stack.api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    const names = ['rs-1', 'rs-2', 'rs-3', 'rs-4'];
    for (const name of names) {
      await stack.api.create({
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name, namespace: ns },
        spec: { replicas: 3, selector: { matchLabels: { app: name } }, template: template(name, 'nginx') },
      } as KubeObject);
    }
    // The four keys again in one SendMessageBatch: one batch mixing keys that fail with keys that succeed.
    await send(names.map((n) => ({ controller: 'replicaset', key: `${ns}/${n}` })), 'chaos-batch');

    await expect
      .poll(async () => {
        const pods = (await stack.api.list<Pod>('core/pods', ns)).items;
        return names.map((n) => `${n}:${pods.filter((p) => p.metadata.labels?.app === n && runningReady(p)).length}`).join(' ');
      }, { timeout: 120_000, interval: 250 })
      .toBe('rs-1:3 rs-2:3 rs-3:3 rs-4:3');
    // Every message a batch reported failed has come back.
    const unanswered = () =>
      batches.flatMap((b, i) => b.records.filter((r) => b.failed.has(r.id) && !batches.slice(i + 1).some((l) => l.records.some((x) => x.id === r.id))).map((r) => r.key));
    await expect.poll(unanswered, { timeout: 60_000, interval: 250 }).toEqual([]);

    // Exactly 3 pods per ReplicaSet, each owned by it: nothing created twice by the redeliveries.
    const pods = (await stack.api.list<Pod>('core/pods', ns)).items;
    expect(pods).toHaveLength(12);
    for (const name of names) {
      const rs = (await stack.api.get<ReplicaSet>('apps/replicasets', ns, name))!;
      expect(pods.filter((p) => p.metadata.ownerReferences?.[0]?.uid === rs.metadata.uid)).toHaveLength(3);
    }

    // Delivery: a batch mixed failures with successes; every failed message came back (with a higher receive
    // count) and no message that succeeded was ever delivered again.
    expect(batches.some((b) => b.failed.size > 0 && b.failed.size < b.records.length)).toBe(true);
    const failedKeys = new Set(batches.flatMap((b) => b.records.filter((r) => b.failed.has(r.id)).map((r) => r.key)));
    expect([...failedKeys].sort()).toEqual([`${ns}/rs-1`, `${ns}/rs-3`]);
    batches.forEach((batch, i) => {
      const later = batches.slice(i + 1).flatMap((b) => b.records);
      for (const r of batch.records) {
        const again = later.filter((l) => l.id === r.id);
        if (batch.failed.has(r.id)) {
          expect(again.length, `failed message ${r.key} redelivered`).toBeGreaterThan(0);
          expect(again[0].receiveCount).toBeGreaterThan(r.receiveCount);
        } else {
          expect(again, `succeeded message ${r.key} not redelivered`).toEqual([]);
        }
      }
    });
  }, 240_000);
});

/**
 * A real SQS client whose sends are chaotic: each SendMessageBatch goes out with its entries shuffled, and a
 * copy of every entry (under a new deduplication id, so SQS keeps it) is sent again 0–400 ms later, after newer
 * wake-ups of the same keys. Every key is therefore delivered at least twice, late and out of order.
 */
function chaoticSqs(endpoint: string): { client: SQSClient; duplicates: () => number } {
  const client = makeSqsClient(endpoint);
  const plain = makeSqsClient(endpoint);
  let duplicates = 0;
  const pending = new Set<Promise<unknown>>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'SendMessageBatchCommand') return next(args);
      const input = args.input as SendMessageBatchCommandInput;
      const entries = [...(input.Entries ?? [])].sort(() => Math.random() - 0.5);
      const copies = entries.map((e) => ({ ...e, MessageDeduplicationId: createHash('sha256').update(`${e.MessageDeduplicationId}:dup`).digest('hex') }));
      const late = new Promise((resolve) => setTimeout(resolve, Math.random() * 400))
        .then(() => plain.send(new SendMessageBatchCommand({ QueueUrl: input.QueueUrl, Entries: copies })))
        .then(() => void (duplicates += copies.length), () => undefined);
      pending.add(late);
      void late.finally(() => pending.delete(late));
      return next({ ...args, input: { ...input, Entries: entries } });
    },
    { step: 'initialize', name: 'chaosDuplicateReorder' },
  );
  cleanups.push(async () => {
    await Promise.all(pending);
    client.destroy();
    plain.destroy();
  });
  return { client, duplicates: () => duplicates };
}

describe('duplicated and reordered deliveries', () => {
  it('roll a Deployment to exactly its new template, never above maxSurge', async () => {
    const stack = await freshStack();
    const chaos = chaoticSqs(inject('sqsEndpoint'));
    const plane = await startControlPlane({
      store: stack.store,
      sqs: chaos.client,
      queueUrls: stack.urls.queues,
      dynamoEndpoint: inject('dynamoEndpoint'),
      sqsEndpoint: inject('sqsEndpoint'),
      prefix: stack.prefix,
      logger: silent,
      resyncIntervalMs: 2000,
    });
    cleanups.push(() => plane.stop());
    await startNodes(stack, 3);

    const ns = 'chaos-dup';
    await stack.api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    // Watch every pod change: at no RV may more than replicas + maxSurge pods be live.
    let maxLive = 0;
    const liveNow = new Map<string, boolean>();
    const abort = new AbortController();
    cleanups.push(async () => abort.abort());
    const started = await stack.store.watch({ resource: 'core/pods', namespace: ns, fromResourceVersion: await stack.store.currentResourceVersion(), signal: abort.signal });
    if (!started.ok) throw new Error('watch refused');
    const watching = (async () => {
      for await (const ev of started.events) {
        const name = ev.object.metadata.name ?? '';
        if (ev.type === 'DELETED' || ev.object.metadata.deletionTimestamp) liveNow.delete(name);
        else liveNow.set(name, true);
        maxLive = Math.max(maxLive, liveNow.size);
      }
    })().catch(() => undefined);

    await stack.api.create(deployment(ns, 6, 'nginx:1', { maxSurge: 1, maxUnavailable: 0 }));
    await expect.poll(() => rolloutState(stack.api, ns, 6, 'nginx:1'), { timeout: 90_000, interval: 500 }).toBe('ok');
    await setImage(stack.api, ns, 'nginx:2');
    await expect.poll(() => rolloutState(stack.api, ns, 6, 'nginx:2'), { timeout: 120_000, interval: 500 }).toBe('ok');

    // More duplicated, late wake-ups (resync ticks and their fan-outs) after the rollout change nothing. The
    // queues never drain here: each tick's keys come twice and fan out again faster than a loaded machine ends them.
    const duplicatesAtDone = chaos.duplicates();
    await expect.poll(() => chaos.duplicates(), { timeout: 60_000, interval: 500 }).toBeGreaterThan(duplicatesAtDone + 20);
    expect(await rolloutState(stack.api, ns, 6, 'nginx:2')).toBe('ok');
    // The watch saw the rollout (at least the 6 replicas at once), and never more than 6 + maxSurge.
    expect(maxLive).toBeGreaterThanOrEqual(6);
    expect(maxLive).toBeLessThanOrEqual(7);
    expect((await stack.api.list<ReplicaSet>('apps/replicasets', ns)).items).toHaveLength(2);
    abort.abort();
    await watching;
  }, 300_000);
});

describe('a control plane killed mid-rollout', () => {
  function spawnControlPlane(config: ControlPlaneProcessConfig): { child: ChildProcess; ready: Promise<void> } {
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/support/control-plane-process.ts'), JSON.stringify(config)], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exitGuard = () => child.kill('SIGKILL');
    process.once('exit', exitGuard);
    cleanups.push(async () => {
      process.off('exit', exitGuard);
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await gone;
      }
    });
    let out = '';
    const ready = new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes(READY_LINE)) resolve();
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code, signal) => reject(new Error(`control plane exited (${code ?? signal}) before ready:\n${out}`)));
    });
    return { child, ready };
  }

  async function kill(child: ChildProcess): Promise<void> {
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
  }

  it('is replaced by a new one on the same store and queues, which completes the rollout exactly', async () => {
    const stack = await freshStack();
    // A crashed consumer's messages come back after the queue's visibility timeout (60 s for controllers, as on
    // AWS); 5 s here keeps the test short without changing what happens.
    for (const id of ['controllers', 'scheduler'] as QueueId[]) {
      await testSqsClient().send(new SetQueueAttributesCommand({ QueueUrl: stack.urls.queues[id], Attributes: { VisibilityTimeout: '5' } }));
    }
    const dir = await mkdtemp(join(tmpdir(), 'zp-chaos-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const config: ControlPlaneProcessConfig = {
      dynamoEndpoint: inject('dynamoEndpoint'),
      sqsEndpoint: inject('sqsEndpoint'),
      prefix: stack.prefix,
      queueUrls: stack.urls.queues,
      checkpointsPath: join(dir, 'stream-checkpoints.json'),
      resyncIntervalMs: 2000,
    };
    const first = spawnControlPlane(config);
    await first.ready;
    await startNodes(stack, 3);

    const ns = 'chaos-kill';
    const replicas = 8;
    await stack.api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await stack.api.create(deployment(ns, replicas, 'nginx:1', { maxSurge: 2, maxUnavailable: 1 }));
    await expect.poll(() => rolloutState(stack.api, ns, replicas, 'nginx:1'), { timeout: 90_000, interval: 250 }).toBe('ok');

    await setImage(stack.api, ns, 'nginx:2');
    // Mid-rollout: some pods of the new template exist, the rollout is not done.
    await expect
      .poll(async () => (await stack.api.list<Pod>('core/pods', ns)).items.filter((p) => p.spec.containers[0].image === 'nginx:2').length, { timeout: 60_000, interval: 20 })
      .toBeGreaterThan(0);
    const before = await rolloutState(stack.api, ns, replicas, 'nginx:2');
    await kill(first.child);
    expect(before).not.toBe('ok');

    const second = spawnControlPlane(config);
    await second.ready;
    await expect.poll(() => rolloutState(stack.api, ns, replicas, 'nginx:2'), { timeout: 120_000, interval: 500 }).toBe('ok');
    await expect.poll(async () => (await queueDepth(testSqsClient(), stack.urls.queues.controllers)) + (await queueDepth(testSqsClient(), stack.urls.queues.scheduler)), { timeout: 60_000, interval: 500 }).toBe(0);
    expect(await rolloutState(stack.api, ns, replicas, 'nginx:2')).toBe('ok');
    const sets = (await stack.api.list<ReplicaSet>('apps/replicasets', ns)).items;
    expect(sets.map((s) => [s.metadata.annotations?.['deployment.kubernetes.io/revision'], s.spec.replicas]).sort()).toEqual([
      ['1', 0],
      ['2', replicas],
    ]);
  }, 300_000);
});
