/**
 * spdy-transport, typed for the little the port-forward server uses, with the one fix Kubernetes streams need.
 *
 * kubectl's port-forward SYN_STREAMs carry only `streamtype`, `port` and `requestid` headers; spdy-transport's parser
 * was written for SPDY-as-HTTP and rejects a SYN_STREAM without `:method`/`:path` ("Missing `:method` and/or `:path`
 * header"). We wrap the parser's `parseKVs` at runtime so header blocks that lack them get dummy values; nothing
 * else reads those two headers on a server connection. The patch is applied once, from our code (node_modules
 * stays untouched, so a reinstall cannot lose it).
 */
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';

const require = createRequire(import.meta.url);

/** One SPDY stream: a Duplex with the peer's SYN_STREAM headers. */
export interface SpdyStream extends Duplex {
  id: number;
  headers: Record<string, string>;
  respond(status: number, headers: Record<string, string>, callback?: (err?: Error) => void): void;
  abort(code?: string, callback?: () => void): void;
}

export interface SpdyConnection {
  on(event: 'stream', listener: (stream: SpdyStream) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: 'close', listener: () => void): this;
  end(callback?: () => void): void;
  destroyStreams(err?: Error): void;
}

type ParseKVs = (buffer: unknown, callback: (err: Error | null, headers?: Record<string, string>) => void) => void;

interface SpdyParser {
  parseKVs: ParseKVs;
}

interface SpdyTransport {
  connection: { create(socket: Duplex, options: { protocol: 'spdy'; isServer: true; windowSize?: number }): SpdyConnection };
  protocol: { spdy: { parser: { create(options: unknown): SpdyParser; zeroplaneKubePatched?: boolean } } };
}

/** The parser class is not exported, only its factory: wrap the factory so every parser it makes is fixed. */
function patchParser(t: SpdyTransport): void {
  const factory = t.protocol.spdy.parser;
  if (factory.zeroplaneKubePatched) return;
  const create = factory.create.bind(factory);
  factory.create = (options) => {
    const parser = create(options);
    const parseKVs = parser.parseKVs.bind(parser);
    parser.parseKVs = (buffer, callback) =>
      parseKVs(buffer, (err, headers) => {
        if (!err && headers) {
          headers[':method'] ??= 'POST';
          headers[':path'] ??= '/';
        }
        callback(err, headers);
      });
    return parser;
  };
  factory.zeroplaneKubePatched = true;
}

let transport: SpdyTransport | undefined;

/** Starts a server-side SPDY/3.1 session over `socket` (a TLS socket or a WebSocket tunnel stream). */
export function spdyServerConnection(socket: Duplex): SpdyConnection {
  if (!transport) {
    transport = require('spdy-transport') as SpdyTransport;
    patchParser(transport);
  }
  return transport.connection.create(socket, { protocol: 'spdy', isServer: true });
}
