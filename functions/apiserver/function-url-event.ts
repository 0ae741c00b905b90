/**
 * The Lambda function URL event (payload format 2.0) and its translation to and from the transport-neutral
 * ApiRequest/ApiResponse. Pure, so the Lambda handler stays wiring and the translation is tested on its own.
 */
import { Readable } from 'node:stream';
import { z } from 'zod';
import { isStreamBody, type ApiRequest, type ApiResponse } from './http.ts';

export const FunctionUrlEventSchema = z.looseObject({
  rawPath: z.string(),
  rawQueryString: z.string().optional().default(''),
  headers: z.record(z.string(), z.string()).optional().default({}),
  cookies: z.array(z.string()).optional(),
  body: z.string().optional(),
  isBase64Encoded: z.boolean().optional().default(false),
  requestContext: z.looseObject({
    http: z.looseObject({ method: z.string(), path: z.string().optional(), sourceIp: z.string().optional() }),
    requestId: z.string().optional(),
  }),
});
export type FunctionUrlEvent = z.infer<typeof FunctionUrlEventSchema>;

/** What a streaming handler gives middy: the prelude (status, headers) and a string or a Readable body. */
export interface StreamingResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string | Readable;
  /** Set for a buffered (non-streaming) reply whose body is binary, such as the protobuf `/openapi/v2`. */
  isBase64Encoded?: boolean;
}

export function parseQuery(raw: string): Record<string, string> {
  const query: Record<string, string> = {};
  // URLSearchParams decodes `+` as a space, as Go's url.ParseQuery does (labelSelector=env+in+(a,b)).
  for (const [k, v] of new URLSearchParams(raw)) query[k] = v;
  return query;
}

export function eventToApiRequest(event: FunctionUrlEvent, signal: AbortSignal): ApiRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.headers)) headers[k.toLowerCase()] = v;
  return {
    method: event.requestContext.http.method.toUpperCase(),
    path: event.rawPath || '/',
    query: parseQuery(event.rawQueryString),
    headers,
    body: event.body === undefined ? Buffer.alloc(0) : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8'),
    signal,
  };
}

export function apiResponseToResult(res: ApiResponse, streaming = true): StreamingResult {
  const body = res.body;
  if (isStreamBody(body)) return { statusCode: res.status, headers: res.headers, body: Readable.from(body, { objectMode: false }) };
  if (typeof body === 'string') return { statusCode: res.status, headers: res.headers, body };
  // Binary replies: a response stream carries bytes as they are; a buffered function URL reply must be base64.
  if (streaming) return { statusCode: res.status, headers: res.headers, body: Readable.from([body]) };
  return { statusCode: res.status, headers: res.headers, body: body.toString('base64'), isBase64Encoded: true };
}
