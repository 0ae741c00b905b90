import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { requestLogging } from '../../../../functions/apiserver/middleware/request-logging.ts';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(JSON.parse(chunk.toString()));
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

describe('requestLogging', () => {
  it('logs one structured line per request without headers', async () => {
    const { logger, lines } = capture();
    let t = 1000;
    const mw = requestLogging(logger, () => t);
    const request = {
      event: { rawPath: '/api/v1/pods', headers: { authorization: 'Bearer secret' }, requestContext: { http: { method: 'GET' }, requestId: 'abc' } },
      response: { statusCode: 200 },
      context: {},
      error: undefined,
      internal: {},
    };
    mw.before?.(request as never);
    t = 1042;
    mw.after?.(request as never);
    await new Promise((r) => setImmediate(r));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ method: 'GET', path: '/api/v1/pods', status: 200, ms: 42, requestId: 'abc' });
    expect(JSON.stringify(lines[0])).not.toContain('secret');
  });

  it('logs failures at error level', async () => {
    const { logger, lines } = capture();
    const mw = requestLogging(logger, () => 0);
    const request = { event: { rawPath: '/x', requestContext: { http: { method: 'PUT' } } }, context: {}, error: new Error('boom'), internal: {} };
    mw.onError?.(request as never);
    await new Promise((r) => setImmediate(r));
    expect(lines[0]).toMatchObject({ level: 50, method: 'PUT', path: '/x' });
  });
});
