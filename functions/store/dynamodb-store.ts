/**
 * The ObjectStore port on DynamoDB (design invariant 1), kine's scheme:
 * - an atomic counter hands out RVs (one UpdateItem);
 * - each write is ONE TransactWriteItems: the object Put/Delete with its named condition, plus the change-log
 *   entry at the RV with attribute_not_exists;
 * - a writer whose object condition fails fills its burned RV at once; a writer whose log condition fails (a
 *   reader filled its RV while it was slow) retries under a new RV;
 * - reads of the log are gap-free (log-reader.ts); list replays the log to return an exact snapshot.
 * Budget per successful write: counter + transaction (+ a consistent GetItem in parallel with the counter
 * when this process has not seen the object being replaced).
 */
import {
  GetItemCommand,
  QueryCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  type CancellationReason,
  type DynamoDBClient,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import type { KubeObject } from '../../shared/api/object.ts';
import { errors } from '../../shared/api/status.ts';
import { tableNames, type TableNames } from '../../shared/resources.ts';
import { ChangeLog } from './change-log.ts';
import { compactLog, DEFAULT_RETENTION, type RetentionPolicy } from './compaction.ts';
import { decodeContinue, encodeContinue } from './continue-token.ts';
import { translateDynamoError } from './dynamo-errors.ts';
import {
  bodyBytes,
  decodeObjectItem,
  encodeBody,
  encodeLogItem,
  encodeObjectItem,
  itemBytes,
  MAX_BODY_BYTES,
  MAX_ITEM_BYTES,
  nodeNameOf,
  objectSortKey,
  parseObject,
  selectorView,
  withResourceVersion,
  type EncodedBody,
  type Item,
  type StoredObject,
} from './item-codec.ts';
import { LogCompactedError, LogReader } from './log-reader.ts';
import { snapshotAt, TrimmedPreviousError, type SnapshotItem } from './list-snapshot.ts';
import type {
  ListOptions,
  ListResult,
  ObjectRef,
  ObjectStore,
  ResourceKey,
  WatchOptions,
  WatchStart,
  WriteResult,
} from './object-store.ts';
import { PreviousCache } from './previous-cache.ts';
import { skipDiscardedSdkLogging } from './sdk-logging.ts';

export interface DynamoStoreOptions {
  client: DynamoDBClient;
  /** Tables are `<prefix>-objects` and `<prefix>-changelog` (shared/resources.ts). */
  tablePrefix: string;
  /** How long a reader waits on a missing RV before filling it. Default 200 ms. */
  fillDelayMs?: number;
  /** Log tail interval while there are watchers. Default 50 ms. */
  pollIntervalMs?: number;
  retention?: Partial<RetentionPolicy>;
  /** Compact in the background after this many writes by this instance (0 = only when `compact()` is called). Default 1000. */
  compactEveryWrites?: number;
  /** DynamoDB TTL on log entries, a backstop only. Default 24 h. */
  logTtlSeconds?: number;
  /** A writer holding an RV longer than this gives it up and takes a new one. Default 30 s (< retention.minAgeMs). */
  writerDeadlineMs?: number;
  /** Objects remembered to skip the read of the previous state on update/delete. Default 2000. */
  cacheEntries?: number;
  /** Recent log entries kept in memory for watches and list replays. Default 5000. */
  bufferEntries?: number;
  /** Events a watcher may lag before it is ended with 410. Default 10000. */
  maxQueuedEvents?: number;
  now?: () => number;
  onError?: (err: unknown) => void;
  /** Test seam: runs after a writer took its RV and before it commits (simulates a slow or dying writer). */
  afterRvTaken?: (rv: number) => Promise<void>;
}

type WriteKind = 'create' | 'update' | 'delete';

/** The two items of a write transaction, in this order; cancellation reasons come back in the same order. */
const OBJECT_CLAUSE = 0;
const LOG_CLAUSE = 1;

interface Cancellation {
  objectFailed: boolean;
  current?: Item;
  logFailed: boolean;
  contended: boolean;
}

function readCancellation(err: unknown): Cancellation | undefined {
  if (!(err instanceof TransactionCanceledException)) return undefined;
  const reasons: CancellationReason[] = err.CancellationReasons ?? [];
  const objectReason = reasons[OBJECT_CLAUSE];
  const logReason = reasons[LOG_CLAUSE];
  return {
    objectFailed: objectReason?.Code === 'ConditionalCheckFailed',
    current: objectReason?.Item,
    logFailed: logReason?.Code === 'ConditionalCheckFailed',
    contended: reasons.some((r) => r.Code === 'TransactionConflict'),
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The 410s of a list whose snapshot the log no longer reaches, worded as apiserver's etcd3 store words them. */
const EXPIRED_CONTINUE = 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.';
const EXPIRED_LIST = 'The resourceVersion for the provided list is too old.';

/** Every public method's failures pass through here: DynamoDB throttling leaves the store as a 429. */
function guarded<T>(work: Promise<T>): Promise<T> {
  return work.catch((err: unknown) => {
    throw translateDynamoError(err);
  });
}

/** An exact list RV: a positive decimal integer. */
function parseExactRv(rv: string): number {
  const n = /^\d+$/.test(rv) ? Number(rv) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw errors.badRequest(`invalid resource version: ${rv}`);
  return n;
}

export class DynamoStore implements ObjectStore {
  readonly tables: TableNames;
  readonly log: ChangeLog;
  private readonly client: DynamoDBClient;
  private readonly reader: LogReader;
  private readonly cache: PreviousCache;
  private readonly retention: RetentionPolicy;
  private readonly now: () => number;
  private readonly writerDeadlineMs: number;
  private readonly compactEveryWrites: number;
  private readonly logTtlSeconds: number;
  private readonly afterRvTaken?: (rv: number) => Promise<void>;
  private readonly onError: (err: unknown) => void;
  private writesSinceCompaction = 0;
  private compacting: Promise<unknown> | undefined;

  constructor(options: DynamoStoreOptions) {
    this.client = options.client;
    skipDiscardedSdkLogging(this.client);
    this.tables = tableNames(options.tablePrefix);
    this.now = options.now ?? Date.now;
    this.retention = { ...DEFAULT_RETENTION, ...options.retention };
    this.writerDeadlineMs = options.writerDeadlineMs ?? 30_000;
    if (this.writerDeadlineMs >= this.retention.minAgeMs) {
      throw new Error('writerDeadlineMs must be below retention.minAgeMs, or a late commit could land in a compacted range');
    }
    this.compactEveryWrites = options.compactEveryWrites ?? 1000;
    this.logTtlSeconds = options.logTtlSeconds ?? 24 * 3600;
    this.afterRvTaken = options.afterRvTaken;
    this.onError = options.onError ?? ((err) => console.error(JSON.stringify({ msg: 'store background error', err: String(err) })));
    this.log = new ChangeLog(this.client, this.tables.changelog, this.logTtlSeconds);
    this.cache = new PreviousCache(options.cacheEntries ?? 2000);
    this.reader = new LogReader(this.log, {
      fillDelayMs: options.fillDelayMs ?? 200,
      pollIntervalMs: options.pollIntervalMs ?? 50,
      pageSize: 500,
      bufferEntries: options.bufferEntries ?? 5000,
      maxQueuedEvents: options.maxQueuedEvents ?? 10_000,
      persistSettledEvery: 500,
      now: this.now,
      onError: this.onError,
    });
  }

  private cacheKey(ref: ObjectRef): string {
    return `${ref.resource}\n${objectSortKey(ref.namespace, ref.name)}`;
  }

  private async readItem(ref: ObjectRef): Promise<StoredObject | undefined> {
    const out = await this.client.send(
      new GetItemCommand({
        TableName: this.tables.objects,
        Key: { pk: { S: ref.resource }, sk: { S: objectSortKey(ref.namespace, ref.name) } },
        ConsistentRead: true,
      }),
    );
    if (!out.Item) return undefined;
    const stored = decodeObjectItem(out.Item);
    this.cache.set(this.cacheKey(ref), stored.rv, stored.json);
    return stored;
  }

  get(ref: ObjectRef): Promise<KubeObject | undefined> {
    return guarded(this.readItem(ref).then((stored) => (stored ? parseObject(stored.json) : undefined)));
  }

  create(ref: ObjectRef, object: KubeObject): Promise<WriteResult> {
    return guarded(this.write('create', ref, object, undefined));
  }

  update(ref: ObjectRef, object: KubeObject, expectedRv: string): Promise<WriteResult> {
    return guarded(this.write('update', ref, object, expectedRv));
  }

  delete(ref: ObjectRef, expectedRv: string): Promise<WriteResult> {
    return guarded(this.write('delete', ref, undefined, expectedRv));
  }

  private async write(kind: WriteKind, ref: ObjectRef, object: KubeObject | undefined, expectedRv: string | undefined): Promise<WriteResult> {
    const key = this.cacheKey(ref);
    const expected = expectedRv === undefined ? undefined : Number(expectedRv);
    let previousJson: string | undefined;
    let rv: number;
    if (kind === 'create') {
      rv = await this.log.nextRv();
    } else {
      previousJson = expected !== undefined && Number.isSafeInteger(expected) ? this.cache.get(key, expected) : undefined;
      if (previousJson !== undefined) {
        rv = await this.log.nextRv();
      } else {
        // Not seen here: read the state being replaced alongside taking the RV (it goes into the log entry).
        const [taken, current] = await Promise.all([this.log.nextRv(), this.readItem(ref)]);
        rv = taken;
        if (!current) return this.giveBack(rv, { ok: false, reason: 'NotFound' });
        if (current.rv !== expected) return this.giveBack(rv, { ok: false, reason: 'Conflict', current: parseObject(current.json) });
        previousJson = current.json;
      }
    }
    let takenAt = this.now();

    for (let attempt = 0; ; attempt++) {
      if (this.afterRvTaken) await this.afterRvTaken(rv);
      if (this.now() - takenAt > this.writerDeadlineMs) {
        // Too late to commit safely (compaction may pass this RV): give it back and start over.
        await this.log.fillOwn(rv, this.now());
        rv = await this.log.nextRv();
        takenAt = this.now();
        continue;
      }
      const stamped = object ? withResourceVersion(object, rv) : withResourceVersion(parseObject(previousJson ?? '{}'), rv);
      const tx = this.transaction(kind, ref, rv, object ? stamped : undefined, expected, previousJson);
      if ('tooLarge' in tx) return this.giveBack(rv, undefined, tx.tooLarge);
      try {
        await this.client.send(new TransactWriteItemsCommand({ TransactItems: tx.items }));
      } catch (err) {
        const cancel = readCancellation(err);
        if (!cancel) {
          await this.log.fillOwn(rv, this.now()).catch(() => undefined);
          throw err;
        }
        if (cancel.objectFailed) {
          if (!cancel.logFailed) await this.log.fillOwn(rv, this.now());
          if (kind === 'create') return { ok: false, reason: 'AlreadyExists' };
          if (!cancel.current) return { ok: false, reason: 'NotFound' };
          const current = decodeObjectItem(cancel.current);
          this.cache.set(key, current.rv, current.json);
          return { ok: false, reason: 'Conflict', current: parseObject(current.json) };
        }
        if (cancel.logFailed) {
          // A reader filled our RV while we were slow: the object condition still stands, so take a new RV.
          rv = await this.log.nextRv();
          takenAt = this.now();
          continue;
        }
        if (cancel.contended && attempt < 8) {
          // Another transaction held the item: same RV, short jittered backoff.
          await sleep(Math.random() * 5 * 2 ** Math.min(attempt, 4));
          continue;
        }
        await this.log.fillOwn(rv, this.now()).catch(() => undefined);
        throw err;
      }
      if (kind === 'delete') this.cache.delete(key);
      else this.cache.set(key, rv, tx.json);
      this.reader.nudge();
      this.maybeCompact();
      return { ok: true, object: stamped };
    }
  }

  /** A write decided before committing: fill the RV it took so readers need not wait, then answer. */
  private async giveBack(rv: number, result: WriteResult | undefined, tooLarge?: number): Promise<WriteResult> {
    await this.log.fillOwn(rv, this.now());
    if (tooLarge !== undefined) throw errors.tooLarge(tooLarge);
    return result as WriteResult;
  }

  private transaction(
    kind: WriteKind,
    ref: ObjectRef,
    rv: number,
    object: KubeObject | undefined,
    expected: number | undefined,
    previousJson: string | undefined,
  ): { items: TransactWriteItem[]; json: string } | { tooLarge: number } {
    const sk = objectSortKey(ref.namespace, ref.name);
    const now = this.now();
    const json = object ? JSON.stringify(object) : '';
    const body = object ? encodeBody(json) : undefined;
    if (body && bodyBytes(body) > MAX_BODY_BYTES) return { tooLarge: MAX_BODY_BYTES };

    const logFields = { type: kind === 'create' ? ('ADDED' as const) : kind === 'update' ? ('MODIFIED' as const) : ('DELETED' as const), resource: ref.resource, namespace: ref.namespace, name: ref.name };
    // The log entry carries after + previous; shrink the previous until the entry fits in one item.
    const previousForms: (() => { previous?: EncodedBody; previousTrimmed?: boolean })[] =
      previousJson === undefined
        ? [() => ({})]
        : [
            () => ({ previous: encodeBody(previousJson) }),
            () => ({ previous: encodeBody(previousJson, true) }),
            () => ({ previous: encodeBody(JSON.stringify(selectorView(parseObject(previousJson))), true), previousTrimmed: true }),
          ];
    let logItem: Item | undefined;
    for (const form of previousForms) {
      const candidate = encodeLogItem(rv, { ...logFields, object: body, ...form() }, now, this.logTtlSeconds);
      if (itemBytes(candidate) <= MAX_ITEM_BYTES) {
        logItem = candidate;
        break;
      }
    }
    if (!logItem && body && 'json' in body) {
      const gz = encodeBody(json, true);
      const candidate = encodeLogItem(rv, { ...logFields, object: gz, ...previousForms[previousForms.length - 1]() }, now, this.logTtlSeconds);
      if (itemBytes(candidate) <= MAX_ITEM_BYTES) logItem = candidate;
    }
    if (!logItem) return { tooLarge: MAX_BODY_BYTES };

    const logPut: TransactWriteItem = {
      Put: { TableName: this.tables.changelog, Item: logItem, ConditionExpression: 'attribute_not_exists(sk)' },
    };
    const key = { pk: { S: ref.resource }, sk: { S: sk } };
    let objectOp: TransactWriteItem;
    if (kind === 'create') {
      objectOp = {
        Put: {
          TableName: this.tables.objects,
          Item: encodeObjectItem(ref.resource, sk, rv, body!, nodeNameOf(ref.resource, object!)),
          ConditionExpression: 'attribute_not_exists(sk)',
        },
      };
    } else {
      const condition = {
        ConditionExpression: 'rv = :expected',
        ExpressionAttributeValues: { ':expected': { N: String(expected ?? -1) } },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
      };
      objectOp =
        kind === 'update'
          ? { Put: { TableName: this.tables.objects, Item: encodeObjectItem(ref.resource, sk, rv, body!, nodeNameOf(ref.resource, object!)), ...condition } }
          : { Delete: { TableName: this.tables.objects, Key: key, ...condition } };
    }
    const items: TransactWriteItem[] = [];
    items[OBJECT_CLAUSE] = objectOp;
    items[LOG_CLAUSE] = logPut;
    return { items, json };
  }

  list(resource: ResourceKey, options: ListOptions = {}): Promise<ListResult> {
    return guarded(this.listSnapshot(resource, options));
  }

  private async listSnapshot(resource: ResourceKey, options: ListOptions): Promise<ListResult> {
    if (options.continue && options.resourceVersion !== undefined) {
      throw errors.badRequest('specifying resource version is not allowed when using continue');
    }
    const token = options.continue ? decodeContinue(options.continue) : undefined;
    const exact = options.resourceVersion !== undefined ? parseExactRv(options.resourceVersion) : undefined;
    const prefix = options.namespace ? `${options.namespace}/` : undefined;
    const limit = options.limit && options.limit > 0 ? options.limit : undefined;

    const { counter: c0, compacted } = await this.log.readWatermarks();
    if (exact !== undefined) {
      // The apiserver waits for a future RV before asking; one still ahead of the counter was never handed out.
      if (exact > c0) throw errors.tooLargeResourceVersion(exact, c0);
      // Undoing the changes after `exact` needs every one of them: the log must reach back to it.
      if (exact < compacted) throw errors.expired(EXPIRED_LIST);
    }
    await this.reader.settle(c0);

    const read = new Map<string, SnapshotItem>();
    const parsed = new Map<string, KubeObject>();
    let matched = 0;
    let start: Item | undefined = token ? { pk: { S: resource }, sk: { S: token.after } } : undefined;
    let lastRead: string | undefined;
    let exhausted = false;
    let maxItemRv = 0;
    while (!exhausted && (limit === undefined || matched < limit)) {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tables.objects,
          KeyConditionExpression: prefix ? 'pk = :pk AND begins_with(sk, :prefix)' : 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: resource }, ...(prefix ? { ':prefix': { S: prefix } } : {}) },
          ConsistentRead: true,
          ExclusiveStartKey: start,
          Limit: limit === undefined ? undefined : Math.max(limit - matched + 1, 50),
        }),
      );
      for (const raw of out.Items ?? []) {
        const stored = decodeObjectItem(raw);
        read.set(stored.sk, { rv: stored.rv, json: stored.json });
        maxItemRv = Math.max(maxItemRv, stored.rv);
        lastRead = stored.sk;
        if (!options.filter) {
          matched++;
          continue;
        }
        const obj = parseObject(stored.json);
        parsed.set(stored.sk, obj);
        if (options.filter(obj)) matched++;
      }
      start = out.LastEvaluatedKey;
      exhausted = start === undefined;
    }

    // A continue page and an exact list are both served at an older RV by undoing the later logged changes.
    const snapshotRv = token ? token.rv : (exact ?? Math.max(c0, maxItemRv));
    const high = Math.max(c0, maxItemRv, snapshotRv);
    await this.reader.settle(high);
    let state: [string, SnapshotItem][];
    try {
      const entries = await this.reader.entriesBetween(Math.min(c0, snapshotRv), high, resource);
      state = snapshotAt(read, entries, snapshotRv, { prefix, after: token?.after, through: exhausted ? undefined : lastRead });
    } catch (err) {
      if (err instanceof TrimmedPreviousError || err instanceof LogCompactedError) throw errors.expired(token ? EXPIRED_CONTINUE : EXPIRED_LIST);
      throw err;
    }

    const items: KubeObject[] = [];
    let lastTaken: string | undefined;
    let continueAfter: string | undefined;
    for (const [sk, item] of state) {
      const cached = parsed.get(sk);
      const obj = cached && read.get(sk)?.json === item.json ? cached : parseObject(item.json);
      if (options.filter && !options.filter(obj)) continue;
      if (limit !== undefined && items.length === limit) {
        continueAfter = lastTaken;
        break;
      }
      items.push(obj);
      lastTaken = sk;
    }
    if (continueAfter === undefined && !exhausted && lastRead !== undefined) continueAfter = lastRead;
    return {
      items,
      resourceVersion: String(snapshotRv),
      ...(continueAfter !== undefined ? { continue: encodeContinue(snapshotRv, continueAfter) } : {}),
    };
  }

  watch(options: WatchOptions): Promise<WatchStart> {
    return guarded(this.startWatch(options));
  }

  private async startWatch(options: WatchOptions): Promise<WatchStart> {
    const from = Number(options.fromResourceVersion);
    if (!Number.isSafeInteger(from) || from < 0) throw errors.badRequest(`invalid resource version: ${options.fromResourceVersion}`);
    const { compacted } = await this.log.readWatermarks();
    if (from < compacted) return { ok: false, reason: 'Expired', oldest: String(compacted) };
    return {
      ok: true,
      events: this.reader.subscribe(from, { resource: options.resource, namespace: options.namespace }, options.signal),
    };
  }

  currentResourceVersion(): Promise<string> {
    return guarded(
      (async () => {
        const { counter } = await this.log.readWatermarks();
        await this.reader.settle(counter);
        return String(counter);
      })(),
    );
  }

  /** Deletes log entries past retention (see compaction.ts). Callers may run it on a timer; writes also trigger it. */
  async compact(): Promise<{ compactedThrough: number; deleted: number }> {
    const { counter } = await this.log.readWatermarks();
    await this.reader.settle(counter);
    return compactLog(this.log, this.retention, this.reader.settledThrough, this.now());
  }

  private maybeCompact(): void {
    if (this.compactEveryWrites <= 0 || ++this.writesSinceCompaction < this.compactEveryWrites || this.compacting) return;
    this.writesSinceCompaction = 0;
    this.compacting = this.compact()
      .catch(this.onError)
      .finally(() => {
        this.compacting = undefined;
      });
  }
}

export function createDynamoStore(options: DynamoStoreOptions): DynamoStore {
  return new DynamoStore(options);
}
