/**
 * The controllers queue consumer: makeControllerHandler (functions/pipeline) with the runner's reconcilers for
 * every registered controller. The same function runs in Lambda and in the local runtime.
 *
 * Registration seam: builtinControllers() lists the built-in loaders; further controllers are passed in `extra`
 * (or appended to builtinControllers) as ControllerRegistrations.
 *
 * requeueAfter: the queues are FIFO (one reconcile per key), and FIFO queues refuse per-message DelaySeconds.
 * So a requeue is a timer in this process that re-sends the key when due (deduplicated by its due time). It
 * survives as long as the process does: in the local runtime that is the cluster's life; in a Lambda
 * environment a timer can be lost when the environment is frozen or recycled, which is why every controller
 * with deadlines is also woken by the periodic resync (functions/dispatch/resync-handler.ts) — the durable
 * fallback, at the resync's granularity.
 */
import type { Logger } from 'pino';
import { pino } from 'pino';
import type { ObjectStore } from '../store/object-store.ts';
import { makeControllerHandler } from '../pipeline/controller-handler.ts';
import { ControllerNameSchema, type ControllerKey } from '../pipeline/queue-message.ts';
import { queueSenderFromEnv, sendControllerKeys, type QueueSenderDeps } from '../dispatch/queue-sender.ts';
import { makeResyncHandler } from '../dispatch/resync-handler.ts';
import { ScheduledEventSchema, SqsEventSchema } from '../pipeline/lambda-events.ts';
import { makeSchedulerHandler } from '../scheduler/handler.ts';
import { createDynamoStore } from '../store/dynamodb-store.ts';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createRegistryApi, type ClusterApi } from './api-port.ts';
import { cronJobController } from './load/cronjob.ts';
import { hpaController } from './load/hpa.ts';
import { clusterMetricsSource } from '../metrics/cluster-metrics.ts';
import type { MetricsSource } from '../metrics/metrics-source.ts';
import { daemonSetController } from './load/daemonset.ts';
import { deploymentController } from './load/deployment.ts';
import { disruptionController } from './load/disruption.ts';
import { endpointsController } from './load/endpoints.ts';
import { gcController } from './load/gc.ts';
import { jobController } from './load/job.ts';
import { namespaceController } from './load/namespace.ts';
import { nodeLifecycleController, type NodeLifecycleSettings } from './load/nodelifecycle.ts';
import { replicaSetController } from './load/replicaset.ts';
import { serviceAccountController } from './load/serviceaccount.ts';
import { statefulSetController } from './load/statefulset.ts';
import { controllerReconcilers, type ControllerRegistration, type RunnerEnv } from './runner.ts';

export function builtinControllers(settings: { nodeLifecycle?: NodeLifecycleSettings } = {}): ControllerRegistration[] {
  return [
    replicaSetController,
    deploymentController,
    jobController,
    daemonSetController,
    statefulSetController,
    cronJobController,
    endpointsController,
    gcController,
    namespaceController,
    nodeLifecycleController(settings.nodeLifecycle),
    disruptionController,
    serviceAccountController,
  ];
}

/** The longest delay a requeue timer waits; later work is the resync's. SQS's own delay ceiling. */
export const MAX_REQUEUE_MS = 900_000;

/** Timers that re-send keys; stop() cancels the pending ones. */
export class Requeuer {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly pending = new Map<string, number>();
  constructor(private readonly send: (keys: ControllerKey[], cause: string) => Promise<void>, private readonly logger: Logger) {}

  requeue(key: ControllerKey, delayMs: number): void {
    const delay = Math.max(0, Math.min(MAX_REQUEUE_MS, delayMs));
    const due = Date.now() + delay;
    const id = `${key.controller}\n${key.key}`;
    // An earlier pending requeue of the same key covers this one (the reconcile it causes computes a new delay).
    const existing = this.pending.get(id);
    if (existing !== undefined && existing <= due) return;
    this.pending.set(id, due);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.pending.get(id) === due) this.pending.delete(id);
      this.send([key], `requeue:${due}`).catch((err: unknown) => this.logger.warn({ err, key }, 'requeue failed; the resync will wake the key'));
    }, delay);
    timer.unref();
    this.timers.add(timer);
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.pending.clear();
  }
}

