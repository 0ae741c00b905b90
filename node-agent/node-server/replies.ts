/**
 * Status replies of the node server, on an HTTP response or, before a protocol switch, on the raw socket. The
 * API relays a node's Status as it is, so these are the messages users see.
 */
import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { StatusError } from '../../shared/api/status.ts';

export function replyStatus(res: ServerResponse, err: StatusError): void {
  const body = JSON.stringify(err.toStatus());
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(err.code, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}

/** An HTTP/1.1 reply written straight onto an upgrade request's socket (no switch happens), then closed. */
export function refuseUpgrade(socket: Duplex, err: StatusError): void {
  const body = JSON.stringify(err.toStatus());
  socket.end(
    `HTTP/1.1 ${err.code} ${STATUS_CODES[err.code] ?? ''}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}
