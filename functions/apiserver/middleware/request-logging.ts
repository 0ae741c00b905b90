/**
 * Middy middleware: one structured log line per request ({method, path, status, ms}), never headers or bodies
 * (they carry bearer tokens and Secrets).
 */
import type { MiddlewareObj } from '@middy/core';
import type { Logger } from 'pino';

interface LoggedEvent {
  rawPath?: string;
  requestContext?: { http?: { method?: string }; requestId?: string };
}

export function requestLogging(logger: Logger, clock: () => number = Date.now): MiddlewareObj<LoggedEvent, { statusCode?: number } | undefined> {
  const started = new WeakMap<object, number>();
  const line = (event: LoggedEvent) => ({
    method: event.requestContext?.http?.method,
    path: event.rawPath,
    requestId: event.requestContext?.requestId,
  });
  return {
    name: 'requestLogging',
    before: (request) => {
      started.set(request, clock());
    },
    after: (request) => {
      logger.info({ ...line(request.event), status: request.response?.statusCode, ms: clock() - (started.get(request) ?? clock()) }, 'request');
    },
    onError: (request) => {
      logger.error({ ...line(request.event), ms: clock() - (started.get(request) ?? clock()), err: request.error }, 'request failed');
    },
  };
}
