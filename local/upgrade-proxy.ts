/**
 * exec, attach and port-forward through the local front: the request's HTTP Upgrade is authenticated and resolved
 * by the API core like any request; when the core names a node server (ApiResponse.upgradeTo), the request is
 * replayed there over TLS with the API's client certificate and the two sockets are piped both ways — the node
 * server's `101` and everything after it reach kubectl unchanged (apiserver's UpgradeAwareHandler). Any other answer
 * (401, 404, 400 …) is written as a plain HTTP reply, which is how kubectl learns why it cannot upgrade.
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect } from 'node:tls';
import { errors } from '../shared/api/status.ts';
import { isStreamBody, type ApiResponse, type UpgradeTarget } from '../functions/apiserver/http.ts';

/** Headers not replayed to the node: our own credentials stay with us, and Host names the node. */
const DROPPED = new Set(['authorization', 'host', 'proxy-authorization']);

async function bodyBytes(body: ApiResponse['body']): Promise<Buffer> {
  if (!isStreamBody(body)) return typeof body === 'string' ? Buffer.from(body) : body;
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

/** Writes a (non-101) ApiResponse as a complete HTTP/1.1 reply on the raw socket and closes it. */
export async function writeRawResponse(socket: Duplex, response: ApiResponse): Promise<void> {
  const body = await bodyBytes(response.body);
  const lines = [`HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? ''}`];
  for (const [k, v] of Object.entries(response.headers)) if (k !== 'content-length' && k !== 'connection') lines.push(`${k}: ${v}`);
  lines.push(`content-length: ${body.length}`, 'connection: close', '', '');
  socket.end(Buffer.concat([Buffer.from(lines.join('\r\n')), body]));
}

function requestHead(req: IncomingMessage, target: UpgradeTarget): string {
  const raw = req.url ?? '/';
  const q = raw.indexOf('?');
  // The original query, byte for byte: exec repeats `command=` once per argument.
  const query = q < 0 ? '' : raw.slice(q);
  const lines = [`${req.method ?? 'GET'} ${target.path}${query} HTTP/1.1`];
  const host = isIP(target.host) === 6 ? `[${target.host}]` : target.host;
  lines.push(`Host: ${host}:${target.port}`);
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (!DROPPED.has(req.rawHeaders[i].toLowerCase())) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
  }
  return lines.join('\r\n') + '\r\n\r\n';
}

/** Replays the upgrade request at the node server and pipes the connections until either side closes. */
export function pipeToNode(req: IncomingMessage, socket: Duplex, head: Buffer, target: UpgradeTarget, onError?: (err: unknown) => void): void {
  const upstream = connect({
    host: target.host,
    port: target.port,
    cert: target.tls.certPem,
    key: target.tls.keyPem,
    ca: target.tls.caPem,
    // Node servers make their own certificates, as kubelets do; the client certificate is never revealed to a peer.
    rejectUnauthorized: !!target.tls.caPem,
    servername: isIP(target.host) ? undefined : target.host,
  });
  let connected = false;
  upstream.once('secureConnect', () => {
    connected = true;
    upstream.setNoDelay(true);
    upstream.write(requestHead(req, target));
    if (head.length) upstream.write(head);
    upstream.pipe(socket);
    socket.pipe(upstream);
  });
  upstream.on('error', (err) => {
    if (!connected) {
      writeRawResponse(socket, { status: 500, headers: { 'content-type': 'application/json' }, body: JSON.stringify(errors.internal(`error dialing backend: ${err.message}`).toStatus()) }).catch(onError);
      return;
    }
    socket.destroy();
  });
  socket.on('error', () => upstream.destroy());
  socket.on('close', () => upstream.destroy());
  upstream.on('close', () => socket.destroy());
}
