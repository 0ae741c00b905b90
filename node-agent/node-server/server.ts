/**
 * The node server: this system's kubelet API on :10250. The API proxies `kubectl logs`, `exec` and `port-forward`
 * to it, finding it through the Node object (status.addresses InternalIP + status.daemonEndpoints.kubeletEndpoint).
 * HTTPS, and every request must carry the API's client certificate (auth.ts); anything else gets 401/403.
 *
 * It takes its collaborators as parameters so it does not care how the agent tracks pods: the runtime (logs and
 * exec), how a pod's container name maps to a runtime container (`resolveContainer`, current or previous
 * instance), and which process owns a pod's network namespace (`podNetnsTarget`, for port-forward).
 */
import type { NodeUsage } from '../../functions/metrics/metrics-source.ts';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { errors, type StatusError } from '../../shared/api/status.ts';
import type { ContainerRuntime } from '../runtime/container-runtime.ts';
import { requireApiserverClientCert, type NodeAuthenticator } from './auth.ts';
import { streamContainerLogs } from './container-logs.ts';
import { chooseExecProtocol, serveExec } from './exec.ts';
import { dialInNetns, type PodDialer } from './netns-dial.ts';
import { parseExecQuery, parseLogQuery, parseNodePath, type NodeRequest } from './node-requests.ts';
import { PORT_FORWARD_SPDY_PROTOCOL, PORT_FORWARD_WEBSOCKET_PROTOCOL, servePortForward } from './port-forward.ts';
import { refuseUpgrade, replyStatus } from './replies.ts';
import { spdyServerConnection } from './spdy.ts';

export type Resolved<T> = T | { error: string };

export interface NodeServerOptions {
  /** Address to listen on (the node's InternalIP, or 127.0.0.1 locally). */
  host: string;
  /** 10250 like the kubelet; 0 picks a free port. */
  port: number;
  tls: {
    certPem: string;
    keyPem: string;
    /** The cluster CA: client certificates must chain to it. */
    clientCaPem: string;
  };
  /** Who may call. Default: the API's client certificate (requireApiserverClientCert). */
  authenticate?: NodeAuthenticator;
  runtime: Pick<ContainerRuntime, 'logs' | 'exec'>;
  /** The runtime container of a pod's container (with previous: the instance before the current one). The error
   *  text is what the user sees, e.g. `previous terminated container "c" in pod "p" not found`. */
  resolveContainer(namespace: string, pod: string, container: string, opts: { previous: boolean }): Promise<Resolved<{ id: string }>>;
  /** A process inside the pod's network namespace (the sandbox's pid), for port-forward. */
  podNetnsTarget(namespace: string, pod: string): Promise<Resolved<{ pid: number }>>;
  /** How port-forward reaches a pod port. Default: nsenter + relay (netns-dial.ts). */
  dial?: PodDialer;
  /** Unexpected failures (never client disconnects). */
  onError?: (err: unknown) => void;
  /** The node's resource readings for GET /metrics/resource (the API's metrics.k8s.io scrapes it). Default none. */
  resourceUsage?: () => NodeUsage | undefined;
}

export interface NodeServer {
  /** The bound port (what the Node's daemonEndpoints.kubeletEndpoint.Port advertises). */
  port: number;
  close(): Promise<void>;
}

const noRoute = (): StatusError => errors.noRoute();

/** 401 (no valid client certificate) or 403 (a valid one that is not the API's); undefined when allowed. */
function refusal(authenticate: NodeAuthenticator, req: IncomingMessage): StatusError | undefined {
  const who = authenticate(req);
  if (who.allowed) return undefined;
  if (!who.user) return errors.unauthorized();
  return errors.forbidden(who.user, (req.method ?? 'get').toLowerCase(), { group: '', resource: 'nodes/proxy' }, undefined);
}

function splitUrl(req: IncomingMessage): { request: NodeRequest | undefined; params: URLSearchParams } {
  const url = new URL(req.url ?? '/', 'https://node');
  return { request: parseNodePath(url.pathname), params: url.searchParams };
}

async function containerId(options: NodeServerOptions, request: { namespace: string; pod: string; container: string }, previous: boolean): Promise<string | StatusError> {
  const found = await options.resolveContainer(request.namespace, request.pod, request.container, { previous });
  return 'error' in found ? errors.badRequest(found.error) : found.id;
}