export interface ControllersHandlerDeps {
  store: ObjectStore;
  sender: QueueSenderDeps;
  logger?: Logger;
  /** More controllers than the built-in ones. */
  extra?: ControllerRegistration[];
  nodeLifecycle?: NodeLifecycleSettings;
  now?: () => Date;
  api?: ClusterApi;
  /** Where the HPA reads pod CPU from. Default: the cluster's source (simulated nodes computed, real nodes scraped). */
  metrics?: MetricsSource;
}

export function makeControllersHandler(deps: ControllersHandlerDeps) {
  const logger = deps.logger ?? pino({ level: process.env.LOG_LEVEL ?? 'info' });
  const send = async (keys: ControllerKey[], cause: string): Promise<void> => {
    const { failed } = await sendControllerKeys(deps.sender, keys.map((k) => ({ message: k, cause, tag: k })));
    if (failed.length) throw new Error(`could not send ${failed.length} controller keys`);
  };
  const requeuer = new Requeuer(send, logger);
  const env: RunnerEnv = {
    api: deps.api ?? createRegistryApi({ store: deps.store, fieldManager: 'kube-controller-manager' }),
    now: deps.now ?? (() => new Date()),
    send,
    requeue: (key, delayMs) => requeuer.requeue(key, delayMs),
    logger,
  };
  const reconcilers = controllerReconcilers(env, [...builtinControllers({ nodeLifecycle: deps.nodeLifecycle }), hpaController(deps.metrics ?? clusterMetricsSource()), ...(deps.extra ?? [])]);
  // Dispatch and the resync already send keys for controllers that are not registered yet (hpa, …):
  // acknowledge them quietly rather than warn on every node change and resync tick.
  for (const name of ControllerNameSchema.options) {
    if (name !== 'scheduler' && name !== 'loadbalancer' && !reconcilers[name]) reconcilers[name] = async (key) => logger.debug({ controller: name, key }, 'no controller registered; key acknowledged');
  }
  const handler = makeControllerHandler({ reconcilers, logger, name: 'controllers' });
  return Object.assign(handler, { stop: () => requeuer.stop(), env });
}

/**
 * The Lambda behind the scheduler, controllers and cloud queues and the resync schedule (cdk/lambda-functions.ts
 * QUEUE_CONSUMERS, RESYNC_FUNCTION): an EventBridge Scheduled Event runs the resync; an SQS batch from the
 * scheduler queue runs a scheduling cycle; any other queue's batch runs the controllers.
 */
export function makeLambdaHandler(deps: ControllersHandlerDeps) {
  const logger = deps.logger ?? pino({ level: process.env.LOG_LEVEL ?? 'info' });
  const controllers = makeControllersHandler({ ...deps, logger });
  const scheduler = makeSchedulerHandler({ store: deps.store, logger, api: deps.api });
  const resync = makeResyncHandler({ ...deps.sender, logger });
  return async (event: unknown, context: Parameters<typeof controllers>[1]): Promise<unknown> => {
    if (ScheduledEventSchema.safeParse(event).success) return resync(event, context);
    const sqs = SqsEventSchema.safeParse(event);
    if (sqs.success && sqs.data.Records.length > 0 && /-scheduler(\.fifo)?$/.test(sqs.data.Records[0].eventSourceARN ?? '')) return scheduler(event, context);
    return controllers(event, context);
  };
}

/** Production dependencies: TABLE_PREFIX and the queue URL variables (queueSenderFromEnv). */
export function realDeps(env: NodeJS.ProcessEnv = process.env, logger: Logger = pino({ level: env.LOG_LEVEL ?? 'info' })): ControllersHandlerDeps {
  const tablePrefix = env.TABLE_PREFIX;
  if (!tablePrefix) throw new Error('TABLE_PREFIX is not set');
  const store = createDynamoStore({ client: new DynamoDBClient({}), tablePrefix, onError: (err) => logger.error({ err }, 'store background error') });
  const grace = Number(env.NODE_GRACE_PERIOD_SECONDS);
  return { store, sender: queueSenderFromEnv(env), logger, ...(grace > 0 ? { nodeLifecycle: { gracePeriodSeconds: grace } } : {}) };
}

/** Built only inside Lambda, so importing this module elsewhere (tests, the local cluster) needs no environment. */
export const handler = process.env.AWS_LAMBDA_FUNCTION_NAME ? makeLambdaHandler(realDeps()) : undefined;
