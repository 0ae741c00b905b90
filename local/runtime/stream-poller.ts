/**
 * What a Lambda event source mapping does for a DynamoDB stream, for the local cluster: one poller per shard
 * (children after their parent closes), records filtered with the same FilterCriteria JSON the stack emits, batches
 * of up to batchSize handed to the handler, and `batchItemFailures` honoured — the batch is retried from the first
 * failed sequence number; a record that keeps failing goes to `onFailure` after maxRetryAttempts, and a thrown
 * error bisects the batch until the failing record is alone. Either way the shard moves on (never blocked).
 * The last handled sequence number is checkpointed (compared as BigInt: numbers are not contiguous).
 */
import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type DynamoDBStreamsClient,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import type { Logger } from 'pino';
import type { BatchResponse, DynamoDBStreamEvent, DynamoDBStreamRecord } from '../../functions/pipeline/lambda-events.ts';
import { compileFilterCriteria, type FilterCriteria } from './event-filter.ts';
import { makeInvokeContext, type InvokeContext } from './invoke-context.ts';
import { sleep } from './sleep.ts';
import { toLambdaRecord } from './stream-record.ts';

export type StreamHandler = (event: DynamoDBStreamEvent, context: InvokeContext) => Promise<BatchResponse | void | undefined>;

export interface StreamFailure {
  shardId: string;
  /** One record (a batchItemFailure or a bisected error), or the whole batch when bisecting is off. */
  records: DynamoDBStreamRecord[];
  reason: 'batchItemFailure' | 'error';
  error?: unknown;
}

/** Where checkpoints live; in memory by default, so a restarted runtime starts from `startingPosition`. */
export interface CheckpointStore {
  get(shardId: string): Promise<string | undefined> | string | undefined;
  set(shardId: string, sequenceNumber: string): Promise<void> | void;
}

export interface StreamPollerOptions {
  client: DynamoDBStreamsClient;
  streamArn: string;
  handler: StreamHandler;
  /** Where a shard without a checkpoint starts. Default TRIM_HORIZON (nothing written before start is missed). */
  startingPosition?: 'TRIM_HORIZON' | 'LATEST';
  /** Default 100 (Lambda's default for streams). */
  batchSize?: number;
  filterCriteria?: FilterCriteria;
  /** Retries of a failing record (or batch) before it goes to onFailure. Default 3. */
  maxRetryAttempts?: number;
  /** Split a batch whose invocation threw. Default true. */
  bisectBatchOnFunctionError?: boolean;
  /** The on-failure destination. Default: log it. */
  onFailure?: (failure: StreamFailure) => Promise<void> | void;
  /** Sleep after an empty GetRecords. Default 50 ms. */
  idleDelayMs?: number;
  /** Delay before retry n (1-based). Default 20 ms · 2^(n-1), at most 1 s. */
  retryDelayMs?: (attempt: number) => number;
  /** How often to look for new shards. Default 5 s. */
  shardDiscoveryIntervalMs?: number;
  checkpoints?: CheckpointStore;
  region?: string;
  /** The function name handlers see in their context. Default `dispatch`. */
  functionName?: string;
  logger?: Logger;
}

export interface StreamPoller {
  /** The last handled sequence number of a shard. */
  checkpoint(shardId: string): string | undefined;
  stop(): Promise<void>;
}

