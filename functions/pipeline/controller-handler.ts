/**
 * The queue-consumer Lambda skeleton shared by the controllers and the scheduler: an SQS batch in, one injected
 * reconcile per message, per-message failures out. Wiring only: the reconcilers (which load state through the API
 * and apply the pure controllers' actions) are injected, so this file never changes when a controller does.
 *
 * Outcomes per message (style.md §3): the reconcile returns → done (deleted); it throws → retried after the
 * visibility timeout, then dead-lettered after maxReceiveCount; it throws TerminalError, or the body/controller is
 * not ours → recorded in the log and dropped, because retrying cannot help.
 */
import middy from '@middy/core';
import { pino, type Logger } from 'pino';
import { batchLogging } from './batch-logging.ts';
import { SqsEventSchema, type BatchResponse, type SqsRecord } from './lambda-events.ts';
import { processPartialBatch } from './partial-batch.ts';
import { QueueMessageSchema, type ControllerName } from './queue-message.ts';

export interface ReconcileContext {
  /** The rv of the change that caused the message (absent for resync and fan-out messages). Never state. */
  rv?: string;
  /** 1 on the first delivery; more means earlier attempts failed (backoff, logging). */
  receiveCount: number;
}

export type Reconciler = (key: string, context: ReconcileContext) => Promise<void>;

/** Thrown by a reconciler when retrying cannot succeed (a spec that can never be satisfied): logged, not retried. */
export class TerminalError extends Error {
  override name = 'TerminalError';
}

export interface ControllerHandlerDeps {
  reconcilers: Partial<Record<ControllerName, Reconciler>>;
  logger?: Logger;
  /** The name in log lines (`controllers`, `scheduler`). */
  name?: string;
}

export function makeControllerHandler(deps: ControllerHandlerDeps) {
  const logger = deps.logger ?? pino({ level: process.env.LOG_LEVEL ?? 'info' });
  const reconcileRecord = async (record: SqsRecord): Promise<void> => {
    let body: unknown;
    try {
      body = JSON.parse(record.body);
    } catch {
      body = undefined;
    }
    const parsed = QueueMessageSchema.safeParse(body);
    if (!parsed.success) {
      logger.error({ messageId: record.messageId, issues: parsed.error.issues.length }, 'dropping a message that is not a controller key');
      return;
    }
    const { controller, key, rv } = parsed.data;
    const reconcile = deps.reconcilers[controller];
    if (!reconcile) {
      logger.warn({ controller, key }, 'dropping a message for a controller this handler does not run');
      return;
    }
    try {
      await reconcile(key, { rv, receiveCount: Number(record.attributes.ApproximateReceiveCount) || 1 });
    } catch (err) {
      if (err instanceof TerminalError) {
        logger.error({ controller, key, rv, err }, 'reconcile failed terminally; not retrying');
        return;
      }
      logger.warn({ controller, key, rv, err }, 'reconcile failed; will retry');
      throw err;
    }
  };
  const base = async (event: unknown): Promise<BatchResponse> => {
    const { Records } = SqsEventSchema.parse(event);
    return processPartialBatch(Records, reconcileRecord, {
      identify: (r) => r.messageId,
      groupOf: (r) => r.attributes.MessageGroupId,
    });
  };
  return middy(base).use(batchLogging(logger, deps.name ?? 'controllers'));
}
