/**
 * The audit log: one JSON line per mutating request (create, update, patch, delete, deletecollection, and the
 * POST/PUT/PATCH/DELETE of non-resource paths) with who, what and the answer's code. It never holds a request or
 * response body, so no Secret data can reach it; the object name of a create comes from the reply's metadata.
 * Locally the lines go to `<data-dir>/audit.log`; in Lambda to the function's log (CloudWatch).
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ApiRequest, ApiResponse } from '../http.ts';
import type { Route } from '../router.ts';
import type { UserInfo } from './attributes.ts';

export interface AuditEvent {
  /** RFC 3339 with milliseconds. */
  ts: string;
  user: string;
  groups: string[];
  /** The authenticated user that impersonated `user` (kubectl --as). */
  impersonatedBy?: string;
  verb: string;
  /** `pods`, `deployments.apps`, `pods/status`; absent for non-resource requests. */
  resource?: string;
  namespace?: string;
  name?: string;
  /** Non-resource requests only. */
  path?: string;
  code: number;
  dryRun?: true;
}

export type AuditSink = (event: AuditEvent) => void;

const MUTATING = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);
const MUTATING_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The name a create's reply carries (metadata.name), when the reply is a small JSON object. */
function createdName(res: ApiResponse): string | undefined {
  if (typeof res.body !== 'string' || res.status >= 300 || res.body.length > 1_000_000) return undefined;
  try {
    const name = (JSON.parse(res.body) as { metadata?: { name?: unknown } }).metadata?.name;
    return typeof name === 'string' ? name : undefined;
  } catch {
    return undefined;
  }
}

/** The audit event of a request, or undefined when it is not a mutating one. */
export function auditEventOf(req: ApiRequest, route: Route, user: UserInfo | undefined, res: ApiResponse, now: Date): AuditEvent | undefined {
  const by = (user as { impersonatedBy?: string } | undefined)?.impersonatedBy;
  const who = { ts: now.toISOString(), user: user?.username ?? 'system:anonymous', groups: user?.groups ?? ['system:unauthenticated'], ...(by ? { impersonatedBy: by } : {}) };
  if (route.kind !== 'resource') {
    if (!MUTATING_METHODS.has(req.method)) return undefined;
    return { ...who, verb: req.method.toLowerCase(), path: req.path, code: res.status };
  }
  if (!MUTATING.has(route.verb)) return undefined;
  const base = route.group ? `${route.resource}.${route.group}` : route.resource;
  const name = route.name ?? (route.verb === 'create' ? createdName(res) : undefined);
  return {
    ...who,
    verb: route.verb,
    resource: route.subresource ? `${base}/${route.subresource}` : base,
    ...(route.namespace ? { namespace: route.namespace } : {}),
    ...(name ? { name } : {}),
    code: res.status,
    ...(req.query.dryRun === 'All' ? { dryRun: true as const } : {}),
  };
}

/** Appends each event as one line to `path` (created 0600). Synchronous, so lines never interleave or get lost
 *  when the process exits right after a request. */
export function fileAuditSink(path: string): AuditSink {
  mkdirSync(dirname(path), { recursive: true });
  return (event) => appendFileSync(path, JSON.stringify(event) + '\n', { mode: 0o600 });
}

/** Writes each event as one JSON line on stdout (Lambda sends it to CloudWatch Logs). */
export function stdoutAuditSink(): AuditSink {
  return (event) => process.stdout.write(JSON.stringify({ audit: event }) + '\n');
}
