/**
 * A control plane on the real pipeline for runner tests: a store over DynamoDB Local with the bootstrap objects,
 * the SQS emulator's queues, the stream → dispatch → queues → controllers wiring, and N simulated nodes.
 */
import { pino } from 'pino';
import { inject } from 'vitest';
import { ensureBootstrapObjects } from '../../functions/apiserver/bootstrap.ts';
import { createRegistryApi, type ClusterApi } from '../../functions/controllers/api-port.ts';
import type { DynamoStore } from '../../functions/store/dynamodb-store.ts';
import { startControlPlane, type ControlPlane } from '../../local/control-plane.ts';
import { startSimulatedNodes, type SimulatedNodes } from '../../local/simulated-nodes.ts';
import { ensureQueues } from '../../shared/resources.ts';
import { createTestStore, testSqsClient, uniquePrefix } from './dynamo.ts';

export const silentLogger = pino({ level: 'silent' });

export interface PipelineCluster {
  store: DynamoStore;
  api: ClusterApi;
  plane: ControlPlane;
  nodes: SimulatedNodes;
  stop(): Promise<void>;
}

export async function startPipelineCluster(options: { nodeCount: number; fieldManager: string }): Promise<PipelineCluster> {
  const prefix = uniquePrefix();
  const store = await createTestStore({ tablePrefix: prefix });
  await ensureBootstrapObjects(store);
  const urls = await ensureQueues(testSqsClient(), prefix);
  const plane = await startControlPlane({
    store,
    sqs: testSqsClient(),
    queueUrls: urls.queues,
    dynamoEndpoint: inject('dynamoEndpoint'),
    sqsEndpoint: inject('sqsEndpoint'),
    prefix,
    logger: silentLogger,
  });
  const api = createRegistryApi({ store, fieldManager: options.fieldManager });
  const nodes = await startSimulatedNodes({ api, store, count: options.nodeCount, runDelayMs: 50, logger: silentLogger });
  return {
    store,
    api,
    plane,
    nodes,
    async stop() {
      await nodes.stop();
      await plane.stop();
    },
  };
}
