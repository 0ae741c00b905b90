/**
 * Health endpoints: `/healthz`, `/livez` and `/readyz` (and their `/<check>` sub-paths) answer `ok` as
 * text/plain, like the apiserver. Liveness never touches the store (a slow DynamoDB must not get the process
 * restarted); readiness asks the store for its current resourceVersion.
 */
import type { ObjectStore } from '../store/object-store.ts';
import type { ApiRequest, ApiResponse } from './http.ts';

export interface HealthDeps {
  /** Checked by /readyz only. */
  store?: Pick<ObjectStore, 'currentResourceVersion'>;
  /** How long the store may take before readiness fails. Default 2 s. */
  readyTimeoutMs?: number;
}

const HEALTH_ROOTS = new Set(['healthz', 'livez', 'readyz']);

function text(status: number, body: string): ApiResponse {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' }, body };
}

async function storeReady(store: Pick<ObjectStore, 'currentResourceVersion'>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      store.currentResourceVersion().then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** Answers GET/HEAD on the health paths; undefined for any other request. */
export async function healthResponse(req: ApiRequest, deps: HealthDeps = {}): Promise<ApiResponse | undefined> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return undefined;
  const [root, ...rest] = req.path.split('/').filter(Boolean);
  if (!root || !HEALTH_ROOTS.has(root) || rest.length > 1) return undefined;
  const verbose = 'verbose' in req.query;
  const checkStore = root === 'readyz' && deps.store !== undefined && (rest.length === 0 || rest[0] === 'store');
  if (rest.length === 1 && rest[0] !== 'ping' && rest[0] !== 'store') return undefined;
  if (rest[0] === 'store' && !checkStore) return undefined;

  const ok = checkStore ? await storeReady(deps.store!, deps.readyTimeoutMs ?? 2000) : true;
  if (!verbose && rest.length === 0) return ok ? text(200, 'ok') : text(500, `[-]store failed: reason withheld\n${root} check failed\n`);
  if (rest.length === 1) return ok ? text(200, 'ok') : text(500, `internal server error: store not ready\n`);
  const lines = ['[+]ping ok'];
  if (checkStore) lines.push(ok ? '[+]store ok' : '[-]store failed: reason withheld');
  lines.push(ok ? `${root} check passed` : `${root} check failed`);
  return text(ok ? 200 : 500, lines.join('\n') + '\n');
}
