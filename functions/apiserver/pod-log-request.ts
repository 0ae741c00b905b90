/**
 * `pods/log` and the streaming subresources, the decisions apiserver and the kubelet make before any byte flows.
 * Pure: the validated PodLogOptions, which container is meant (apiserver's LogLocation/streamLocation wording), and
 * whether that container has logs to show yet (the kubelet's validateContainerLogStatus wording), all from the pod
 * object as stored.
 */
import { errors } from '../../shared/api/status.ts';
import type { StatusCause } from '../../shared/api/status.ts';

export interface PodLogOptions {
  container?: string;
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  sinceTime?: string;
  limitBytes?: number;
}

interface ContainerLike {
  name?: string;
}

interface ContainerStateLike {
  running?: unknown;
  terminated?: { containerID?: string } | null;
  waiting?: { reason?: string } | null;
}

interface ContainerStatusLike {
  name?: string;
  state?: ContainerStateLike;
  lastState?: ContainerStateLike;
}

/** The parts of a Pod these decisions read; the stored object is passed as is. */
export interface PodLike {
  metadata: { name?: string };
  spec?: { nodeName?: string; containers?: ContainerLike[]; initContainers?: ContainerLike[]; ephemeralContainers?: ContainerLike[] };
  status?: { containerStatuses?: ContainerStatusLike[]; initContainerStatuses?: ContainerStatusLike[]; ephemeralContainerStatuses?: ContainerStatusLike[] };
}

function bool(query: Record<string, string>, name: string): boolean {
  const v = query[name];
  if (v === undefined || v === '' || v === 'false' || v === '0') return false;
  if (v === 'true' || v === '1') return true;
  throw errors.badRequest(`invalid value for ${name}: ${v}`);
}

