/**
 * The transport-neutral request and response the API core works on. The Lambda handler (function URL event,
 * response streaming) and the local HTTPS front both translate to and from these, so the core never knows
 * where it runs.
 */

export interface ApiRequest {
  method: string; // upper case
  /** The raw path without query string, e.g. `/apis/apps/v1/namespaces/default/deployments/web`. */
  path: string;
  /** Decoded query parameters; repeated parameters keep the last value. */
  query: Record<string, string>;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  body: Buffer;
  /** Aborted when the client goes away (ends watches). */
  signal: AbortSignal;
  /** Set by a transport that can switch protocols on this connection (the local front on an HTTP Upgrade);
   *  absent on a Lambda function URL, which cannot. exec, attach and port-forward need it. */
  upgrade?: boolean;
}

/** Where an upgraded request (exec, attach, port-forward) is relayed: a node server, reached over TLS with the
 *  API's client certificate. The transport replays the request there with `path` and the original query. */
export interface UpgradeTarget {
  host: string;
  port: number;
  path: string;
  tls: { certPem: string; keyPem: string; caPem?: string };
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  /** A string/Buffer for ordinary replies; an async iterable of chunks for streamed replies (watch, logs -f).
   *  Each chunk must be written and flushed as it arrives. */
  body: string | Buffer | AsyncIterable<string | Buffer>;
  /** Set on an upgrade request the API accepted: the transport pipes the connection to this target (the reply
   *  then comes from there) instead of writing status/headers/body. */
  upgradeTo?: UpgradeTarget;
}

export type ApiCore = (req: ApiRequest) => Promise<ApiResponse>;

export function jsonResponse(status: number, value: unknown, headers: Record<string, string> = {}): ApiResponse {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(value) };
}

export function isStreamBody(body: ApiResponse['body']): body is AsyncIterable<string | Buffer> {
  return typeof body === 'object' && body !== null && Symbol.asyncIterator in body;
}
