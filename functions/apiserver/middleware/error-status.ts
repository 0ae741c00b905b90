/**
 * Middy middleware: any error that escapes the handler becomes a Kubernetes Status response. A StatusError keeps
 * its code and message; anything else is a 500 InternalError that reveals nothing (the log line has the detail).
 */
import type { MiddlewareObj } from '@middy/core';
import { errors, isStatusError } from '../../../shared/api/status.ts';

export interface StatusResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export function errorToStatusResult(err: unknown): StatusResult {
  const status = isStatusError(err) ? err : errors.internal('an unexpected error occurred; see the server log');
  return { statusCode: status.code, headers: { 'content-type': 'application/json' }, body: JSON.stringify(status.toStatus()) };
}

export function errorStatus(): MiddlewareObj<unknown, unknown> {
  return {
    name: 'errorStatus',
    onError: (request) => {
      request.response = errorToStatusResult(request.error);
    },
  };
}
