import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { pino } from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeHandler } from '../../../functions/dispatch/handler.ts';
import { QueueMessageSchema, type QueueMessage } from '../../../functions/pipeline/queue-message.ts';
import { encodeBody, encodeObjectItem, objectSortKey } from '../../../functions/store/item-codec.ts';
import type { KubeObject } from '../../../shared/api/object.ts';
import { ensureQueues, type QueueId, type QueueUrls } from '../../../shared/resources.ts';
import { testSqsClient, uniquePrefix } from '../../support/dynamo.ts';

const silent = pino({ level: 'silent' });

let urls: QueueUrls;
beforeAll(async () => {
  urls = await ensureQueues(testSqsClient(), uniquePrefix());
});

function handlerFor(queueUrl: (id: QueueId) => string = (id) => urls.queues[id]) {
  return makeHandler({ sqs: testSqsClient(), queueUrl, logger: silent });
}

let seq = 100;
function image(resource: string, obj: KubeObject, rv: number) {
  return encodeObjectItem(resource, objectSortKey(obj.metadata.namespace ?? '', obj.metadata.name ?? ''), rv, encodeBody(JSON.stringify(obj)));
}

function streamRecord(eventName: 'INSERT' | 'MODIFY' | 'REMOVE', resource: string, before?: [KubeObject, number], after?: [KubeObject, number]) {
  const obj = (after ?? before)![0];
  return {
    eventID: `e${seq}`,
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    eventSourceARN: 'arn:aws:dynamodb:us-east-1:000000000000:table/zp-objects/stream/2026',
    dynamodb: {
      Keys: { pk: { S: resource }, sk: { S: objectSortKey(obj.metadata.namespace ?? '', obj.metadata.name ?? '') } },
      ...(after ? { NewImage: image(resource, after[0], after[1]) } : {}),
      ...(before ? { OldImage: image(resource, before[0], before[1]) } : {}),
      SequenceNumber: String(seq++).padStart(21, '0'),
      SizeBytes: 100,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
}

function pod(name: string, ns: string, nodeName?: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, uid: `u-${name}`, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'rs', controller: true }] },
    spec: { containers: [{ name: 'c', image: 'nginx' }], ...(nodeName ? { nodeName } : {}) },
  };
}

/** Everything currently in a FIFO queue. Each message is deleted once read: a FIFO group stays locked while its head
 *  is in flight. */
async function drain(queueUrl: string): Promise<{ message: QueueMessage; group?: string }[]> {
  const out: { message: QueueMessage; group?: string }[] = [];
  for (;;) {
    const got = await testSqsClient().send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 60, MessageSystemAttributeNames: ['MessageGroupId'] }),
    );
    if (!got.Messages?.length) return out;
    for (const m of got.Messages) {
      out.push({ message: QueueMessageSchema.parse(JSON.parse(m.Body ?? '')), group: m.Attributes?.MessageGroupId });
      await testSqsClient().send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
    }
  }
}

const asText = (list: { message: QueueMessage }[]) => list.map(({ message }) => `${message.controller} ${message.key}`).sort();

describe('dispatch handler', () => {
  it('sends each key of each change to its queue, grouped by controller and key', async () => {
    const ns = uniquePrefix('ns');
    const out = await handlerFor()({ Records: [streamRecord('INSERT', 'core/pods', undefined, [pod('p1', ns), 11])] }, {} as never);
    expect(out).toEqual({ batchItemFailures: [] });
    const controllers = await drain(urls.queues.controllers);
    const scheduler = await drain(urls.queues.scheduler);
    expect(asText(controllers)).toEqual([`endpoints ${ns}`, `gc core/pods:${ns}/p1`, `replicaset ${ns}/web-1`].sort());
    expect(scheduler.map((m) => [m.message, m.group])).toEqual([[{ controller: 'scheduler', key: `${ns}/p1`, rv: '11' }, `scheduler/${ns}/p1`]]);
  });

  it('sends one message per wake-up when records are duplicated and reordered, across invocations', async () => {
    const ns = uniquePrefix('ns');
    const created = streamRecord('INSERT', 'core/pods', undefined, [pod('p2', ns), 20]);
    const bound = streamRecord('MODIFY', 'core/pods', [pod('p2', ns), 20], [pod('p2', ns, 'node-1'), 21]);
    const handler = handlerFor();
    await handler({ Records: [bound, created, bound] }, {} as never);
    await handler({ Records: [created, bound] }, {} as never); // a retried batch
    const controllers = await drain(urls.queues.controllers);
    // replicaset and endpoints twice (one per change), gc once (only the insert brought owner references).
    expect(asText(controllers)).toEqual(
      [`endpoints ${ns}`, `endpoints ${ns}`, `gc core/pods:${ns}/p2`, `replicaset ${ns}/web-1`, `replicaset ${ns}/web-1`].sort(),
    );
    expect(asText(await drain(urls.queues.scheduler))).toEqual([`scheduler ${ns}/p2`]);
  });

  it('treats the removal that follows a write at the same rv as a new wake-up', async () => {
    const ns = uniquePrefix('ns');
    const handler = handlerFor();
    await handler({ Records: [streamRecord('MODIFY', 'core/pods', [pod('p3', ns, 'n'), 30], [pod('p3', ns, 'n'), 31])] }, {} as never);
    await handler({ Records: [streamRecord('REMOVE', 'core/pods', [pod('p3', ns, 'n'), 31])] }, {} as never);
    const replicaset = (await drain(urls.queues.controllers)).filter((m) => m.message.controller === 'replicaset');
    expect(replicaset).toHaveLength(2);
  });

  it('reports a record it cannot decode by its sequence number and still dispatches the others', async () => {
    const ns = uniquePrefix('ns');
    const good = streamRecord('INSERT', 'apps/deployments', undefined, [{ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: ns } }, 40]);
    const bad = streamRecord('INSERT', 'apps/deployments', undefined, [{ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x', namespace: ns } }, 41]);
    bad.dynamodb.NewImage = { pk: { S: 'apps/deployments' }, sk: { S: `${ns}/x` }, rv: { N: '41' } }; // no body
    const out = await handlerFor()({ Records: [good, bad] }, {} as never);
    expect(out).toEqual({ batchItemFailures: [{ itemIdentifier: bad.dynamodb.SequenceNumber }] });
    expect(asText(await drain(urls.queues.controllers))).toEqual([`deployment ${ns}/web`]);
  });

  it('reports every record whose keys could not be sent', async () => {
    const ns = uniquePrefix('ns');
    const handler = handlerFor((id) => (id === 'scheduler' ? `${urls.queues.scheduler}-missing` : urls.queues[id]));
    const unbound = streamRecord('INSERT', 'core/pods', undefined, [pod('p5', ns), 50]);
    const deployment = streamRecord('INSERT', 'apps/deployments', undefined, [{ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: ns } }, 51]);
    const out = await handler({ Records: [unbound, deployment] }, {} as never);
    expect(out).toEqual({ batchItemFailures: [{ itemIdentifier: unbound.dynamodb.SequenceNumber }] });
    await drain(urls.queues.controllers);
  });

  it('sends more than ten keys for one queue in several batches', async () => {
    const ns = uniquePrefix('ns');
    const records = Array.from({ length: 12 }, (_, i) =>
      streamRecord('INSERT', 'apps/deployments', undefined, [{ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: `d${i}`, namespace: ns } }, 60 + i]),
    );
    expect(await handlerFor()({ Records: records }, {} as never)).toEqual({ batchItemFailures: [] });
    expect(await drain(urls.queues.controllers)).toHaveLength(12);
  });
});
