/**
 * Per-record failure reporting for stream and queue consumers (style.md §9; powertools' processPartialResponse):
 * a record that throws is reported in `batchItemFailures`, the others succeed, and the batch as a whole never
 * fails because of one record.
 */
import type { BatchResponse } from './lambda-events.ts';

export interface PartialBatchOptions<R> {
  /** The item identifier Lambda expects: `messageId` for SQS, `dynamodb.SequenceNumber` for streams. */
  identify: (record: R) => string;
  /**
   * FIFO queues: records of one group run in order, one at a time, and once one fails the group's later records
   * are reported failed without running (running them would reorder the group). Different groups run
   * concurrently.
   */
  groupOf?: (record: R) => string | undefined;
  /**
   * Streams: records run in order and the first failure ends the batch; it and everything after it are reported,
   * so the event source retries from the first failed sequence number.
   */
  stopOnFirstFailure?: boolean;
  onRecordError?: (record: R, error: unknown) => void;
}

export async function processPartialBatch<R>(
  records: readonly R[],
  fn: (record: R) => Promise<void>,
  options: PartialBatchOptions<R>,
): Promise<BatchResponse> {
  const failed = new Set<R>();
  const run = async (record: R): Promise<boolean> => {
    try {
      await fn(record);
      return true;
    } catch (err) {
      options.onRecordError?.(record, err);
      return false;
    }
  };
  const runInOrder = async (list: readonly R[]): Promise<void> => {
    for (let i = 0; i < list.length; i++) {
      if (await run(list[i])) continue;
      for (const rest of list.slice(i)) failed.add(rest);
      return;
    }
  };

  if (options.stopOnFirstFailure) {
    await runInOrder(records);
  } else {
    const groups = new Map<string | R, R[]>();
    for (const record of records) {
      const group = options.groupOf?.(record) ?? record;
      const list = groups.get(group);
      if (list) list.push(record);
      else groups.set(group, [record]);
    }
    await Promise.all([...groups.values()].map((list) => runInOrder(list)));
  }
  // Report in the batch's own order, which is what Lambda (and the tests) expect to read.
  return { batchItemFailures: records.filter((r) => failed.has(r)).map((r) => ({ itemIdentifier: options.identify(r) })) };
}
