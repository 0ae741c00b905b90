/**
 * What a Lambda event source mapping does for an SQS queue, for the local cluster: long-poll (up to 10 messages,
 * WaitTimeSeconds up to 20), invoke the handler with an SQS event of Lambda's shape, delete the messages that
 * succeeded. Failed messages (in batchItemFailures, or all of them when the handler throws) are left in flight:
 * they come back after the visibility timeout, and the queue's redrive policy moves them to the dead-letter queue
 * after maxReceiveCount. On a FIFO queue a message group stays locked while its messages are in flight, so with
 * any `concurrency` one key is never processed twice at once.
 *
 * Unlike Lambda, this process cannot kill a handler that overruns: a handler given up on (middy's timeout answers
 * early) would keep running while its messages came back and ran again, two reconciles of one key at once. So the
 * handler gets a long deadline (handlerTimeoutMs), and while it runs the batch's visibility is extended every
 * half visibility timeout: the messages stay in flight, and the group locked, until the handler is really done.
 */
import { ChangeMessageVisibilityBatchCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { Logger } from 'pino';
import type { BatchResponse, SqsEvent, SqsRecord } from '../../functions/pipeline/lambda-events.ts';
import { makeInvokeContext, type InvokeContext } from './invoke-context.ts';
import { sleep } from './sleep.ts';

export type SqsHandler = (event: SqsEvent, context: InvokeContext) => Promise<BatchResponse | void | undefined>;

export interface SqsPollerOptions {
  client: SQSClient;
  queueUrl: string;
  /** For the records' eventSourceARN; derived from the URL when omitted. */
  queueArn?: string;
  handler: SqsHandler;
  /** Messages per invocation, 1–10. Default 10. */
  batchSize?: number;
  /** Long-poll wait, 0–20 s. Default 20. */
  waitTimeSeconds?: number;
  /** Concurrent receive/invoke loops (Lambda's maximum concurrency). Default 1. */
  concurrency?: number;
  /**
   * Not Lambda's behaviour, an option for the local runtime: the visibility timeout (s) to give a failed message
   * before its next attempt, by receive count (retries with backoff instead of the queue's whole timeout).
   */
  retryVisibilitySeconds?: (receiveCount: number) => number;
  /** The deadline handlers see in their context (middy answers early when it passes). Default 15 min, Lambda's maximum. */
  handlerTimeoutMs?: number;
  /** The queue's visibility timeout (s), for extending a running batch's. Default: read from the queue. */
  visibilityTimeoutSeconds?: number;
  region?: string;
  /** The function name handlers see in their context. Default `controllers`. */
  functionName?: string;
  logger?: Logger;
}

export interface SqsPoller {
  stop(): Promise<void>;
}

function arnOf(queueUrl: string, region: string): string {
  // Not `new URL`: fauxqs URLs (`http://sqs.us-east-1.127.0.0.1:4566/…`) are not valid WHATWG URLs.
  const parts = queueUrl.replace(/^[a-z]+:\/\/[^/]*/i, '').split('/').filter(Boolean);
  return `arn:aws:sqs:${region}:${parts[0] ?? '000000000000'}:${parts[1] ?? parts[0] ?? 'queue'}`;
}

export function toLambdaSqsRecord(message: Message, queueArn: string, region: string): SqsRecord {
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: { ApproximateReceiveCount: '1', ...(message.Attributes ?? {}) },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([k, v]) => [
        k,
        { stringValue: v.StringValue, binaryValue: v.BinaryValue ? Buffer.from(v.BinaryValue).toString('base64') : undefined, dataType: v.DataType },
      ]),
    ),
    md5OfBody: message.MD5OfBody,
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

