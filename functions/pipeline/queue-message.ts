/**
 * What travels on the controller queues: a controller name and the key it should look at (design invariant 2:
 * events only say which key to look at). The one schema both the sender (dispatch, fan-out) and the receivers
 * (controller and scheduler handlers) parse with.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { QueueId } from '../../shared/resources.ts';

export const ControllerNameSchema = z.enum([
  'scheduler',
  'replicaset',
  'deployment',
  'daemonset',
  'statefulset',
  'job',
  'cronjob',
  'endpoints',
  'gc',
  'namespace',
  'nodelifecycle',
  'hpa',
  'disruption',
  'serviceaccount',
  'loadbalancer',
  'cloudnode',
  'route',
]);
export type ControllerName = z.infer<typeof ControllerNameSchema>;

/**
 * `key` is Kubernetes' `namespace/name` (just `name` for cluster-scoped objects), except:
 * - gc keys name the resource too: `<resourceKey>:<namespace>/<name>` (`apps/replicasets:default/web-1`), since
 *   the collector handles every kind;
 * - endpoints, disruption and serviceaccount keys are a namespace name: recompute every Service (budget) in it, or
 *   keep its default ServiceAccount (see functions/dispatch/controller-keys.ts);
 * - keys starting with `*` are broadcasts (`*unschedulable`, `*`): see BROADCAST_KEYS.
 */
export const ControllerKeySchema = z.object({
  controller: ControllerNameSchema,
  key: z.string().min(1),
});
export type ControllerKey = z.infer<typeof ControllerKeySchema>;

export const BROADCAST_KEYS = {
  /** Scheduler: capacity or node eligibility changed; retry the pods that could not be placed. */
  retryUnschedulable: '*unschedulable',
  /**
   * Every object of the controller's kind (nodes changed → every DaemonSet; a resync tick → every CronJob). The
   * reconciler fans it out into per-object keys (sendControllerKeys) and must not reconcile objects inline, or two
   * reconciles of one object could overlap (their FIFO groups differ).
   */
  all: '*',
} as const;

export const QueueMessageSchema = ControllerKeySchema.extend({
  /** The resourceVersion of the change that caused this message, for logs and coalescing; never for state. */
  rv: z.string().optional(),
});
export type QueueMessage = z.infer<typeof QueueMessageSchema>;

/** Which queue serves a controller: the scheduler and cloud work scale and fail separately from the rest. */
export function queueFor(controller: ControllerName): QueueId {
  if (controller === 'scheduler') return 'scheduler';
  if (controller === 'loadbalancer' || controller === 'cloudnode' || controller === 'route') return 'cloud';
  return 'controllers';
}

/** FIFO message group: one reconcile per key at a time (design invariant 3). SQS allows 128 characters. */
export function messageGroupId(k: ControllerKey): string {
  const group = `${k.controller}/${k.key}`;
  return group.length <= 128 ? group : `${k.controller}/#${sha256(k.key).slice(0, 64)}`;
}

/**
 * FIFO deduplication id: the same change delivered twice (a retried stream batch) sends the same id and SQS drops
 * the copy; a different change of the same key (another rv, or the removal that follows the last write at the same
 * rv) gets a new id, so no wake-up is ever swallowed.
 */
export function deduplicationId(k: ControllerKey, cause: string): string {
  return sha256(`${k.controller}\n${k.key}\n${cause}`);
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}
