/**
 * Sends controller keys to their FIFO queues: MessageGroupId `<controller>/<key>` (one reconcile per key at a
 * time), a deduplication id per (key, change), SendMessageBatch in tens. Used by dispatch and by reconcilers that
 * fan a broadcast key out into object keys. Reports which items failed so the caller can fail just their records.
 */
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { QueueId } from '../../shared/resources.ts';
import { deduplicationId, messageGroupId, queueFor, type QueueMessage } from '../pipeline/queue-message.ts';

export interface OutgoingKey<T> {
  message: QueueMessage;
  /** What makes this wake-up distinct from others of the same key (e.g. `MODIFY:42`); equal causes deduplicate. */
  cause: string;
  /** Handed back when the send fails (dispatch uses the stream record). */
  tag: T;
}

export interface QueueSenderDeps {
  sqs: SQSClient;
  queueUrl: (id: QueueId) => string;
}

/** SQS's SendMessageBatch limit. */
const BATCH = 10;

export async function sendControllerKeys<T>(deps: QueueSenderDeps, items: readonly OutgoingKey<T>[]): Promise<{ failed: T[] }> {
  const byQueue = new Map<QueueId, Map<string, { entry: { Id: string; MessageBody: string; MessageGroupId: string; MessageDeduplicationId: string }; tags: T[] }>>();
  for (const item of items) {
    const queue = queueFor(item.message.controller);
    const dedup = deduplicationId(item.message, item.cause);
    let entries = byQueue.get(queue);
    if (!entries) byQueue.set(queue, (entries = new Map()));
    const existing = entries.get(dedup);
    // The same wake-up twice in one call (a duplicated record) is one message; its fate is both records' fate.
    if (existing) existing.tags.push(item.tag);
    else
      entries.set(dedup, {
        entry: { Id: String(entries.size), MessageBody: JSON.stringify(item.message), MessageGroupId: messageGroupId(item.message), MessageDeduplicationId: dedup },
        tags: [item.tag],
      });
  }
  const failed: T[] = [];
  const sends: Promise<void>[] = [];
  for (const [queue, entries] of byQueue) {
    const all = [...entries.values()];
    for (let i = 0; i < all.length; i += BATCH) {
      const chunk = all.slice(i, i + BATCH);
      sends.push(
        (async () => {
          try {
            const out = await deps.sqs.send(new SendMessageBatchCommand({ QueueUrl: deps.queueUrl(queue), Entries: chunk.map((c) => c.entry) }));
            const failedIds = new Set((out.Failed ?? []).map((f) => f.Id));
            for (const c of chunk) if (failedIds.has(c.entry.Id)) failed.push(...c.tags);
          } catch {
            for (const c of chunk) failed.push(...c.tags);
          }
        })(),
      );
    }
  }
  await Promise.all(sends);
  return { failed };
}

/** The environment variable holding each queue's URL (the CDK stack sets them on every sender). */
export const QUEUE_URL_VARIABLES: Record<QueueId, string> = {
  scheduler: 'SCHEDULER_QUEUE_URL',
  controllers: 'CONTROLLERS_QUEUE_URL',
  cloud: 'CLOUD_QUEUE_URL',
};

/** A sender configured from the environment. URLs are read at send time, so importing a handler needs no env. */
export function queueSenderFromEnv(env: NodeJS.ProcessEnv = process.env): QueueSenderDeps {
  return {
    // useQueueUrlAsEndpoint: false is harmless on AWS and needed with the local SQS emulator (local-stack.md §2.1).
    sqs: new SQSClient({ useQueueUrlAsEndpoint: false }),
    queueUrl: (id) => {
      const url = env[QUEUE_URL_VARIABLES[id]];
      if (!url) throw new Error(`${QUEUE_URL_VARIABLES[id]} is not set`);
      return url;
    },
  };
}