export function startSqsPoller(options: SqsPollerOptions): SqsPoller {
  const region = options.region ?? 'us-east-1';
  const queueArn = options.queueArn ?? arnOf(options.queueUrl, region);
  const abort = new AbortController();
  const signal = abort.signal;
  const log = options.logger;

  const settle = async (records: SqsRecord[], failedIds: Set<string>): Promise<void> => {
    const succeeded = records.filter((r) => !failedIds.has(r.messageId));
    if (succeeded.length > 0) {
      const out = await options.client.send(
        new DeleteMessageBatchCommand({ QueueUrl: options.queueUrl, Entries: succeeded.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })) }),
      );
      if (out.Failed?.length) log?.warn({ queueUrl: options.queueUrl, failed: out.Failed.length }, 'some deletes failed; those messages will be redelivered');
    }
    const failed = records.filter((r) => failedIds.has(r.messageId));
    if (options.retryVisibilitySeconds && failed.length > 0) {
      await options.client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: failed.map((r, i) => ({
            Id: String(i),
            ReceiptHandle: r.receiptHandle,
            VisibilityTimeout: options.retryVisibilitySeconds!(Number(r.attributes.ApproximateReceiveCount) || 1),
          })),
        }),
      );
    }
  };

  let visibility: Promise<number> | undefined;
  const visibilitySeconds = (): Promise<number> =>
    (visibility ??= options.visibilityTimeoutSeconds !== undefined
      ? Promise.resolve(options.visibilityTimeoutSeconds)
      : options.client
          .send(new GetQueueAttributesCommand({ QueueUrl: options.queueUrl, AttributeNames: ['VisibilityTimeout'] }))
          .then((out) => Number(out.Attributes?.VisibilityTimeout ?? 30) || 30));

  /** Keeps the batch in flight while `work` runs (a heartbeat every half visibility timeout). */
  const keepInFlight = async <T>(records: SqsRecord[], work: () => Promise<T>): Promise<T> => {
    const seconds = await visibilitySeconds().catch(() => 30);
    const timer = setInterval(() => {
      options.client
        .send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: options.queueUrl,
            Entries: records.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle, VisibilityTimeout: seconds })),
          }),
        )
        .catch((err: unknown) => log?.warn({ queueUrl: options.queueUrl, err }, 'could not extend the visibility of a running batch'));
    }, (seconds * 1000) / 2);
    try {
      return await work();
    } finally {
      clearInterval(timer);
    }
  };

  const invoke = async (records: SqsRecord[]): Promise<Set<string>> => {
    try {
      const context = makeInvokeContext(options.functionName ?? 'controllers', options.handlerTimeoutMs ?? 900_000, region);
      const result = await keepInFlight(records, () => options.handler({ Records: records }, context));
      const ids = new Set((result?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
      // An identifier that is not in the batch fails the whole batch, as on Lambda.
      if ([...ids].some((id) => !records.some((r) => r.messageId === id))) return new Set(records.map((r) => r.messageId));
      return ids;
    } catch (err) {
      log?.warn({ queueUrl: options.queueUrl, err }, 'queue handler threw; the whole batch will be retried');
      return new Set(records.map((r) => r.messageId));
    }
  };

  const loop = async (): Promise<void> => {
    let errors = 0;
    while (!signal.aborted) {
      try {
        const out = await options.client.send(
          new ReceiveMessageCommand({
            QueueUrl: options.queueUrl,
            MaxNumberOfMessages: options.batchSize ?? 10,
            WaitTimeSeconds: options.waitTimeSeconds ?? 20,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: signal },
        );
        errors = 0;
        const messages = out.Messages ?? [];
        if (messages.length === 0) continue;
        const records = messages.map((m) => toLambdaSqsRecord(m, queueArn, region));
        // Once received, a batch is always settled, even while stopping: an unsettled success would run again.
        await settle(records, await invoke(records));
      } catch (err) {
        if (signal.aborted) return;
        log?.warn({ queueUrl: options.queueUrl, err }, 'queue poll failed');
        await sleep(Math.min(5000, 100 * 2 ** errors++), signal);
      }
    }
  };

  const loops = Array.from({ length: Math.max(1, options.concurrency ?? 1) }, () => loop());
  return {
    stop: async () => {
      abort.abort();
      await Promise.all(loops);
    },
  };
}