export function startStreamPoller(options: StreamPollerOptions): StreamPoller {
  const batchSize = options.batchSize ?? 100;
  const maxRetries = options.maxRetryAttempts ?? 3;
  const bisect = options.bisectBatchOnFunctionError ?? true;
  const idleMs = options.idleDelayMs ?? 50;
  const retryDelay = options.retryDelayMs ?? ((n: number) => Math.min(1000, 20 * 2 ** (n - 1)));
  const region = options.region ?? 'us-east-1';
  const passes = compileFilterCriteria(options.filterCriteria);
  const memory = new Map<string, string>();
  const checkpoints: CheckpointStore = options.checkpoints ?? { get: (id) => memory.get(id), set: (id, seq) => void memory.set(id, seq) };
  const lastSeen = new Map<string, string>();
  const abort = new AbortController();
  const signal = abort.signal;
  const shardLoops = new Map<string, Promise<void>>();
  const log = options.logger;

  const reportFailure = async (failure: StreamFailure): Promise<void> => {
    try {
      if (options.onFailure) await options.onFailure(failure);
      else log?.error({ shardId: failure.shardId, records: failure.records.map((r) => r.dynamodb.SequenceNumber), reason: failure.reason, err: failure.error }, 'stream records dropped after retries');
    } catch (err) {
      log?.error({ err }, 'on-failure destination failed');
    }
  };

  type Outcome = { ok: true } | { ok: false; from: number } | { ok: false; error: unknown };
  const invoke = async (records: DynamoDBStreamRecord[]): Promise<Outcome> => {
    let result: BatchResponse | void | undefined;
    try {
      // Lambda's maximum deadline: this process cannot kill an overrunning handler, so it must not give up on one
      // (middy answering early) and deliver the same records again while the first invocation still runs.
      result = await options.handler({ Records: records }, makeInvokeContext(options.functionName ?? 'dispatch', 900_000, region));
    } catch (error) {
      return { ok: false, error };
    }
    const failures = result?.batchItemFailures ?? [];
    if (failures.length === 0) return { ok: true };
    let from = -1;
    for (const f of failures) {
      const i = records.findIndex((r) => r.dynamodb.SequenceNumber === f.itemIdentifier);
      // An identifier that is not in the batch fails the whole batch, as on Lambda.
      if (i < 0) return { ok: false, error: new Error(`batchItemFailures names ${String(f.itemIdentifier)}, which is not in the batch`) };
      if (from < 0 || i < from) from = i;
    }
    return { ok: false, from };
  };

  /** Delivers `records` in order until each has succeeded or gone to onFailure (or the poller stops). */
  const deliver = async (shardId: string, records: DynamoDBStreamRecord[]): Promise<void> => {
    let pending = records;
    let attempts = 0;
    while (pending.length > 0 && !signal.aborted) {
      const outcome = await invoke(pending);
      if (outcome.ok) return;
      if ('from' in outcome) {
        if (outcome.from > 0) {
          // Everything before the first failure is done; the retry starts at the failed record.
          pending = pending.slice(outcome.from);
          attempts = 0;
          continue;
        }
        if (++attempts > maxRetries) {
          await reportFailure({ shardId, records: [pending[0]], reason: 'batchItemFailure' });
          pending = pending.slice(1);
          attempts = 0;
          continue;
        }
      } else {
        if (bisect && pending.length > 1) {
          const half = Math.ceil(pending.length / 2);
          await deliver(shardId, pending.slice(0, half));
          pending = pending.slice(half);
          attempts = 0;
          continue;
        }
        if (++attempts > maxRetries) {
          await reportFailure({ shardId, records: pending, reason: 'error', error: outcome.error });
          return;
        }
      }
      await sleep(retryDelay(attempts), signal);
    }
  };

  const iteratorFor = async (shardId: string): Promise<string | undefined> => {
    const after = await checkpoints.get(shardId);
    const out = await options.client.send(
      new GetShardIteratorCommand(
        after
          ? { StreamArn: options.streamArn, ShardId: shardId, ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after }
          : { StreamArn: options.streamArn, ShardId: shardId, ShardIteratorType: options.startingPosition ?? 'TRIM_HORIZON' },
      ),
      { abortSignal: signal },
    );
    return out.ShardIterator;
  };

  const pollShard = async (shardId: string): Promise<void> => {
    let iterator: string | undefined;
    let errors = 0;
    while (!signal.aborted) {
      try {
        iterator ??= await iteratorFor(shardId);
        if (!iterator) return; // a closed shard read to its end
        const out = await options.client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: batchSize }), { abortSignal: signal });
        errors = 0;
        const done = lastSeen.get(shardId);
        const records = (out.Records ?? [])
          .map((r) => toLambdaRecord(r, options.streamArn, region))
          // After an iterator is re-acquired, never hand the same record twice.
          .filter((r) => done === undefined || BigInt(r.dynamodb.SequenceNumber) > BigInt(done));
        const matching = records.filter((r) => passes(r));
        if (matching.length > 0) await deliver(shardId, matching);
        if (signal.aborted) return; // a stopped delivery is not checkpointed: it is replayed on restart
        const last = records.at(-1)?.dynamodb.SequenceNumber;
        if (last) {
          lastSeen.set(shardId, last);
          await checkpoints.set(shardId, last);
        }
        if (!out.NextShardIterator) return; // shard closed (rolled over on AWS)
        iterator = out.NextShardIterator;
        if ((out.Records ?? []).length === 0) await sleep(idleMs, signal);
      } catch (err) {
        if (signal.aborted) return;
        const name = (err as { name?: string }).name;
        // An expired or trimmed iterator: start again after the checkpoint.
        if (name === 'ExpiredIteratorException' || name === 'TrimmedDataAccessException') iterator = undefined;
        log?.warn({ shardId, err }, 'stream poll failed');
        await sleep(Math.min(5000, 100 * 2 ** errors++), signal);
      }
    }
  };

  const startShard = (shard: Shard, known: Map<string, Shard>): void => {
    const shardId = shard.ShardId;
    if (!shardId || shardLoops.has(shardId)) return;
    const parent = shard.ParentShardId ? shardLoops.get(shard.ParentShardId) : undefined;
    const parentKnown = shard.ParentShardId ? known.has(shard.ParentShardId) : false;
    if (shard.ParentShardId && parentKnown && !parent) return; // the parent starts first; picked up next round
    // Records of a child come after its parent's: start it when the parent shard is read to its end.
    shardLoops.set(shardId, (parent ?? Promise.resolve()).then(() => pollShard(shardId)));
  };

  const discover = async (): Promise<void> => {
    const shards: Shard[] = [];
    let start: string | undefined;
    do {
      const out = await options.client.send(new DescribeStreamCommand({ StreamArn: options.streamArn, ExclusiveStartShardId: start }), { abortSignal: signal });
      shards.push(...(out.StreamDescription?.Shards ?? []));
      start = out.StreamDescription?.LastEvaluatedShardId;
    } while (start);
    const known = new Map(shards.flatMap((s) => (s.ShardId ? [[s.ShardId, s] as const] : [])));
    // Parents before children, so every child finds its parent's loop.
    for (let pass = 0; pass < 2; pass++) for (const s of shards) startShard(s, known);
  };

  const discovery = (async () => {
    let errors = 0;
    while (!signal.aborted) {
      try {
        await discover();
        errors = 0;
        await sleep(options.shardDiscoveryIntervalMs ?? 5000, signal);
      } catch (err) {
        if (signal.aborted) return;
        log?.warn({ err }, 'DescribeStream failed');
        await sleep(Math.min(5000, 100 * 2 ** errors++), signal);
      }
    }
  })();

  return {
    checkpoint: (shardId) => lastSeen.get(shardId),
    stop: async () => {
      abort.abort();
      await discovery;
      await Promise.all(shardLoops.values());
    },
  };
}
