/**
 * port-forward: a SPDY/3.1 session in which kubectl opens, per local TCP connection, an `error` and a `data`
 * stream sharing a `requestid` and naming the pod `port`. We pipe the data stream to a connection made inside the
 * pod's network namespace and write a message on the error stream only if that fails; then close both, as the
 * kubelet does. The session arrives either tunnelled in WebSocket binary messages (`SPDY/3.1+portforward.k8s.io`,
 * kubectl's first choice) or on the raw socket after a `101` to `Upgrade: SPDY/3.1` (its fallback).
 */
import type { SpdyConnection, SpdyStream } from './spdy.ts';
import type { PodConnection } from './netns-dial.ts';

export const PORT_FORWARD_WEBSOCKET_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';
export const PORT_FORWARD_SPDY_PROTOCOL = 'portforward.k8s.io';

/** Opens a connection to `port` in the pod; rejects with a message for the error stream. */
export type PortDialer = (port: number) => Promise<PodConnection>;

interface Pair {
  error?: SpdyStream;
  data?: SpdyStream;
  port: number;
}

/** Serves every stream pair of `connection` until it closes. `describe` names the pod in error messages. */
export function servePortForward(connection: SpdyConnection, dial: PortDialer, describe: string): void {
  const pairs = new Map<string, Pair>();
  const open = new Set<PodConnection>();
  connection.on('error', () => undefined);
  connection.on('close', () => {
    for (const c of open) c.close();
    open.clear();
  });
  connection.on('stream', (stream) => {
    stream.on('error', () => undefined);
    const type = stream.headers.streamtype;
    const requestId = stream.headers.requestid ?? '';
    const port = Number(stream.headers.port);
    if ((type !== 'error' && type !== 'data') || !Number.isInteger(port) || port < 1 || port > 65535) {
      stream.abort();
      return;
    }
    stream.respond(200, {});
    const pair = pairs.get(requestId) ?? { port };
    pairs.set(requestId, pair);
    pair[type] = stream;
    // kubectl half-closes the error stream at once; reading it lets that end arrive.
    if (type === 'error') stream.resume();
    if (pair.error && pair.data) {
      pairs.delete(requestId);
      void forward(pair as Required<Pair>, dial, describe, open);
    }
  });
}

async function forward(pair: Required<Pair>, dial: PortDialer, describe: string, open: Set<PodConnection>): Promise<void> {
  const { data, error, port } = pair;
  let conn: PodConnection;
  try {
    conn = await dial(port);
  } catch (err) {
    error.end(`error forwarding port ${port} to pod ${describe}: ${(err as Error).message}`);
    data.end();
    return;
  }
  open.add(conn);
  const done = (): void => {
    open.delete(conn);
    conn.close();
    if (!data.writableEnded) data.end();
    if (!error.writableEnded) error.end();
  };
  // Target → client; the target closing ends the forwarded connection (kubelet closes both streams then).
  conn.stream.pipe(data, { end: false });
  conn.stream.once('end', done);
  conn.stream.once('close', done);
  // Client → target, half-closing the target when kubectl's local connection finishes sending.
  data.pipe(conn.stream);
  data.once('close', done);
}
