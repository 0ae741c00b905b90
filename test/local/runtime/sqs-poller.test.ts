import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SqsEvent } from '../../../functions/pipeline/lambda-events.ts';
import { startSqsPoller, type SqsPoller, type SqsPollerOptions } from '../../../local/runtime/sqs-poller.ts';
import { testSqsClient, uniquePrefix } from '../../support/dynamo.ts';

const pollers: SqsPoller[] = [];
afterEach(async () => {
  await Promise.all(pollers.splice(0).map((p) => p.stop()));
});

function start(options: Omit<SqsPollerOptions, 'client'>): SqsPoller {
  const poller = startSqsPoller({ client: testSqsClient(), waitTimeSeconds: 1, ...options });
  pollers.push(poller);
  return poller;
}

/** A FIFO queue with a FIFO dead-letter queue, short timeouts so redrive happens within a test. */
async function fifoQueueWithDlq(visibilityTimeout: number, maxReceiveCount: number): Promise<{ queueUrl: string; dlqUrl: string }> {
  const sqs = testSqsClient();
  const name = uniquePrefix('q');
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq.fifo`, Attributes: { FifoQueue: 'true' } }));
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: `${name}.fifo`,
      Attributes: { FifoQueue: 'true', VisibilityTimeout: String(visibilityTimeout), RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount }) },
    }),
  );
  return { queueUrl: queue.QueueUrl!, dlqUrl: dlq.QueueUrl! };
}

async function send(queueUrl: string, messages: { body: string; group: string }[]): Promise<void> {
  for (let i = 0; i < messages.length; i += 10) {
    const out = await testSqsClient().send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: messages.slice(i, i + 10).map((m, j) => ({ Id: String(j), MessageBody: m.body, MessageGroupId: m.group, MessageDeduplicationId: `${m.group}-${m.body}` })),
      }),
    );
    expect(out.Failed ?? []).toEqual([]);
  }
}

async function bodiesIn(queueUrl: string): Promise<string[]> {
  const got = await testSqsClient().send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 0 }));
  return (got.Messages ?? []).map((m) => m.Body ?? '');
}

async function approximateCount(queueUrl: string): Promise<number> {
  const out = await testSqsClient().send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
}

describe('startSqsPoller', () => {
  it('hands Lambda-shaped SQS events to the handler and deletes what succeeded', async () => {
    const { queueUrl } = await fifoQueueWithDlq(30, 3);
    const seen: SqsEvent['Records'] = [];
    start({ queueUrl, handler: async (event) => void seen.push(...event.Records) });
    await send(queueUrl, [{ body: 'one', group: 'g1' }]);
    await expect.poll(() => seen.length, { timeout: 10_000 }).toBe(1);
    expect(seen[0]).toMatchObject({ body: 'one', eventSource: 'aws:sqs', attributes: { ApproximateReceiveCount: '1', MessageGroupId: 'g1' } });
    await expect.poll(() => approximateCount(queueUrl), { timeout: 10_000 }).toBe(0);
  });

  it('retries only the message that failed mid-batch, and the queue moves it to the DLQ after maxReceiveCount', async () => {
    const { queueUrl, dlqUrl } = await fifoQueueWithDlq(1, 2);
    const calls = new Map<string, number>();
    start({
      queueUrl,
      handler: async (event) => {
        for (const r of event.Records) calls.set(r.body, (calls.get(r.body) ?? 0) + 1);
        return { batchItemFailures: event.Records.filter((r) => r.body === 'bad').map((r) => ({ itemIdentifier: r.messageId })) };
      },
    });
    await send(queueUrl, ['a', 'b', 'bad', 'c', 'd'].map((body, i) => ({ body, group: `g${i}` })));
    await expect.poll(() => bodiesIn(dlqUrl), { timeout: 15_000, interval: 250 }).toEqual(['bad']);
    expect(calls.get('bad')).toBe(2);
    for (const body of ['a', 'b', 'c', 'd']) expect(calls.get(body)).toBe(1);
    expect(await approximateCount(queueUrl)).toBe(0);
  });

  it('retries a whole batch whose handler threw, with the backoff visibility it is given', async () => {
    const { queueUrl } = await fifoQueueWithDlq(60, 5);
    const calls = new Map<string, number>();
    let thrown = false;
    start({
      queueUrl,
      retryVisibilitySeconds: () => 0,
      handler: async (event) => {
        for (const r of event.Records) calls.set(r.body, (calls.get(r.body) ?? 0) + 1);
        if (!thrown) {
          thrown = true;
          throw new Error('transient');
        }
      },
    });
    await send(queueUrl, [{ body: 'x', group: 'gx' }]);
    await expect.poll(() => calls.get('x'), { timeout: 10_000 }).toBe(2);
    await expect.poll(() => approximateCount(queueUrl), { timeout: 10_000 }).toBe(0);
  });

  it('keeps a batch whose handler outlasts the visibility timeout in flight, so it runs once', async () => {
    const { queueUrl } = await fifoQueueWithDlq(2, 5);
    const calls = new Map<string, number>();
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    start({
      queueUrl,
      // A second receiver that would take the message again if it became visible.
      concurrency: 2,
      handler: async (event) => {
        for (const r of event.Records) calls.set(r.body, (calls.get(r.body) ?? 0) + 1);
        await released;
      },
    });
    await send(queueUrl, [{ body: 'slow', group: 'gs' }]);
    await expect.poll(() => calls.get('slow'), { timeout: 10_000 }).toBe(1);
    // Past twice the 2 s visibility timeout the message is still in flight (extended), not delivered again.
    const since = performance.now();
    await vi.waitFor(() => expect(performance.now() - since).toBeGreaterThan(4_500), { timeout: 10_000, interval: 100 });
    expect(calls.get('slow')).toBe(1);
    expect(await approximateCount(queueUrl)).toBe(1);
    release();
    await expect.poll(() => approximateCount(queueUrl), { timeout: 10_000 }).toBe(0);
    expect(calls.get('slow')).toBe(1);
  });

  it('never processes two messages of one group at once, and keeps their order, with concurrent pollers', async () => {
    const { queueUrl } = await fifoQueueWithDlq(30, 3);
    const active = new Map<string, number>();
    const order = new Map<string, string[]>();
    let overlap = 0;
    let concurrentGroups = 0;
    start({
      queueUrl,
      concurrency: 4,
      handler: async (event) => {
        for (const r of event.Records) {
          const g = r.attributes.MessageGroupId ?? '';
          active.set(g, (active.get(g) ?? 0) + 1);
          if (active.get(g)! > 1) overlap++;
          concurrentGroups = Math.max(concurrentGroups, [...active.values()].filter((n) => n > 0).length);
        }
        // Simulated reconcile work, so that overlaps would show if the group lock did not hold.
        await new Promise((resolve) => setTimeout(resolve, 10));
        for (const r of event.Records) {
          const g = r.attributes.MessageGroupId ?? '';
          active.set(g, active.get(g)! - 1);
          order.set(g, [...(order.get(g) ?? []), r.body]);
        }
      },
    });
    const groups = ['k1', 'k2', 'k3'];
    const messages = Array.from({ length: 8 }, (_, i) => groups.map((group) => ({ body: `${group}-${i}`, group }))).flat();
    await send(queueUrl, messages);
    await expect.poll(() => [...order.values()].flat().length, { timeout: 15_000 }).toBe(messages.length);
    expect(overlap).toBe(0);
    for (const g of groups) expect(order.get(g)).toEqual(Array.from({ length: 8 }, (_, i) => `${g}-${i}`));
    // The pollers did run groups side by side: the lock is per group, not per queue.
    expect(concurrentGroups).toBeGreaterThan(1);
  });
});
