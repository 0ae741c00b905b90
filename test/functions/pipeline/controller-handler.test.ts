import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { makeControllerHandler, TerminalError, type ReconcileContext } from '../../../functions/pipeline/controller-handler.ts';

const silent = pino({ level: 'silent' });

function sqsRecord(messageId: string, body: unknown, group: string, receiveCount = 1) {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: { ApproximateReceiveCount: String(receiveCount), SentTimestamp: '1', MessageGroupId: group, SequenceNumber: '1' },
    messageAttributes: {},
    md5OfBody: 'x',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:zp-controllers.fifo',
    awsRegion: 'us-east-1',
  };
}

describe('makeControllerHandler', () => {
  it('calls the reconciler of each message with its key and reports the ones that threw', async () => {
    const calls: [string, string, ReconcileContext][] = [];
    const handler = makeControllerHandler({
      logger: silent,
      reconcilers: {
        replicaset: async (key, ctx) => {
          calls.push(['replicaset', key, ctx]);
          if (key === 'default/bad') throw new Error('store unavailable');
        },
        deployment: async (key, ctx) => void calls.push(['deployment', key, ctx]),
      },
    });
    const out = await handler(
      {
        Records: [
          sqsRecord('m1', { controller: 'replicaset', key: 'default/web', rv: '7' }, 'replicaset/default/web'),
          sqsRecord('m2', { controller: 'replicaset', key: 'default/bad', rv: '8' }, 'replicaset/default/bad', 3),
          sqsRecord('m3', { controller: 'deployment', key: 'default/web' }, 'deployment/default/web'),
        ],
      },
      {} as never,
    );
    expect(out).toEqual({ batchItemFailures: [{ itemIdentifier: 'm2' }] });
    expect(calls).toEqual(
      expect.arrayContaining([
        ['replicaset', 'default/web', { rv: '7', receiveCount: 1 }],
        ['replicaset', 'default/bad', { rv: '8', receiveCount: 3 }],
        ['deployment', 'default/web', { rv: undefined, receiveCount: 1 }],
      ]),
    );
  });

  it.each([
    ['a body that is not JSON', 'not json'],
    ['a body that is not a controller key', { hello: 'world' }],
    ['a controller this handler does not run', { controller: 'job', key: 'default/pi' }],
  ])('drops %s instead of retrying it forever', async (_name, body) => {
    const handler = makeControllerHandler({ logger: silent, reconcilers: { replicaset: async () => undefined } });
    const out = await handler({ Records: [sqsRecord('m1', body, 'g')] }, {} as never);
    expect(out).toEqual({ batchItemFailures: [] });
  });

  it('records a TerminalError and does not retry it', async () => {
    const handler = makeControllerHandler({
      logger: silent,
      reconcilers: {
        job: async () => {
          throw new TerminalError('spec can never be satisfied');
        },
      },
    });
    const out = await handler({ Records: [sqsRecord('m1', { controller: 'job', key: 'default/pi' }, 'job/default/pi')] }, {} as never);
    expect(out).toEqual({ batchItemFailures: [] });
  });

  it('rejects an event that is not an SQS batch', async () => {
    const handler = makeControllerHandler({ logger: silent, reconcilers: {} });
    await expect(handler({ hello: 'world' }, {} as never)).rejects.toThrow();
  });
});
