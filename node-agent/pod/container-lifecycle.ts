/**
 * Per-container rules shared by the planner and the status: which containers a pod has, whether an exited one
 * is restarted, and whether it is in CrashLoopBackOff (kubelet's ShouldContainerBeRestarted and doBackOff).
 */
import type { Container } from '../../shared/api/kinds/pod-spec.ts';
import type { Pod } from '../../shared/api/kinds/pod.ts';
import { CONTAINER_BACKOFF, formatGoDuration, isInBackOffSince } from './backoff.ts';
import { exitCodeOf, hasExited, type ContainerRole, type KnownContainer, type KnownSandbox } from './pod-state.ts';

export interface PodContainer {
  spec: Container;
  role: ContainerRole;
  /** A restartable init container (`restartPolicy: Always` on an init container): a sidecar. */
  sidecar: boolean;
}

export function podContainers(pod: Pod): PodContainer[] {
  const init = (pod.spec.initContainers ?? []).map((spec) => ({ spec, role: 'init' as const, sidecar: spec.restartPolicy === 'Always' }));
  const app = pod.spec.containers.map((spec) => ({ spec, role: 'app' as const, sidecar: false }));
  return [...init, ...app];
}

export function restartPolicyOf(pod: Pod): 'Always' | 'OnFailure' | 'Never' {
  const p = pod.spec.restartPolicy;
  return p === 'OnFailure' || p === 'Never' ? p : 'Always';
}

/** Whether an exited instance of this container gets another attempt. */
export function shouldRestart(pod: Pod, c: PodContainer, exitCode: number): boolean {
  if (c.sidecar) return true;
  const policy = restartPolicyOf(pod);
  // Init containers rerun until they succeed unless the pod never restarts anything.
  if (c.role === 'init') return policy !== 'Never' && exitCode !== 0;
  if (policy === 'Always') return true;
  if (policy === 'OnFailure') return exitCode !== 0;
  return false;
}

/** An instance belongs to the current sandbox if it was created after it (a new sandbox reruns everything). */
export function inSandbox(instance: KnownContainer, sandbox: KnownSandbox | undefined): boolean {
  return sandbox !== undefined && instance.createdAt >= sandbox.createdAt;
}

export function finishedAtOf(c: KnownContainer): number {
  return c.finishedAt ?? c.startedAt ?? c.createdAt;
}

/** `pod_namespace(uid)`, as kubelet's format.Pod prints a pod in messages. */
export function formatPod(pod: Pod): string {
  return `${pod.metadata.name ?? ''}_${pod.metadata.namespace ?? ''}(${pod.metadata.uid ?? ''})`;
}

export interface CrashLoop {
  /** When the next attempt may start. */
  until: number;
  message: string;
}

/** The CrashLoopBackOff in effect for an exited latest instance that will be restarted, if any. */
export function crashLoop(pod: Pod, c: PodContainer, latest: KnownContainer, now: number): CrashLoop | undefined {
  if (!hasExited(latest) || !shouldRestart(pod, c, exitCodeOf(latest))) return undefined;
  const finished = finishedAtOf(latest);
  if (!isInBackOffSince(latest.backoff, finished, now, CONTAINER_BACKOFF)) return undefined;
  const duration = latest.backoff!.durationMs;
  return {
    until: finished + duration,
    message: `back-off ${formatGoDuration(duration)} restarting failed container=${c.spec.name} pod=${formatPod(pod)}`,
  };
}