export async function startNodeServer(options: NodeServerOptions): Promise<NodeServer> {
  const authenticate = options.authenticate ?? requireApiserverClientCert();
  const dial = options.dial ?? dialInNetns;
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, handleProtocols: (offered) => chooseProtocol([...offered]) || false });
  const sockets = new Set<Socket>();

  const onRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const refused = refusal(authenticate, req);
    if (refused) return replyStatus(res, refused);
    const { request, params } = splitUrl(req);
    if (!request) return replyStatus(res, noRoute());
    if (request.kind === 'healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
      return;
    }
    if (request.kind === 'resourceMetrics') {
      const usage = options.resourceUsage?.();
      if (!usage) return replyStatus(res, errors.serviceUnavailable('no resource readings yet'));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(usage));
      return;
    }
    if (request.kind !== 'containerLogs') return replyStatus(res, errors.badRequest('Upgrade request required'));
    if (req.method !== 'GET' && req.method !== 'HEAD') return replyStatus(res, errors.methodNotAllowed());
    let logRequest;
    try {
      logRequest = parseLogQuery(params, Date.now());
    } catch (err) {
      return replyStatus(res, errors.badRequest((err as Error).message));
    }
    const id = await containerId(options, request, logRequest.previous);
    if (typeof id !== 'string') return replyStatus(res, id);
    await streamContainerLogs(options.runtime, id, logRequest, res);
  };

  const onUpgrade = async (req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    const refused = refusal(authenticate, req);
    if (refused) return refuseUpgrade(socket, refused);
    const { request, params } = splitUrl(req);
    if (!request || request.kind === 'healthz' || request.kind === 'containerLogs' || request.kind === 'resourceMetrics') return refuseUpgrade(socket, noRoute());
    const upgrade = (req.headers.upgrade ?? '').toLowerCase();
    const websocket = upgrade === 'websocket';
    if (request.kind === 'portForward') {
      const netns = await options.podNetnsTarget(request.namespace, request.pod);
      if ('error' in netns) return refuseUpgrade(socket, errors.badRequest(netns.error));
      const describe = `${request.namespace}/${request.pod}`;
      const serve = (transport: Duplex): void => servePortForward(spdyServerConnection(transport), (port) => dial(netns.pid, port), describe);
      if (websocket) {
        if (chooseProtocol(splitProtocols(req)) !== PORT_FORWARD_WEBSOCKET_PROTOCOL) {
          return refuseUpgrade(socket, errors.badRequest(`port-forward over WebSocket needs subprotocol ${PORT_FORWARD_WEBSOCKET_PROTOCOL}`));
        }
        wss.handleUpgrade(req, socket, head, (ws) => serve(createWebSocketStream(ws)));
        return;
      }
      if (upgrade.startsWith('spdy/3.1')) {
        const versions = String(req.headers['x-stream-protocol-version'] ?? '').split(',').map((s) => s.trim());
        if (!versions.includes(PORT_FORWARD_SPDY_PROTOCOL)) {
          return refuseUpgrade(socket, errors.badRequest(`unable to upgrade: unable to negotiate protocol: client supports ${versions.join(', ')}, server supports ${PORT_FORWARD_SPDY_PROTOCOL}`));
        }
        socket.write(
          'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n' +
            `X-Stream-Protocol-Version: ${PORT_FORWARD_SPDY_PROTOCOL}\r\n\r\n`,
        );
        if (head.length) socket.unshift(head);
        serve(socket);
        return;
      }
      return refuseUpgrade(socket, errors.badRequest(`unsupported upgrade: ${upgrade}`));
    }
    if (request.kind === 'attach') {
      // SEAM: attach needs an attach verb on the ContainerRuntime port (Docker's /containers/{id}/attach).
      return refuseUpgrade(socket, errors.badRequest('attach is not supported by this node; use exec'));
    }
    let execOptions;
    try {
      execOptions = parseExecQuery(params);
    } catch (err) {
      return refuseUpgrade(socket, errors.badRequest((err as Error).message));
    }
    const id = await containerId(options, request, false);
    if (typeof id !== 'string') return refuseUpgrade(socket, id);
    const protocol = websocket ? chooseExecProtocol(req.headers['sec-websocket-protocol']) : undefined;
    if (!protocol) {
      // kubectl ≥ 1.30 uses WebSocket first; its SPDY fallback only comes after a refused WebSocket.
      return refuseUpgrade(socket, errors.badRequest('exec needs a WebSocket upgrade with subprotocol v5.channel.k8s.io or v4.channel.k8s.io'));
    }
    serveExec(wss, options.runtime, id, execOptions, protocol, req, socket, head);
  };

  const server: Server = createServer(
    { cert: options.tls.certPem, key: options.tls.keyPem, ca: options.tls.clientCaPem, requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      onRequest(req, res).catch((err: unknown) => {
        options.onError?.(err);
        replyStatus(res, errors.internal('the node could not handle the request'));
      });
    },
  );
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    onUpgrade(req, socket, head).catch((err: unknown) => {
      options.onError?.(err);
      if (socket.writable) refuseUpgrade(socket, errors.internal('the node could not handle the request'));
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('tlsClientError', () => undefined);
  // Followed logs and exec sessions live as long as their callers.
  server.requestTimeout = 0;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const client of wss.clients) client.terminate();
        for (const socket of sockets) socket.destroy();
      }),
  };
}

function splitProtocols(req: IncomingMessage): string[] {
  return String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

/** The WebSocket subprotocol we answer with, in the client's order of preference. */
function chooseProtocol(offered: string[]): string | undefined {
  return offered.find((p) => p === PORT_FORWARD_WEBSOCKET_PROTOCOL) ?? chooseExecProtocol(offered.join(','));
}
