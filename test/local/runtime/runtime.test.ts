import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { makeHandler as makeDispatchHandler } from '../../../functions/dispatch/handler.ts';
import { makeControllerHandler, type Reconciler } from '../../../functions/pipeline/controller-handler.ts';
import { QueueMessageSchema } from '../../../functions/pipeline/queue-message.ts';
import type { DynamoStore } from '../../../functions/store/dynamodb-store.ts';
import { startLocalRuntime, type LocalRuntime } from '../../../local/runtime/runtime.ts';
import { ensureQueues, type QueueUrls } from '../../../shared/resources.ts';
import { createTestStore, testSqsClient, uniquePrefix } from '../../support/dynamo.ts';

const silent = pino({ level: 'silent' });

let prefix: string;
let store: DynamoStore;
let urls: QueueUrls;
let runtime: LocalRuntime;

/** Reconciles seen by the runtime's controller handler, by key, with the time they started. */
const started = new Map<string, number[]>();
let active = new Map<string, number>();
let overlaps = 0;
const poisonKeys = new Set<string>();

const recordingReconciler: Reconciler = async (key) => {
  started.set(key, [...(started.get(key) ?? []), performance.now()]);
  active.set(key, (active.get(key) ?? 0) + 1);
  if (active.get(key)! > 1) overlaps++;
  try {
    // Some asynchronous work, so overlapping reconciles of one key would be seen.
    await new Promise((resolve) => setImmediate(resolve));
    if (poisonKeys.has(key)) throw new Error(`cannot reconcile ${key}`);
  } finally {
    active.set(key, active.get(key)! - 1);
  }
};

beforeAll(async () => {
  prefix = uniquePrefix();
  store = await createTestStore({ tablePrefix: prefix });
  urls = await ensureQueues(testSqsClient(), prefix);
  runtime = await startLocalRuntime({
    dynamoEndpoint: inject('dynamoEndpoint'),
    sqsEndpoint: inject('sqsEndpoint'),
    tablePrefix: prefix,
    handlers: {
      dispatch: makeDispatchHandler({ sqs: testSqsClient(), queueUrl: (id) => urls.queues[id], logger: silent }),
      controllers: makeControllerHandler({ logger: silent, reconcilers: { deployment: recordingReconciler } }),
    },
    stream: { startingPosition: 'TRIM_HORIZON', idleDelayMs: 50 },
    // Failed reconciles come back at once instead of after the queue's 60 s visibility timeout.
    queues: { controllers: { retryVisibilitySeconds: () => 0, concurrency: 4 } },
  });
});

afterAll(async () => {
  await runtime?.stop();
});

async function createDeployment(namespace: string, name: string): Promise<void> {
  const res = await store.create({ resource: 'apps/deployments', namespace, name }, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace }, spec: { replicas: 1 } });
  expect(res.ok).toBe(true);
}

describe('startLocalRuntime', () => {
  it('carries a store write through the stream, dispatch and the queue to the reconciler; reports the p50 latency', async () => {
    const ns = uniquePrefix('ns');
    const fromAck: number[] = [];
    const fromStart: number[] = [];
    // Write 0 warms up the JIT on both sides (≈ 2 s once per process); it is not counted.
    for (let i = 0; i <= 30; i++) {
      const key = `${ns}/d${i}`;
      const t0 = performance.now();
      await createDeployment(ns, `d${i}`);
      const acked = performance.now();
      await expect.poll(() => started.get(key)?.length ?? 0, { timeout: 10_000, interval: 2 }).toBeGreaterThan(0);
      if (i === 0) continue;
      fromAck.push(started.get(key)![0] - acked);
      fromStart.push(started.get(key)![0] - t0);
    }
    const pct = (list: number[], p: number) => [...list].sort((a, b) => a - b)[Math.floor(list.length * p)];
    console.log(
      `write → reconcile over ${fromAck.length} writes: from the write's ack p50 ${pct(fromAck, 0.5).toFixed(1)} ms, p90 ${pct(fromAck, 0.9).toFixed(1)} ms; ` +
        `including the store write p50 ${pct(fromStart, 0.5).toFixed(1)} ms, p90 ${pct(fromStart, 0.9).toFixed(1)} ms`,
    );
    // A figure, loosely bounded: the 50 ms idle stream poll should dominate it.
    expect(pct(fromAck, 0.5)).toBeLessThan(500);
  });

  it('reconciles one key once at a time however fast it changes', async () => {
    const ns = uniquePrefix('ns');
    await createDeployment(ns, 'busy');
    const ref = { resource: 'apps/deployments', namespace: ns, name: 'busy' };
    for (let i = 0; i < 10; i++) {
      const current = await store.get(ref);
      const res = await store.update(ref, { ...current!, spec: { replicas: i + 2 } }, current!.metadata.resourceVersion!);
      expect(res.ok).toBe(true);
    }
    // One wake-up per change; none of them overlapped.
    await expect.poll(() => started.get(`${ns}/busy`)?.length ?? 0, { timeout: 10_000 }).toBe(11);
    expect(overlaps).toBe(0);
  });

  it('dead-letters a reconcile that keeps failing after maxReceiveCount tries, without holding up other keys', async () => {
    const ns = uniquePrefix('ns');
    poisonKeys.add(`${ns}/poison`);
    for (const name of ['before', 'poison', 'after']) await createDeployment(ns, name);
    await expect.poll(() => [started.get(`${ns}/before`)?.length, started.get(`${ns}/after`)?.length], { timeout: 10_000 }).toEqual([1, 1]);
    const dead: unknown[] = [];
    await expect
      .poll(
        async () => {
          const got = await testSqsClient().send(new ReceiveMessageCommand({ QueueUrl: urls.deadLetterQueues.controllers, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
          dead.push(...(got.Messages ?? []).map((m) => QueueMessageSchema.parse(JSON.parse(m.Body ?? ''))));
          return dead.length;
        },
        { timeout: 15_000, interval: 100 },
      )
      .toBe(1);
    expect(dead[0]).toMatchObject({ controller: 'deployment', key: `${ns}/poison` });
    // QUEUES.controllers.maxReceiveCount deliveries, no more.
    expect(started.get(`${ns}/poison`)).toHaveLength(5);
  });

  it('invokes the resync handler on its timer and stops with the runtime', async () => {
    const ticks: string[] = [];
    const own = await startLocalRuntime({
      dynamoEndpoint: inject('dynamoEndpoint'),
      sqsEndpoint: inject('sqsEndpoint'),
      tablePrefix: prefix,
      handlers: { resync: async (event) => void ticks.push(event['detail-type']) },
      resyncIntervalMs: 20,
    });
    await expect.poll(() => ticks.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(2);
    await own.stop();
    const after = ticks.length;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(ticks.length).toBe(after);
    expect(ticks[0]).toBe('Scheduled Event');
  });
});
