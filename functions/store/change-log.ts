/**
 * The change-log table's operations: the RV counter, log reads, fills and the watermarks. The log is one shard
 * (pk `log`, sk = RV), so its write ceiling is one partition's: about 1,000 writes/s on AWS (each object write
 * and each fill is one log item). Beyond that the counter item is the bottleneck anyway; sharding would need a
 * merge on read and is not done.
 *
 * meta items (pk `meta`): sk 0 = RV counter, sk 1 = compacted-through RV, sk 2 = settled-through RV (a hint
 * that lets a fresh process start reading near the head instead of at the compaction point).
 */
import {
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  PutItemCommand,
  QueryCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { decodeLogItem, encodeLogItem, LOG_SHARD, META_SHARD, type Item, type LogEntry } from './item-codec.ts';

const COUNTER = { pk: { S: META_SHARD }, sk: { N: '0' } };
const COMPACTED = { pk: { S: META_SHARD }, sk: { N: '1' } };
const SETTLED = { pk: { S: META_SHARD }, sk: { N: '2' } };

export interface Watermarks {
  counter: number;
  compacted: number;
  settled: number;
}

export type FillOutcome = 'filled' | 'committed' | 'compacted';

export class ChangeLog {
  constructor(
    readonly client: DynamoDBClient,
    readonly table: string,
    private readonly ttlSeconds: number,
  ) {}

  /** Hands out the next RV: one atomic ADD on the counter item. */
  async nextRv(): Promise<number> {
    const out = await this.client.send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: COUNTER,
        UpdateExpression: 'ADD v :one',
        ExpressionAttributeValues: { ':one': { N: '1' } },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    const v = out.Attributes?.v?.N;
    if (v === undefined) throw new Error('RV counter update returned no value');
    return Number(v);
  }

  /** All three meta values in one consistent Query. */
  async readWatermarks(): Promise<Watermarks> {
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :meta',
        ExpressionAttributeValues: { ':meta': { S: META_SHARD } },
        ConsistentRead: true,
      }),
    );
    const marks: Watermarks = { counter: 0, compacted: 0, settled: 0 };
    for (const item of out.Items ?? []) {
      const value = Number(item.v?.N ?? '0');
      if (item.sk?.N === '0') marks.counter = value;
      else if (item.sk?.N === '1') marks.compacted = value;
      else if (item.sk?.N === '2') marks.settled = value;
    }
    return marks;
  }

  /**
   * Log entries with after < rv <= upTo, ascending, consistent. One page of at most `limit`; `more` says whether
   * the page was cut. `resource` filters server-side (the range is then not contiguous: callers check the
   * compaction watermark instead).
   */
  async read(after: number, upTo: number | undefined, limit: number, resource?: string): Promise<{ entries: LogEntry[]; more: boolean }> {
    const values: Item = { ':log': { S: LOG_SHARD }, ':after': { N: String(after + 1) } };
    let keyCondition = 'pk = :log AND sk >= :after';
    if (upTo !== undefined) {
      keyCondition = 'pk = :log AND sk BETWEEN :after AND :upTo';
      values[':upTo'] = { N: String(upTo) };
    }
    if (resource) values[':r'] = { S: resource };
    const entries: LogEntry[] = [];
    let start: Item | undefined;
    // With a filter, a page may come back short or empty while more exist; keep going until `limit` or the end.
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: keyCondition,
          FilterExpression: resource ? 'r = :r' : undefined,
          ExpressionAttributeValues: values,
          ConsistentRead: true,
          Limit: limit - entries.length,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? []) entries.push(decodeLogItem(item));
      start = out.LastEvaluatedKey;
    } while (start && entries.length < limit && resource);
    return { entries, more: start !== undefined };
  }

  /**
   * Writes a fill at `rv` unless a commit got there first, and never below the compaction watermark (a fill in
   * a compacted range would re-create entries nobody should read).
   */
  async fill(rv: number, now: number): Promise<FillOutcome> {
    try {
      await this.client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              ConditionCheck: {
                TableName: this.table,
                Key: COMPACTED,
                ConditionExpression: 'attribute_not_exists(v) OR v < :rv',
                ExpressionAttributeValues: { ':rv': { N: String(rv) } },
              },
            },
            {
              Put: {
                TableName: this.table,
                Item: encodeLogItem(rv, { type: 'FILL' }, now, this.ttlSeconds),
                ConditionExpression: 'attribute_not_exists(sk)',
              },
            },
          ],
        }),
      );
      return 'filled';
    } catch (err) {
      if (err instanceof TransactionCanceledException) {
        const [compaction, entry] = err.CancellationReasons ?? [];
        if (compaction?.Code === 'ConditionalCheckFailed') return 'compacted';
        if (entry?.Code === 'ConditionalCheckFailed') return 'committed';
      }
      throw err;
    }
  }

  /** A writer gives back an RV it burned (failed condition): a plain conditional put, no compaction risk. */
  async fillOwn(rv: number, now: number): Promise<void> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: encodeLogItem(rv, { type: 'FILL' }, now, this.ttlSeconds),
          ConditionExpression: 'attribute_not_exists(sk)',
        }),
      );
    } catch (err) {
      // A reader filled it already.
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
    }
  }

  /** Raises a watermark; returns false when it was already at or past `rv`. */
  private async raise(key: Item, rv: number): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: key,
          UpdateExpression: 'SET v = :rv',
          ConditionExpression: 'attribute_not_exists(v) OR v < :rv',
          ExpressionAttributeValues: { ':rv': { N: String(rv) } },
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  raiseCompacted(rv: number): Promise<boolean> {
    return this.raise(COMPACTED, rv);
  }

  raiseSettled(rv: number): Promise<boolean> {
    return this.raise(SETTLED, rv);
  }

  /** Deletes log entries by RV (batches of 25, retrying unprocessed ones). */
  async deleteEntries(rvs: number[]): Promise<void> {
    for (let i = 0; i < rvs.length; i += 25) {
      let requests = rvs.slice(i, i + 25).map((rv) => ({ DeleteRequest: { Key: { pk: { S: LOG_SHARD }, sk: { N: String(rv) } } } }));
      for (let attempt = 0; requests.length > 0; attempt++) {
        const out = await this.client.send(new BatchWriteItemCommand({ RequestItems: { [this.table]: requests } }));
        requests = (out.UnprocessedItems?.[this.table] ?? []) as typeof requests;
        if (requests.length > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 20 * 2 ** attempt)));
      }
    }
  }

  /** Entries' RV and commit time only, for compaction. */
  async readTimes(after: number, upTo: number, limit: number): Promise<{ rv: number; at: number }[]> {
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :log AND sk BETWEEN :after AND :upTo',
        ExpressionAttributeValues: { ':log': { S: LOG_SHARD }, ':after': { N: String(after + 1) }, ':upTo': { N: String(upTo) } },
        ProjectionExpression: 'sk, #at',
        ExpressionAttributeNames: { '#at': 'at' },
        ConsistentRead: true,
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map((item) => ({ rv: Number(item.sk?.N), at: Number(item.at?.N ?? '0') }));
  }
}