function int(query: Record<string, string>, name: string): number | undefined {
  const v = query[name];
  if (v === undefined || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw errors.badRequest(`invalid value for ${name}: ${v}`);
  return Number(v);
}

/** PodLogOptions from the query, validated as apiserver's ValidatePodLogOptions does (422 on a bad value). */
export function parsePodLogOptions(podName: string, query: Record<string, string>): PodLogOptions {
  const opts: PodLogOptions = {
    follow: bool(query, 'follow'),
    previous: bool(query, 'previous'),
    timestamps: bool(query, 'timestamps'),
  };
  if (query.container) opts.container = query.container;
  const causes: StatusCause[] = [];
  const tailLines = int(query, 'tailLines');
  if (tailLines !== undefined) {
    if (tailLines < 0) causes.push({ reason: 'FieldValueInvalid', field: 'tailLines', message: `Invalid value: ${tailLines}: must be greater than or equal to 0` });
    opts.tailLines = tailLines;
  }
  const limitBytes = int(query, 'limitBytes');
  if (limitBytes !== undefined) {
    if (limitBytes < 1) causes.push({ reason: 'FieldValueInvalid', field: 'limitBytes', message: `Invalid value: ${limitBytes}: must be greater than 0` });
    opts.limitBytes = limitBytes;
  }
  const sinceSeconds = int(query, 'sinceSeconds');
  if (sinceSeconds !== undefined) {
    if (sinceSeconds < 1) causes.push({ reason: 'FieldValueInvalid', field: 'sinceSeconds', message: `Invalid value: ${sinceSeconds}: must be greater than 0` });
    opts.sinceSeconds = sinceSeconds;
  }
  if (query.sinceTime) {
    if (Number.isNaN(Date.parse(query.sinceTime))) throw errors.badRequest(`invalid value for sinceTime: ${query.sinceTime}`);
    opts.sinceTime = query.sinceTime;
    if (sinceSeconds !== undefined) causes.push({ reason: 'FieldValueForbidden', field: '', message: 'at most one of `sinceTime` or `sinceSeconds` may be specified' });
  }
  if (causes.length) throw errors.invalid('PodLogOptions', '', podName, causes);
  return opts;
}

function names(containers: ContainerLike[] | undefined): string[] {
  return (containers ?? []).map((c) => c.name ?? '');
}

/**
 * The container a log/exec/attach request means: the one named, or the pod's only container. Errors as apiserver's
 * LogLocation: `a container name must be specified for pod x, choose one of: [a b]`, `container c is not valid for pod x`.
 */
export function chooseContainer(pod: PodLike, requested: string | undefined): string {
  const name = pod.metadata.name ?? '';
  const containers = names(pod.spec?.containers);
  if (!requested) {
    if (containers.length === 1) return containers[0];
    if (containers.length === 0) throw errors.badRequest(`a container name must be specified for pod ${name}`);
    const init = names(pod.spec?.initContainers);
    let message = `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`;
    if (init.length) message += ` or one of the init containers: [${init.join(' ')}]`;
    throw errors.badRequest(message);
  }
  const all = [...containers, ...names(pod.spec?.initContainers), ...names(pod.spec?.ephemeralContainers)];
  if (!all.includes(requested)) throw errors.badRequest(`container ${requested} is not valid for pod ${name}`);
  return requested;
}

function statusOf(pod: PodLike, container: string): ContainerStatusLike | undefined {
  const s = pod.status;
  return [...(s?.containerStatuses ?? []), ...(s?.initContainerStatuses ?? []), ...(s?.ephemeralContainerStatuses ?? [])].find((c) => c.name === container);
}

/**
 * Throws 400 unless `container` has (current or, with previous, earlier) output, with the kubelet's messages:
 * `container "c" in pod "x" is waiting to start: ContainerCreating` for a pod not bound or not yet reported on.
 */
export function checkContainerHasLogs(pod: PodLike, container: string, previous: boolean): void {
  const pod_ = pod.metadata.name ?? '';
  const waitingToStart = (why: string) => errors.badRequest(`container "${container}" in pod "${pod_}" is waiting to start: ${why}`);
  const status = pod.spec?.nodeName ? statusOf(pod, container) : undefined;
  if (!status) throw waitingToStart('ContainerCreating');
  const state = status.state ?? {};
  const last = status.lastState?.terminated;
  const terminatedGone = () => errors.badRequest(`container "${container}" in pod "${pod_}" is terminated`);
  if (previous) {
    if (!last?.containerID) throw errors.badRequest(`previous terminated container "${container}" in pod "${pod_}" not found`);
    return;
  }
  if (state.running) return;
  if (state.terminated) {
    if (!state.terminated.containerID && !last?.containerID) throw terminatedGone();
    return;
  }
  if (last) {
    if (!last.containerID) throw terminatedGone();
    return;
  }
  if (state.waiting) {
    const reason = state.waiting.reason ?? '';
    if (reason === 'ErrImagePull') throw waitingToStart("image can't be pulled");
    if (reason === 'ImagePullBackOff') throw waitingToStart('trying and failing to pull image');
    throw waitingToStart(reason);
  }
  throw errors.badRequest(`container "${container}" in pod "${pod_}" is waiting to start - no logs yet`);
}

/** The node server's query for a validated request (sinceTime and sinceSeconds pass as given). */
export function nodeLogQuery(opts: PodLogOptions): string {
  const q = new URLSearchParams();
  if (opts.follow) q.set('follow', 'true');
  if (opts.previous) q.set('previous', 'true');
  if (opts.timestamps) q.set('timestamps', 'true');
  if (opts.tailLines !== undefined) q.set('tailLines', String(opts.tailLines));
  if (opts.sinceSeconds !== undefined) q.set('sinceSeconds', String(opts.sinceSeconds));
  if (opts.sinceTime !== undefined) q.set('sinceTime', opts.sinceTime);
  if (opts.limitBytes !== undefined) q.set('limitBytes', String(opts.limitBytes));
  return q.toString();
}
