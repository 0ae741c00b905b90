/**
 * The scheduler queue consumer. A batch of keys (pod keys, or the `*unschedulable` broadcast meaning "every
 * pending pod") is one scheduling cycle: one snapshot of nodes and pods, scheduleBatch over the pending pods the
 * keys name, then per node a ledger reservation (binder.ts: the conditional write that refuses overcommit across
 * concurrent schedulers) and the pods/binding writes, a bounded number in flight (bounded.ts), then the Events.
 * Pods the ledger refused are scheduled again against a fresh snapshot; pods that fit nowhere get PodScheduled=False/Unschedulable with the FitError message and a
 * FailedScheduling Event (written only when the message changes, so resync retries do not pile up Events).
 *
 * A whole batch is one cycle, so its records succeed or fail together (a thrown cycle reports every record).
 */
import middy from '@middy/core';
import { pino, type Logger } from 'pino';
import type { Node } from '../../shared/api/kinds/node.ts';
import type { Pod } from '../../shared/api/kinds/pod.ts';
import type { KubeObject } from '../../shared/api/object.ts';
import { batchLogging } from '../pipeline/batch-logging.ts';
import { SqsEventSchema, type BatchResponse } from '../pipeline/lambda-events.ts';
import { BROADCAST_KEYS, QueueMessageSchema } from '../pipeline/queue-message.ts';
import type { ObjectStore } from '../store/object-store.ts';
import { createRegistryApi, isReason, type ClusterApi } from '../controllers/api-port.ts';
import { recordEvents, type RunnerEnv } from '../controllers/runner.ts';
import { refOf } from '../controllers/types.ts';
import { Binder } from './binder.ts';
import { forEachBounded } from './bounded.ts';
import { scheduleBatch, Snapshot } from './schedule.ts';

export interface SchedulerDeps {
  store: ObjectStore;
  logger?: Logger;
  api?: ClusterApi;
  now?: () => Date;
}

const CYCLES = 5;
/** Writes in flight per cycle: node reservations × binds on each (see bounded.ts). */
const NODES_IN_FLIGHT = 32;
const BINDS_PER_NODE_IN_FLIGHT = 4;
const EVENTS_IN_FLIGHT = 64;

export interface CycleResult {
  bound: number;
  unschedulable: number;
  /** Pods still pending after every retry (the ledger kept refusing them); the next wake-up retries them. */
  deferred: number;
}

function needsScheduling(pod: Pod): boolean {
  const scheduler = pod.spec.schedulerName;
  const phase = pod.status?.phase;
  return !pod.spec.nodeName && !pod.metadata.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed' && (!scheduler || scheduler === 'default-scheduler');
}

