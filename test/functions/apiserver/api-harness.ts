/**
 * Drives createApiCore with ApiRequests over a real DynamoDB store (DynamoDB Local, fresh tables per harness):
 * `call()` for ordinary replies, `watch()` for streamed ones. The store is real; only transport is skipped.
 */
import { pino } from 'pino';
import { createApiCore, type ApiCoreDeps } from '../../../functions/apiserver/core.ts';
import { sha256Hex } from '../../../functions/apiserver/auth.ts';
import { ensureBootstrapObjects } from '../../../functions/apiserver/bootstrap.ts';
import { isStreamBody, type ApiCore, type ApiResponse } from '../../../functions/apiserver/http.ts';
import type { ObjectStore } from '../../../functions/store/object-store.ts';
import { createTestStore } from '../../support/dynamo.ts';

export const TOKEN = 'test-token-123';

export interface CallOptions {
  body?: unknown;
  /** Raw body bytes (protobuf, YAML); wins over `body`. */
  raw?: Buffer | string;
  contentType?: string;
  accept?: string;
  token?: string | null;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface Reply {
  status: number;
  headers: Record<string, string>;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

export interface Harness {
  core: ApiCore;
  store: ObjectStore;
  call(method: string, pathAndQuery: string, opts?: CallOptions): Promise<Reply>;
  /** Starts a request whose reply is a stream; events are parsed line by line. */
  watch(pathAndQuery: string, opts?: CallOptions): Promise<WatchStream>;
}

export interface WatchStream {
  status: number;
  headers: Record<string, string>;
  /** Raw chunks received so far (framing checks). */
  chunks: string[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  events: any[];
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  stop(): void;
}

function splitPath(pathAndQuery: string): { path: string; query: Record<string, string> } {
  const url = new URL(pathAndQuery, 'https://x');
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = v;
  return { path: url.pathname, query };
}

async function read(res: ApiResponse): Promise<string> {
  if (isStreamBody(res.body)) {
    let out = '';
    for await (const chunk of res.body) out += chunk.toString();
    return out;
  }
  return res.body.toString();
}

export async function createHarness(overrides: Partial<ApiCoreDeps> = {}, opts: { bootstrap?: boolean } = {}): Promise<Harness> {
  const store = overrides.store ?? (await createTestStore());
  if (opts.bootstrap !== false) await ensureBootstrapObjects(store);
  const core = createApiCore({
    store,
    tokens: [sha256Hex(TOKEN)],
    logger: pino({ level: 'silent' }),
    ...overrides,
  });
  const request = (method: string, pathAndQuery: string, o: CallOptions, signal: AbortSignal) => {
    const { path, query } = splitPath(pathAndQuery);
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    if (o.token !== null) headers.authorization = `Bearer ${o.token ?? TOKEN}`;
    if (o.accept) headers.accept = o.accept;
    let body = Buffer.alloc(0);
    if (o.raw !== undefined) body = Buffer.from(o.raw);
    else if (o.body !== undefined) body = Buffer.from(JSON.stringify(o.body));
    if (body.length) headers['content-type'] = o.contentType ?? 'application/json';
    return core({ method, path, query, headers, body, signal });
  };
  return {
    core,
    store,
    async call(method, pathAndQuery, o = {}) {
      const res = await request(method, pathAndQuery, o, o.signal ?? new AbortController().signal);
      const text = await read(res);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: res.status, headers: res.headers, text, json };
    },
    async watch(pathAndQuery, o = {}) {
      const abort = new AbortController();
      const res = await request('GET', pathAndQuery, o, abort.signal);
      const stream: WatchStream = { status: res.status, headers: res.headers, chunks: [], events: [], ended: Promise.resolve(), stop: () => abort.abort() };
      if (!isStreamBody(res.body)) {
        stream.chunks.push(res.body.toString());
        return stream;
      }
      const body = res.body;
      stream.ended = (async () => {
        let buffer = '';
        for await (const chunk of body) {
          const text = chunk.toString();
          stream.chunks.push(text);
          buffer += text;
          let nl: number;
          while ((nl = buffer.indexOf('\n')) >= 0) {
            stream.events.push(JSON.parse(buffer.slice(0, nl)));
            buffer = buffer.slice(nl + 1);
          }
        }
      })();
      return stream;
    },
  };
}

export function ns(name: string): unknown {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
}

export function configMap(name: string, data: Record<string, string> = {}, labels?: Record<string, string>): unknown {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...(labels ? { labels } : {}) }, data };
}

export function pod(name: string, labels?: Record<string, string>): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, ...(labels ? { labels } : {}) },
    spec: { containers: [{ name: 'c', image: 'nginx:1.27', ports: [{ containerPort: 80 }] }] },
  };
}

export function deployment(name: string, replicas = 1): unknown {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'c', image: 'nginx:1.27', ports: [{ containerPort: 80 }, { containerPort: 443 }] }] },
      },
    },
  };
}

export function service(name: string, spec: Record<string, unknown> = {}): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name },
    spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }], ...spec },
  };
}
