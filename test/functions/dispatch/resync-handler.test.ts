import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { pino } from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeResyncHandler } from '../../../functions/dispatch/resync-handler.ts';
import { QueueMessageSchema } from '../../../functions/pipeline/queue-message.ts';
import { ensureQueues, type QueueUrls } from '../../../shared/resources.ts';
import { testSqsClient, uniquePrefix } from '../../support/dynamo.ts';

let urls: QueueUrls;
beforeAll(async () => {
  urls = await ensureQueues(testSqsClient(), uniquePrefix());
});

const tick = (time: string) => ({ version: '0', id: 'x', 'detail-type': 'Scheduled Event', source: 'aws.events', account: '0', time, region: 'us-east-1', resources: [], detail: {} });

async function drain(queueUrl: string): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const got = await testSqsClient().send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    if (!got.Messages?.length) return out.sort();
    for (const m of got.Messages) {
      const msg = QueueMessageSchema.parse(JSON.parse(m.Body ?? ''));
      out.push(`${msg.controller} ${msg.key}`);
      await testSqsClient().send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
    }
  }
}

describe('resync handler', () => {
  it('sends its broadcast keys once per tick, even when a tick is delivered twice', async () => {
    const handler = makeResyncHandler({
      sqs: testSqsClient(),
      queueUrl: (id) => urls.queues[id],
      logger: pino({ level: 'silent' }),
      keys: [
        { controller: 'cronjob', key: '*' },
        { controller: 'scheduler', key: '*unschedulable' },
      ],
    });
    await handler(tick('2026-11-23T10:00:00Z'), {} as never);
    await handler(tick('2026-11-23T10:00:00Z'), {} as never);
    expect(await drain(urls.queues.controllers)).toEqual(['cronjob *']);
    expect(await drain(urls.queues.scheduler)).toEqual(['scheduler *unschedulable']);
    await handler(tick('2026-11-23T10:00:10Z'), {} as never);
    expect(await drain(urls.queues.controllers)).toEqual(['cronjob *']);
  });

  it('rejects an event that is not a scheduled event', async () => {
    const handler = makeResyncHandler({ sqs: testSqsClient(), queueUrl: (id) => urls.queues[id], logger: pino({ level: 'silent' }) });
    await expect(handler({ Records: [] }, {} as never)).rejects.toThrow();
  });
});
