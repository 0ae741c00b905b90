/**
 * The resync Lambda (EventBridge schedule on AWS, a timer locally): time-driven work — lease expiry, CronJob
 * schedules, progress deadlines, Job deadlines and TTLs, backoffs, HPA evaluation — has no change to wake it, so
 * each tick sends broadcast keys that the controllers fan out. Each tick's messages deduplicate by the tick's time,
 * so a retried tick sends nothing twice.
 */
import middy from '@middy/core';
import { pino, type Logger } from 'pino';
import { ScheduledEventSchema } from '../pipeline/lambda-events.ts';
import { BROADCAST_KEYS, type ControllerKey } from '../pipeline/queue-message.ts';
import { queueSenderFromEnv, sendControllerKeys, type QueueSenderDeps } from './queue-sender.ts';
import { ROUTES_KEY } from '../cloud/cloud-keys.ts';

/** What a tick wakes by default: every controller with deadlines or clocks, and the scheduler's retry. */
export const DEFAULT_RESYNC_KEYS: ControllerKey[] = [
  { controller: 'nodelifecycle', key: BROADCAST_KEYS.all },
  { controller: 'cronjob', key: BROADCAST_KEYS.all },
  { controller: 'job', key: BROADCAST_KEYS.all },
  { controller: 'deployment', key: BROADCAST_KEYS.all },
  { controller: 'replicaset', key: BROADCAST_KEYS.all },
  { controller: 'hpa', key: BROADCAST_KEYS.all },
  { controller: 'scheduler', key: BROADCAST_KEYS.retryUnschedulable },
  // Cloud state changes without an API event (an instance terminated, a load balancer edited by hand).
  { controller: 'loadbalancer', key: BROADCAST_KEYS.all },
  { controller: 'cloudnode', key: BROADCAST_KEYS.all },
  { controller: 'route', key: ROUTES_KEY },
];

export interface ResyncDeps extends QueueSenderDeps {
  logger: Logger;
  keys?: ControllerKey[];
}

export function makeResyncHandler(deps: ResyncDeps) {
  const keys = deps.keys ?? DEFAULT_RESYNC_KEYS;
  const base = async (event: unknown): Promise<{ sent: number }> => {
    const tick = ScheduledEventSchema.parse(event);
    const { failed } = await sendControllerKeys(
      deps,
      keys.map((k) => ({ message: k, cause: `resync:${tick.time}`, tag: k })),
    );
    // A failed tick is retried by EventBridge (and simply comes again with the next one).
    if (failed.length > 0) throw new Error(`resync could not send ${failed.map((k) => `${k.controller}/${k.key}`).join(', ')}`);
    deps.logger.debug({ time: tick.time, keys: keys.length }, 'resync tick');
    return { sent: keys.length };
  };
  return middy(base);
}

export const handler = makeResyncHandler({ ...queueSenderFromEnv(), logger: pino({ level: process.env.LOG_LEVEL ?? 'info' }) });
