/**
 * Middy middleware for batch consumers: one structured line per invocation ({records, failed, ms}); a thrown
 * error (the whole batch will be retried) is logged and rethrown. Never logs record bodies.
 */
import type { MiddlewareObj } from '@middy/core';
import type { Logger } from 'pino';
import type { BatchResponse } from './lambda-events.ts';

export function batchLogging(logger: Logger, name: string, clock: () => number = Date.now): MiddlewareObj<unknown, BatchResponse | undefined> {
  const started = new WeakMap<object, number>();
  const records = (event: unknown): number | undefined => {
    const list = (event as { Records?: unknown } | null)?.Records;
    return Array.isArray(list) ? list.length : undefined;
  };
  return {
    name: 'batchLogging',
    before: (request) => {
      started.set(request, clock());
    },
    after: (request) => {
      const failed = request.response?.batchItemFailures.length ?? 0;
      const line = { handler: name, records: records(request.event), failed, ms: clock() - (started.get(request) ?? clock()) };
      if (failed > 0) logger.warn(line, 'batch done with failures');
      else logger.debug(line, 'batch done');
    },
    onError: (request) => {
      logger.error({ handler: name, records: records(request.event), err: request.error }, 'batch failed');
    },
  };
}
