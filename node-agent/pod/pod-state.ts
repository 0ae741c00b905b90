/**
 * Desired and known state of one pod on this node, as ordered enums and plain data (the ECS agent's
 * task_manager shape). The worker owns one `KnownPodState` per pod; everything in `sandboxes`/`containers` is
 * recoverable from the runtime's labels (known-state.ts), the rest (image pull results, probe results, start
 * errors) is per-process memory, as it is in the kubelet.
 */
import type { RuntimeContainer, RuntimeContainerState } from '../runtime/container-runtime.ts';
import type { BackoffEntry } from './backoff.ts';

/** What the pod should become. Only moves forward: Running → Stopped (terminal phase) → Removed (deleted). */
export const PodDesired = { Running: 1, Stopped: 2, Removed: 3 } as const;
export type PodDesired = (typeof PodDesired)[keyof typeof PodDesired];

/** What the runtime shows of the pod, coarsely, in the order a healthy pod goes through it. */
export const PodKnown = { None: 0, SandboxReady: 1, Initialized: 2, Running: 3, Stopped: 4, Removed: 5 } as const;
export type PodKnown = (typeof PodKnown)[keyof typeof PodKnown];

/** Desired state never moves backward: a pod once terminal or deleted is never started again by this worker. */
export function advanceDesired(current: PodDesired, next: PodDesired): PodDesired {
  return next > current ? next : current;
}

export type ContainerRole = 'init' | 'app';

export interface KnownSandbox {
  id: string;
  ip: string;
  state: RuntimeContainerState;
  createdAt: number;
}

/**
 * One instance (attempt) of a pod's container as the runtime reports it: the runtime's own facts (id, image,
 * state, times, exit code, OOM kill, start error), with its labels read into the fields below.
 */
export interface KnownContainer extends Omit<RuntimeContainer, 'name' | 'labels'> {
  /** The pod spec's container name (not the engine's container name). */
  name: string;
  role: ContainerRole;
  /** 0 for the first instance; the restartCount of the pod status. */
  attempt: number;
  /** The crash backoff entry this instance was started under (kept in its labels to survive agent restarts). */
  backoff?: BackoffEntry;
}

export type ImageState =
  | { status: 'present'; imageID: string; forAttempt: number }
  | { status: 'pullFailed'; message: string; backoff: BackoffEntry; forAttempt: number }
  | { status: 'neverPullAbsent'; message: string; at: number; forAttempt: number };

export type ProbeKind = 'startup' | 'liveness' | 'readiness';

export interface ProbeState {
  lastRunAt: number;
  successes: number;
  failures: number;
  /** The thresholded result: only flips after successThreshold/failureThreshold consecutive outcomes. */
  result: 'success' | 'failure' | 'unknown';
}

/** A failure before the container existed or ran: CreateContainerConfigError, CreateContainerError, … */
export interface StartError {
  reason: string;
  message: string;
  at: number;
  forAttempt: number;
}

export interface KnownPodState {
  desired: PodDesired;
  sandboxes: KnownSandbox[];
  containers: KnownContainer[];
  /** By container name: the outcome of the latest ensureImage. */
  images: Record<string, ImageState>;
  /** By runtime container id: each probe's state for that instance (a new instance starts fresh). */
  probes: Record<string, Partial<Record<ProbeKind, ProbeState>>>;
  /** By container name. */
  startErrors: Record<string, StartError>;
  /** Set by the worker once the terminal status of a deleted pod is written and the API object deleted. */
  statusFinalized?: boolean;
}

export function emptyKnownState(desired: PodDesired = PodDesired.Running): KnownPodState {
  return { desired, sandboxes: [], containers: [], images: {}, probes: {}, startErrors: {} };
}

/** The newest sandbox; older ones are garbage. */
export function currentSandbox(known: KnownPodState): KnownSandbox | undefined {
  return [...known.sandboxes].sort((a, b) => b.createdAt - a.createdAt)[0];
}

/** The instances of one container, newest (highest attempt) first. */
export function instancesOf(known: KnownPodState, name: string, role: ContainerRole): KnownContainer[] {
  return known.containers
    .filter((c) => c.name === name && c.role === role)
    .sort((a, b) => b.attempt - a.attempt || b.createdAt - a.createdAt);
}

/** Docker reports a container whose start failed as `created` with an error; the kubelet treats it as exited. */
export function hasExited(c: KnownContainer): boolean {
  return c.state === 'exited' || (c.state === 'created' && c.error !== undefined);
}

/** The exit code of an exited instance (128 for a failed start, as containerd reports StartError). */
export function exitCodeOf(c: KnownContainer): number {
  if (c.state === 'created' && c.error !== undefined) return c.exitCode || 128;
  return c.exitCode ?? 0;
}
