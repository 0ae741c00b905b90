/**
 * The node server's request grammar, pure: the kubelet's paths (`/containerLogs/NS/POD/C`, `/exec/NS/POD/C`,
 * `/attach/NS/POD/C`, `/portForward/NS/POD`) and their query parameters, turned into plain options.
 * The API validates the user's parameters with Kubernetes' messages before it calls us; these checks only guard
 * the node server against malformed calls.
 */
import type { ExecOptions, LogOptions } from '../runtime/container-runtime.ts';

export type NodeRequest =
  | { kind: 'containerLogs' | 'exec' | 'attach'; namespace: string; pod: string; container: string }
  | { kind: 'portForward'; namespace: string; pod: string }
  | { kind: 'healthz' }
  | { kind: 'resourceMetrics' };

const CONTAINER_PATHS = new Set(['containerLogs', 'exec', 'attach']);

/** undefined for a path the node server does not serve. */
export function parseNodePath(path: string): NodeRequest | undefined {
  let segments: string[];
  try {
    segments = path.split('/').filter((s) => s !== '').map(decodeURIComponent);
  } catch {
    return undefined;
  }
  const [kind, namespace, pod, container] = segments;
  if (kind === 'healthz' && segments.length === 1) return { kind: 'healthz' };
  if (kind === 'metrics' && segments[1] === 'resource' && segments.length === 2) return { kind: 'resourceMetrics' };
  if (CONTAINER_PATHS.has(kind) && segments.length === 4) {
    return { kind: kind as 'containerLogs' | 'exec' | 'attach', namespace, pod, container };
  }
  if (kind === 'portForward' && segments.length === 3) return { kind, namespace, pod };
  return undefined;
}

function flag(params: URLSearchParams, name: string): boolean {
  const v = params.get(name);
  return v === 'true' || v === '1';
}

function positiveInt(params: URLSearchParams, name: string, min: number): number | undefined {
  const v = params.get(name);
  if (v === null || v === '') return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min) throw new RangeError(`invalid ${name}: ${v}`);
  return Number(v);
}

export interface ContainerLogRequest {
  previous: boolean;
  /** Stop after this many bytes (PodLogOptions.limitBytes). */
  limitBytes?: number;
  runtime: LogOptions;
}

/** Log options from the query; throws RangeError on a malformed value. `now` resolves sinceSeconds. */
export function parseLogQuery(params: URLSearchParams, now: number): ContainerLogRequest {
  const runtime: LogOptions = { follow: flag(params, 'follow'), timestamps: flag(params, 'timestamps') };
  const tail = positiveInt(params, 'tailLines', 0);
  if (tail !== undefined) runtime.tail = tail;
  const sinceSeconds = positiveInt(params, 'sinceSeconds', 1);
  const sinceTime = params.get('sinceTime');
  if (sinceTime) {
    const at = Date.parse(sinceTime);
    if (Number.isNaN(at)) throw new RangeError(`invalid sinceTime: ${sinceTime}`);
    runtime.since = at;
  } else if (sinceSeconds !== undefined) runtime.since = now - sinceSeconds * 1000;
  const out: ContainerLogRequest = { previous: flag(params, 'previous'), runtime };
  const limitBytes = positiveInt(params, 'limitBytes', 1);
  if (limitBytes !== undefined) out.limitBytes = limitBytes;
  return out;
}

/** Exec/attach options; `command` repeats once per argument. Throws RangeError when nothing would be attached. */
export function parseExecQuery(params: URLSearchParams): ExecOptions {
  const options: ExecOptions = {
    command: params.getAll('command'),
    stdin: flag(params, 'stdin') || flag(params, 'input'),
    stdout: flag(params, 'stdout') || flag(params, 'output'),
    stderr: flag(params, 'stderr') || flag(params, 'error'),
    tty: flag(params, 'tty'),
  };
  if (!options.stdin && !options.stdout && !options.stderr) {
    throw new RangeError('you must specify at least 1 of stdin, stdout, stderr');
  }
  // With a terminal, stderr is merged into stdout (as Docker and the kubelet do).
  if (options.tty) options.stderr = false;
  return options;
}