function podKey(pod: Pod): string {
  return `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
}

function byAge(a: Pod, b: Pod): number {
  return (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || podKey(a).localeCompare(podKey(b));
}

export class Scheduler {
  private readonly binder: Binder;
  private readonly env: RunnerEnv;
  constructor(private readonly api: ClusterApi, private readonly logger: Logger, now: () => Date = () => new Date()) {
    this.binder = new Binder({ store: api.store, now: () => now().getTime() });
    this.env = { api, now, send: async () => {}, requeue: () => {}, logger, component: 'default-scheduler' };
  }

  /** One cycle for the named pods (`namespace/name`), or for every pending pod when `all`. */
  async cycle(keys: ReadonlySet<string>, all: boolean): Promise<CycleResult> {
    const out: CycleResult = { bound: 0, unschedulable: 0, deferred: 0 };
    let wanted: ReadonlySet<string> | undefined = all ? undefined : keys;
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const t0 = performance.now();
      const [nodes, pods] = await Promise.all([this.api.list<Node>('core/nodes'), this.api.list<Pod>('core/pods')]);
      const t1 = performance.now();
      const pending = pods.items.filter((p) => needsScheduling(p) && (!wanted || wanted.has(podKey(p)))).sort(byAge);
      if (pending.length === 0) return out;
      const snapshot = new Snapshot(nodes.items, pods.items);
      const placements = scheduleBatch(pending, snapshot);
      const t2 = performance.now();
      const byNode = new Map<string, Pod[]>();
      const unschedulable: { pod: Pod; message: string }[] = [];
      for (const { pod, result } of placements) {
        if (!('node' in result)) unschedulable.push({ pod, message: result.unschedulable });
        else {
          const list = byNode.get(result.node);
          if (list) list.push(pod);
          else byNode.set(result.node, [pod]);
        }
      }
      const refused = new Set<string>();
      const scheduled: { pod: Pod; node: string }[] = [];
      // Per node: reserve, then bind at once, so a reservation is never left unbound for long (another scheduler
      // may prune unbound entries after RESERVATION_TTL_MS). Nodes and binds are bounded (bounded.ts).
      await forEachBounded([...byNode], NODES_IN_FLIGHT, async ([nodeName, podsForNode]) => {
        const node = snapshot.node(nodeName)!.node;
        const reserved = await this.binder.reserve(node, podsForNode);
        const ok = new Set(reserved.map((p) => p.metadata.uid));
        for (const p of podsForNode) if (!ok.has(p.metadata.uid)) refused.add(podKey(p));
        await forEachBounded(reserved, BINDS_PER_NODE_IN_FLIGHT, async (pod) => {
          if (await this.bind(pod, nodeName)) scheduled.push({ pod, node: nodeName });
        });
      });
      out.bound += scheduled.length;
      const t3 = performance.now();
      // Events after the binds: they inform people, and must not hold up placing the next pod.
      await forEachBounded(scheduled, EVENTS_IN_FLIGHT, ({ pod, node }) =>
        recordEvents(this.env, [{ regarding: refOf(pod), type: 'Normal', reason: 'Scheduled', message: `Successfully assigned ${podKey(pod)} to ${node}` }], 'default-scheduler'),
      );
      await forEachBounded(unschedulable, EVENTS_IN_FLIGHT, async ({ pod, message }) => {
        out.unschedulable++;
        await this.markUnschedulable(pod, message);
      });
      this.logger.debug({ cycle, pending: pending.length, listMs: t1 - t0, placeMs: t2 - t1, bindMs: t3 - t2, eventsMs: performance.now() - t3 }, 'scheduling cycle timings');
      if (refused.size === 0) return out;
      wanted = refused;
      out.deferred = refused.size;
    }
    return out;
  }

  private async bind(pod: Pod, node: string): Promise<boolean> {
    try {
      await this.api.bind(pod.metadata.namespace ?? '', pod.metadata.name ?? '', node);
    } catch (err) {
      // Already bound (another scheduler), being deleted or gone: nothing to do for this pod.
      if (isReason(err, 'Conflict', 'NotFound')) return false;
      throw err;
    }
    return true;
  }

  private async markUnschedulable(pod: Pod, message: string): Promise<void> {
    const current = (pod.status?.conditions ?? []).find((c) => c.type === 'PodScheduled');
    if (current?.status === 'False' && current.reason === 'Unschedulable' && current.message === message) return;
    const t = this.env.now().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const condition = { type: 'PodScheduled', status: 'False', lastProbeTime: null, lastTransitionTime: t, reason: 'Unschedulable', message };
    const status = { ...(pod.status ?? {}), phase: pod.status?.phase ?? 'Pending', conditions: [...(pod.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled'), condition] };
    try {
      await this.api.updateStatus({ ...pod, status } as KubeObject);
    } catch (err) {
      // Changed meanwhile (bound, deleted, updated): the change wakes the scheduler again.
      if (isReason(err, 'Conflict', 'NotFound')) return;
      throw err;
    }
    await recordEvents(this.env, [{ regarding: refOf(pod), type: 'Warning', reason: 'FailedScheduling', message }], 'default-scheduler');
  }
}

export function makeSchedulerHandler(deps: SchedulerDeps) {
  const logger = deps.logger ?? pino({ level: process.env.LOG_LEVEL ?? 'info' });
  const api = deps.api ?? createRegistryApi({ store: deps.store, fieldManager: 'default-scheduler' });
  const scheduler = new Scheduler(api, logger, deps.now);
  const base = async (event: unknown): Promise<BatchResponse> => {
    const { Records } = SqsEventSchema.parse(event);
    const keys = new Set<string>();
    let all = false;
    for (const record of Records) {
      let body: unknown;
      try {
        body = JSON.parse(record.body);
      } catch {
        body = undefined;
      }
      const parsed = QueueMessageSchema.safeParse(body);
      if (!parsed.success || parsed.data.controller !== 'scheduler') {
        logger.error({ messageId: record.messageId }, 'dropping a message that is not a scheduler key');
        continue;
      }
      if (parsed.data.key === BROADCAST_KEYS.retryUnschedulable || parsed.data.key === BROADCAST_KEYS.all) all = true;
      else keys.add(parsed.data.key);
    }
    try {
      const result = await scheduler.cycle(keys, all);
      logger.debug({ ...result, keys: keys.size, all }, 'scheduling cycle');
      return { batchItemFailures: [] };
    } catch (err) {
      logger.warn({ err }, 'scheduling cycle failed; the batch will be retried');
      return { batchItemFailures: Records.map((r) => ({ itemIdentifier: r.messageId })) };
    }
  };
  return Object.assign(middy(base).use(batchLogging(logger, 'scheduler')), { scheduler });
}
