import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { DynamoDBStreamEvent, DynamoDBStreamRecord } from '../../../functions/pipeline/lambda-events.ts';
import { decodeObjectImage } from '../../../functions/store/item-codec.ts';
import type { DynamoStore } from '../../../functions/store/dynamodb-store.ts';
import { startStreamPoller, type StreamFailure, type StreamPoller, type StreamPollerOptions } from '../../../local/runtime/stream-poller.ts';
import { tableNames } from '../../../shared/resources.ts';
import { createTestStore, testDynamoClient, uniquePrefix } from '../../support/dynamo.ts';

const streams = new DynamoDBStreamsClient({
  region: 'us-east-1',
  endpoint: inject('dynamoEndpoint'),
  credentials: { accessKeyId: 'zeroplanelocal', secretAccessKey: 'zeroplanelocal' },
});

let store: DynamoStore;
let streamArn: string;
const pollers: StreamPoller[] = [];

beforeAll(async () => {
  const prefix = uniquePrefix();
  store = await createTestStore({ tablePrefix: prefix });
  const table = await testDynamoClient().send(new DescribeTableCommand({ TableName: tableNames(prefix).objects }));
  streamArn = table.Table!.LatestStreamArn!;
});

afterEach(async () => {
  await Promise.all(pollers.splice(0).map((p) => p.stop()));
});

afterAll(() => {
  streams.destroy();
});

function start(options: Omit<StreamPollerOptions, 'client' | 'streamArn'>): StreamPoller {
  const poller = startStreamPoller({ client: streams, streamArn, idleDelayMs: 20, retryDelayMs: () => 1, ...options });
  pollers.push(poller);
  return poller;
}

async function createConfigMaps(namespace: string, names: string[], resource = 'core/configmaps'): Promise<void> {
  for (const name of names) {
    const res = await store.create({ resource, namespace, name }, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data: { n: name } });
    expect(res.ok).toBe(true);
  }
}

const nameOf = (r: DynamoDBStreamRecord): string => decodeObjectImage(r.dynamodb.NewImage ?? r.dynamodb.OldImage).ref.name;
/** Each test writes into its own namespace; only those records count for it. */
const inNamespace = (ns: string) => (r: DynamoDBStreamRecord) => decodeObjectImage(r.dynamodb.NewImage ?? r.dynamodb.OldImage).ref.namespace === ns;

