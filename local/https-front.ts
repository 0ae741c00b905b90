/**
 * The local stand-in for the Lambda function URL: a node:https server on loopback that turns each request into an
 * ApiRequest, calls the same API core the Lambda handler calls, and writes the ApiResponse back. Streamed bodies
 * (watch, logs -f) are written chunk by chunk as they arrive — never buffered — and the request's AbortSignal fires
 * when the client goes away, which is what ends a watch.
 *
 * Like the design says, the front feeds the core the same event the Lambda gets: each request becomes a function URL
 * event (payload format 2.0) and goes through the Lambda handler's own translation (eventToApiRequest), so path,
 * query and header rules cannot drift between the two. It calls the core directly rather than the middy handler,
 * because only the core takes the client-disconnect AbortSignal that ends a watch; responses are written from the
 * ApiResponse so each streamed chunk is flushed as it comes.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { errors, isStatusError } from '../shared/api/status.ts';
import { eventToApiRequest, type FunctionUrlEvent } from '../functions/apiserver/function-url-event.ts';
import { isStreamBody, jsonResponse, type ApiCore, type ApiRequest, type ApiResponse } from '../functions/apiserver/http.ts';
import { pipeToNode, writeRawResponse } from './upgrade-proxy.ts';

export interface HttpsFrontOptions {
  /** Default 127.0.0.1: the local cluster is never reachable from other machines. */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  certPem: string;
  keyPem: string;
  core: ApiCore;
  /** Request bodies above this get 413. Default 6 MiB, the Lambda function URL payload limit. */
  maxBodyBytes?: number;
  /** Called with unexpected errors (a failing core, a broken stream); never with client disconnects. */
  onError?: (err: unknown) => void;
}

export interface HttpsFront {
  url: string;
  port: number;
  /** Stops accepting, ends open requests (watches included) and resolves when the server is closed. */
  close(): Promise<void>;
}

export class PortInUseError extends Error {
  constructor(
    readonly host: string,
    readonly port: number,
  ) {
    super(`port ${port} on ${host} is already in use; pick another with --port`);
    this.name = 'PortInUseError';
  }
}

const DEFAULT_MAX_BODY = 6 * 1024 * 1024;

/** The function URL event (payload 2.0) Lambda would build for this request. */
export function toFunctionUrlEvent(req: IncomingMessage, body: Buffer): FunctionUrlEvent {
  const raw = req.url ?? '/';
  const q = raw.indexOf('?');
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    // Lambda joins repeated headers with commas, as HTTP allows.
    headers[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v;
  }
  const method = (req.method ?? 'GET').toUpperCase();
  const rawPath = q < 0 ? raw : raw.slice(0, q);
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString: q < 0 ? '' : raw.slice(q + 1),
    headers,
    // Base64 always: protobuf bodies are binary, and Lambda does the same for them.
    body: body.length ? body.toString('base64') : undefined,
    isBase64Encoded: body.length > 0,
    requestContext: { http: { method, path: rawPath, sourceIp: req.socket.remoteAddress ?? '127.0.0.1' }, requestId: crypto.randomUUID() },
  };
}

/** The transport-neutral request for a Node request whose body has been read, via the Lambda translation. */
export function toApiRequest(req: IncomingMessage, body: Buffer, signal: AbortSignal): ApiRequest {
  return eventToApiRequest(toFunctionUrlEvent(req, body), signal);
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function write(res: ServerResponse, chunk: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const ok = res.write(chunk, (err) => (err ? reject(err) : undefined));
    if (ok) resolve();
    else {
      // Backpressure: a slow watcher must not make us queue its whole stream in memory.
      const onDrain = (): void => {
        res.off('close', onClose);
        resolve();
      };
      const onClose = (): void => {
        res.off('drain', onDrain);
        resolve();
      };
      res.once('drain', onDrain);
      res.once('close', onClose);
    }
  });
}

/** Writes an ApiResponse; a streamed body is written (and so flushed) chunk by chunk until it ends or the client leaves. */
export async function writeApiResponse(res: ServerResponse, response: ApiResponse): Promise<void> {
  const body = response.body;
  if (!isStreamBody(body)) {
    const payload = typeof body === 'string' ? Buffer.from(body) : body;
    res.writeHead(response.status, { ...response.headers, 'content-length': String(payload.length) });
    res.end(payload);
    return;
  }
  res.writeHead(response.status, response.headers);
  // Send the headers now: kubectl and informers wait for them before they consider the watch established.
  res.flushHeaders();
  res.socket?.setNoDelay(true);
  const iterator = body[Symbol.asyncIterator]();
  try {
    for (;;) {
      if (res.destroyed) break;
      const next = await iterator.next();
      if (next.done) break;
      await write(res, next.value);
    }
  } finally {
    // Let the producer release what it holds (store watch, timers) when we stop early.
    if (res.destroyed) await iterator.return?.();
    if (!res.destroyed) res.end();
  }
}

function errorResponse(err: unknown): ApiResponse {
  const status = isStatusError(err) ? err : errors.internal('the server could not handle the request');
  return jsonResponse(status.code, status.toStatus());
}

/** Starts the HTTPS front; rejects with PortInUseError when the port is taken. */
export async function startHttpsFront(options: HttpsFrontOptions): Promise<HttpsFront> {
  const host = options.host ?? '127.0.0.1';
  const limit = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const sockets = new Set<Socket>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    let response: ApiResponse;
    try {
      const body = await readBody(req, limit);
      response = body === undefined ? errorResponse(errors.tooLarge(limit)) : await options.core(toApiRequest(req, body, abort.signal));
    } catch (err) {
      if (!isStatusError(err)) options.onError?.(err);
      response = errorResponse(err);
    }
    if (res.destroyed) {
      if (isStreamBody(response.body)) await response.body[Symbol.asyncIterator]().return?.();
      return;
    }
    await writeApiResponse(res, response);
  };

  const server: Server = createServer({ cert: options.certPem, key: options.keyPem }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      options.onError?.(err);
      if (!res.headersSent) {
        const r = errorResponse(err);
        res.writeHead(r.status, r.headers);
        res.end(r.body as string);
      } else res.destroy();
    });
  });
  // exec, attach, port-forward: authenticated and resolved by the core like any request, then piped to the node.
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    const abort = new AbortController();
    socket.once('close', () => abort.abort());
    options
      .core({ ...toApiRequest(req, Buffer.alloc(0), abort.signal), upgrade: true })
      .catch((err: unknown) => {
        if (!isStatusError(err)) options.onError?.(err);
        return errorResponse(err);
      })
      .then((response) => (response.upgradeTo ? pipeToNode(req, socket, head, response.upgradeTo, options.onError) : writeRawResponse(socket, response)))
      .catch((err: unknown) => {
        options.onError?.(err);
        socket.destroy();
      });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // Without this a long watch would be cut by Node's default request timeout (5 min).
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(err.code === 'EADDRINUSE' ? new PortInUseError(host, options.port) : err);
    };
    server.once('error', onError);
    server.listen(options.port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;

  return {
    url: `https://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Open watches would keep the server open forever: end every connection.
        for (const socket of sockets) socket.destroy();
      }),
  };
}
