import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../functions/apiserver/auth.ts';
import { ensureBootstrapObjects } from '../../../functions/apiserver/bootstrap.ts';
import type { ApiCoreDeps } from '../../../functions/apiserver/core.ts';
import { makeHandler } from '../../../functions/apiserver/handler.ts';
import { createTestStore } from '../../support/dynamo.ts';

const TOKEN = 'handler-token';
let deps: ApiCoreDeps;

function urlEvent(method: string, rawPath: string, opts: { query?: string; body?: string; base64?: boolean; headers?: Record<string, string> } = {}) {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString: opts.query ?? '',
    headers: { authorization: `Bearer ${TOKEN}`, ...(opts.headers ?? {}) },
    body: opts.body,
    isBase64Encoded: opts.base64 ?? false,
    requestContext: { http: { method, path: rawPath, sourceIp: '127.0.0.1' }, requestId: 'r1' },
  };
}

const lambdaContext = { getRemainingTimeInMillis: () => 60_000, awsRequestId: 'r1' };

beforeAll(async () => {
  const store = await createTestStore();
  await ensureBootstrapObjects(store);
  deps = { store, tokens: [sha256Hex(TOKEN)], logger: pino({ level: 'silent' }) };
});

describe('makeHandler without streaming', () => {
  it('answers a function URL event with status, headers and a JSON body', async () => {
    const handler = makeHandler(deps, { streaming: false });
    const res = await handler(urlEvent('GET', '/api/v1/namespaces/default'), lambdaContext as never);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(JSON.parse(res.body as string).metadata.name).toBe('default');
  });

  it('decodes base64 bodies and query strings', async () => {
    const handler = makeHandler(deps, { streaming: false });
    const body = Buffer.from(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b64' }, data: { a: 'b' } })).toString('base64');
    const res = await handler(
      urlEvent('POST', '/api/v1/namespaces/default/configmaps', { query: 'fieldManager=kubectl-create&dryRun=All', body, base64: true, headers: { 'content-type': 'application/json' } }),
      lambdaContext as never,
    );
    expect(res.statusCode).toBe(201);
    expect(JSON.parse(res.body as string).data).toEqual({ a: 'b' });
  });

  it('base64-encodes a binary reply, so the protobuf OpenAPI v2 document reaches kubectl intact', async () => {
    const handler = makeHandler(deps, { streaming: false });
    const res = await handler(
      urlEvent('GET', '/openapi/v2', { headers: { accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' } }),
      lambdaContext as never,
    );
    expect(res.statusCode).toBe(200);
    expect(res.isBase64Encoded).toBe(true);
    const bytes = Buffer.from(res.body as string, 'base64');
    // Field 1 of the gnostic Document is the `swagger` string "2.0": tag 0x0a, length 3.
    expect([...bytes.subarray(0, 5)]).toEqual([0x0a, 3, ...Buffer.from('2.0')]);
  });

  it('answers a Status for an event that is not a function URL event', async () => {
    const handler = makeHandler(deps, { streaming: false });
    const res = await handler({ nope: true } as never, lambdaContext as never);
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body as string)).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
  });
});

describe('makeHandler with response streaming', () => {
  const preludes: unknown[] = [];
  const g = globalThis as { awslambda?: unknown };
  const before = g.awslambda;

  beforeAll(() => {
    // Lambda's runtime global, as the Node runtime provides it to streaming handlers.
    g.awslambda = {
      streamifyResponse: (fn: unknown) => fn,
      HttpResponseStream: {
        from: (stream: Writable, prelude: unknown) => {
          preludes.push(prelude);
          return stream;
        },
      },
    };
  });
  afterAll(() => {
    g.awslambda = before;
  });

  function sink(): { stream: Writable; text: () => string } {
    const chunks: Buffer[] = [];
    const stream = new Writable({
      write(chunk, _enc, cb) {
        chunks.push(Buffer.from(chunk));
        cb();
      },
    });
    return { stream, text: () => Buffer.concat(chunks).toString() };
  }

  it('streams a watch as newline-delimited events after the prelude', async () => {
    const handler = makeHandler(deps) as unknown as (e: unknown, s: Writable, c: unknown) => Promise<void>;
    const out = sink();
    await handler(urlEvent('GET', '/api/v1/namespaces', { query: 'watch=true&timeoutSeconds=1' }), out.stream, lambdaContext);
    expect(preludes.at(-1)).toMatchObject({ statusCode: 200, headers: { 'content-type': 'application/json' } });
    const lines = out.text().trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.object.metadata.name)).toEqual(expect.arrayContaining(['default', 'kube-system']));
    expect(out.text().endsWith('\n')).toBe(true);
  });

  it('ends a watch before the invocation deadline', async () => {
    const handler = makeHandler(deps) as unknown as (e: unknown, s: Writable, c: unknown) => Promise<void>;
    const out = sink();
    const started = Date.now();
    await handler(urlEvent('GET', '/api/v1/namespaces', { query: 'watch=true&timeoutSeconds=60' }), out.stream, { getRemainingTimeInMillis: () => 3500 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(out.text().trimEnd().split('\n').length).toBeGreaterThanOrEqual(4);
  });

  it('streams an error Status with its code', async () => {
    const handler = makeHandler(deps) as unknown as (e: unknown, s: Writable, c: unknown) => Promise<void>;
    const out = sink();
    await handler(urlEvent('GET', '/api/v1/namespaces/nosuch'), out.stream, lambdaContext);
    expect(preludes.at(-1)).toMatchObject({ statusCode: 404 });
    expect(JSON.parse(out.text())).toMatchObject({ reason: 'NotFound', message: 'namespaces "nosuch" not found' });
  });
});
