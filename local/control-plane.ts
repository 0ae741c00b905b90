/**
 * The event pipeline of a local cluster: the same handlers Lambda runs (dispatch, controllers, scheduler, resync)
 * under the local runtime's stream and SQS pollers. Used by startLocalCluster and by tests that want the real
 * pipeline over their own tables and queues.
 */
import type { MetricsSource } from '../functions/metrics/metrics-source.ts';
import { meterInvocations } from './usage-meter.ts';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Logger } from 'pino';
import { makeCloudHandler } from '../functions/cloud/handler.ts';
import { createRegistryApi } from '../functions/controllers/api-port.ts';
import { makeControllersHandler } from '../functions/controllers/handler.ts';
import type { ControllerRegistration } from '../functions/controllers/runner.ts';
import { makeHandler as makeDispatchHandler } from '../functions/dispatch/handler.ts';
import type { QueueSenderDeps } from '../functions/dispatch/queue-sender.ts';
import { makeResyncHandler } from '../functions/dispatch/resync-handler.ts';
import { makeSchedulerHandler } from '../functions/scheduler/handler.ts';
import type { ObjectStore } from '../functions/store/object-store.ts';
import type { QueueId } from '../shared/resources.ts';
import { LocalLoadBalancerProvider } from './load-balancer.ts';
import { fileCheckpointStore } from './runtime/file-checkpoints.ts';
import { startLocalRuntime, type LocalRuntime } from './runtime/runtime.ts';

export interface ControlPlaneOptions {
  store: ObjectStore;
  sqs: SQSClient;
  queueUrls: Record<QueueId, string>;
  dynamoEndpoint: string;
  sqsEndpoint: string;
  prefix: string;
  logger: Logger;
  /** Persist stream checkpoints here (a persistent data dir); without it the stream is read from its start. */
  checkpointsPath?: string;
  resyncIntervalMs?: number;
  /** Controllers beyond the built-in ones (DaemonSet, StatefulSet, CronJob, …). */
  extraControllers?: ControllerRegistration[];
  /** Where the HPA reads pod CPU from. Default: simulated nodes only. */
  metrics?: MetricsSource;
  /** Node lease grace period (s) for the node lifecycle controller. Default 40. */
  nodeGracePeriodSeconds?: number;
}

export interface ControlPlane {
  runtime: LocalRuntime;
  stop(): Promise<void>;
}

/** Retry a failed message soon (1, 2, 4 … 30 s) rather than after the queue's whole visibility timeout. */
const retryVisibilitySeconds = (receiveCount: number): number => Math.min(30, 2 ** Math.max(0, receiveCount - 1));

export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const sender: QueueSenderDeps = { sqs: options.sqs, queueUrl: (id) => options.queueUrls[id] };
  const controllers = makeControllersHandler({
    store: options.store,
    sender,
    logger: options.logger,
    extra: options.extraControllers,
    nodeLifecycle: { gracePeriodSeconds: options.nodeGracePeriodSeconds },
    metrics: options.metrics,
  });
  const scheduler = makeSchedulerHandler({ store: options.store, logger: options.logger });
  // Locally, Services of type LoadBalancer get TCP forwarders on 127.0.0.1; there is no EC2 (no node or route work).
  const loadBalancers = new LocalLoadBalancerProvider({ api: createRegistryApi({ store: options.store, fieldManager: 'cloud-controller-manager' }), logger: options.logger });
  const cloud = makeCloudHandler({ store: options.store, sender, logger: options.logger, loadBalancers });
  const runtime = await startLocalRuntime({
    dynamoEndpoint: options.dynamoEndpoint,
    sqsEndpoint: options.sqsEndpoint,
    tablePrefix: options.prefix,
    logger: options.logger,
    resyncIntervalMs: options.resyncIntervalMs,
    stream: options.checkpointsPath ? { checkpoints: fileCheckpointStore(options.checkpointsPath) } : {},
    queues: {
      controllers: { retryVisibilitySeconds, waitTimeSeconds: 2 },
      scheduler: { retryVisibilitySeconds, waitTimeSeconds: 2 },
      cloud: { retryVisibilitySeconds, waitTimeSeconds: 2 },
    },
    // Each handler counts as one Lambda function's invocations while a bench meters usage (local/usage-meter.ts).
    handlers: {
      dispatch: meterInvocations('dispatch', makeDispatchHandler({ ...sender, logger: options.logger })),
      controllers: meterInvocations('controllers', controllers),
      scheduler: meterInvocations('controllers', scheduler),
      cloud: meterInvocations('controllers', cloud),
      resync: meterInvocations('resync', makeResyncHandler({ ...sender, logger: options.logger })),
    },
  });
  return {
    runtime,
    stop: async () => {
      await runtime.stop();
      controllers.stop();
      cloud.stop();
      await loadBalancers.close();
    },
  };
}