describe('startStreamPoller', () => {
  it('hands every write to the handler in order, in batches of at most batchSize, as Lambda-shaped records', async () => {
    const ns = uniquePrefix('ns');
    const names = Array.from({ length: 12 }, (_, i) => `cm-${String(i).padStart(2, '0')}`);
    const seen: string[] = [];
    const sizes: number[] = [];
    start({
      batchSize: 5,
      startingPosition: 'TRIM_HORIZON',
      handler: async (event: DynamoDBStreamEvent) => {
        sizes.push(event.Records.length);
        for (const r of event.Records) {
          expect(r.eventSource).toBe('aws:dynamodb');
          expect(r.eventSourceARN).toBe(streamArn);
        }
        seen.push(...event.Records.filter(inNamespace(ns)).map(nameOf));
      },
    });
    await createConfigMaps(ns, names);
    await expect.poll(() => seen, { timeout: 10_000 }).toEqual(names);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(5);
  });

  it('applies the FilterCriteria before the handler sees a record', async () => {
    const ns = uniquePrefix('ns');
    const seen: string[] = [];
    start({
      startingPosition: 'LATEST',
      filterCriteria: { Filters: [{ Pattern: JSON.stringify({ dynamodb: { Keys: { pk: { S: [{ 'anything-but': ['core/events'] }] } } } }) }] },
      handler: async (event) => void seen.push(...event.Records.filter(inNamespace(ns)).map((r) => `${r.dynamodb.Keys.pk && (r.dynamodb.Keys.pk as { S: string }).S}:${nameOf(r)}`)),
    });
    // LATEST is taken asynchronously; wait until the poller sees a marker write before the writes under test.
    await waitUntilPolling(ns, seen);
    await createConfigMaps(ns, ['e1'], 'core/events');
    await createConfigMaps(ns, ['c1']);
    await expect.poll(() => seen.filter((s) => !s.includes(':marker')), { timeout: 10_000 }).toEqual(['core/configmaps:c1']);
  });

  it('retries from the first failed record, then sends a record that keeps failing to onFailure and moves on', async () => {
    const ns = uniquePrefix('ns');
    const attempts = new Map<string, number>();
    const delivered: string[] = [];
    const failures: StreamFailure[] = [];
    const poller = start({
      batchSize: 10,
      maxRetryAttempts: 2,
      startingPosition: 'TRIM_HORIZON',
      onFailure: (f) => void failures.push(f),
      handler: async (event) => {
        const batchItemFailures: { itemIdentifier: string }[] = [];
        for (const r of event.Records) {
          if (!inNamespace(ns)(r)) continue;
          const name = nameOf(r);
          attempts.set(name, (attempts.get(name) ?? 0) + 1);
          // Report the poison record and everything after it, as an in-order consumer does.
          if (name === 'poison' || batchItemFailures.length > 0) batchItemFailures.push({ itemIdentifier: r.dynamodb.SequenceNumber });
          else delivered.push(name);
        }
        return { batchItemFailures };
      },
    });
    await createConfigMaps(ns, ['a', 'b', 'poison', 'c', 'd']);
    await expect.poll(() => delivered, { timeout: 10_000 }).toEqual(['a', 'b', 'c', 'd']);
    expect(failures).toHaveLength(1);
    expect(failures[0].reason).toBe('batchItemFailure');
    expect(failures[0].records.map(nameOf)).toEqual(['poison']);
    // The first try plus maxRetryAttempts retries; records before it ran once.
    expect(attempts.get('poison')).toBe(3);
    expect(attempts.get('a')).toBe(1);
    const shard = failures[0].shardId;
    await expect.poll(() => BigInt(poller.checkpoint(shard) ?? '0') >= BigInt(failures[0].records[0].dynamodb.SequenceNumber)).toBe(true);
  });

  it('bisects a batch whose invocation throws until the failing record is alone, and delivers the rest', async () => {
    const ns = uniquePrefix('ns');
    const delivered = new Set<string>();
    const failures: StreamFailure[] = [];
    // Hold the first invocation until all writes are in, so most of them arrive as one batch to bisect.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    start({
      batchSize: 10,
      maxRetryAttempts: 1,
      startingPosition: 'TRIM_HORIZON',
      onFailure: (f) => void failures.push(f),
      handler: async (event) => {
        await gate;
        const mine = event.Records.filter(inNamespace(ns));
        if (mine.some((r) => nameOf(r) === 'poison')) throw new Error('cannot handle poison');
        for (const r of mine) delivered.add(nameOf(r));
      },
    });
    await createConfigMaps(ns, ['a', 'b', 'c', 'poison', 'd', 'e', 'f']);
    open();
    await expect.poll(() => [...delivered].sort(), { timeout: 10_000 }).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    const poisonFailures = failures.filter((f) => f.records.some((r) => inNamespace(ns)(r) && nameOf(r) === 'poison'));
    expect(poisonFailures).toHaveLength(1);
    expect(poisonFailures[0].records.map(nameOf)).toEqual(['poison']);
    expect(poisonFailures[0].reason).toBe('error');
  });

  it('starts after the checkpoint it is given, skipping what was already handled', async () => {
    const ns = uniquePrefix('ns');
    const first: DynamoDBStreamRecord[] = [];
    const saved = new Map<string, string>();
    const checkpoints = { get: (id: string) => saved.get(id), set: (id: string, seq: string) => void saved.set(id, seq) };
    const p1 = start({ startingPosition: 'TRIM_HORIZON', checkpoints, handler: async (e) => void first.push(...e.Records.filter(inNamespace(ns))) });
    await createConfigMaps(ns, ['one']);
    await expect.poll(() => first.length, { timeout: 10_000 }).toBe(1);
    await p1.stop();
    await createConfigMaps(ns, ['two']);
    const second: string[] = [];
    start({ startingPosition: 'TRIM_HORIZON', checkpoints, handler: async (e) => void second.push(...e.Records.filter(inNamespace(ns)).map(nameOf)) });
    await expect.poll(() => second, { timeout: 10_000 }).toEqual(['two']);
  });
});

async function waitUntilPolling(ns: string, seen: string[]): Promise<void> {
  let i = 0;
  await expect
    .poll(
      async () => {
        await createConfigMaps(ns, [`marker-${i++}`]).catch(() => undefined);
        return seen.some((s) => s.includes(':marker'));
      },
      { timeout: 10_000, interval: 200 },
    )
    .toBe(true);
}
