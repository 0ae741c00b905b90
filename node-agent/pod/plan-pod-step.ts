/**
 * The pod worker's brain: from the pod (desired) and what the runtime shows (known), the one next thing to do.
 * Pure; the worker applies the action through the ContainerRuntime port, records the outcome in the known state
 * and asks again. Order of concerns: garbage, termination, sandbox, init containers in order, app containers,
 * probes, then a wait until the next moment something becomes due (backoff end, probe period, deadline).
 */
import type { Probe } from '../../shared/api/kinds/pod-spec.ts';
import type { Pod, PodStatus } from '../../shared/api/kinds/pod.ts';
import type { ImagePullMode } from '../runtime/container-runtime.ts';
import { nextBackoff, isInBackOffSinceUpdate, type BackoffEntry } from './backoff.ts';
import { crashLoop, finishedAtOf, inSandbox, podContainers, shouldRestart, type PodContainer } from './container-lifecycle.ts';
import { ERR_IMAGE_PULL_REPORTED_MS, NEVER_PULL_RECHECK_MS, pullMode } from './image-policy.ts';
import {
  currentSandbox,
  exitCodeOf,
  hasExited,
  instancesOf,
  PodDesired,
  type ContainerRole,
  type KnownContainer,
  type KnownPodState,
  type ProbeKind,
} from './pod-state.ts';
import { dueProbes, probeResult } from './probes.ts';

/** How long after a create/start error the same start is tried again (the kubelet's resync on error). */
export const START_ERROR_RETRY_MS = 10_000;
/** The instances kept per container: the current one and the previous one (for `logs --previous`). */
export const INSTANCES_KEPT = 2;

export type KillReason = 'PodTerminating' | 'LivenessProbeFailed' | 'StartupProbeFailed' | 'SpecChanged' | 'SandboxChanged';

export type PodAction =
  /** Allocate an IP and create + start the sandbox. */
  | { type: 'createSandbox' }
  /** Stop the sandbox (pod terminal); its containers are already stopped. */
  | { type: 'stopSandbox'; sandboxId: string }
  /** Run runtime.ensureImage and record it with recordImageResult for this attempt. */
  | { type: 'ensureImage'; container: string; role: ContainerRole; image: string; mode: ImagePullMode; attempt: number }
  /** Create and start the given attempt, with `backoff` in its labels. */
  | { type: 'startContainer'; container: string; role: ContainerRole; attempt: number; backoff?: BackoffEntry }
  /** Start an instance that was created but never started (the agent died in between). */
  | { type: 'startCreated'; container: string; id: string }
  /** Stop these containers together (SIGTERM, grace, SIGKILL). */
  | { type: 'killContainers'; ids: string[]; graceSeconds: number; reason: KillReason; message: string }
  | { type: 'probe'; container: string; containerId: string; probe: ProbeKind; spec: Probe }
  /** Force-remove containers or sandboxes (superseded attempts, unknown names, a deleted pod). */
  | { type: 'removeContainers'; ids: string[]; reason: 'Superseded' | 'NotInSpec' | 'StaleSandbox' | 'PodRemoved' }
  /** Write the terminal status and delete the API object (grace 0); then set known.statusFinalized. */
  | { type: 'finalizeStatus' }
  /** Nothing to do until `until` (or until the runtime or the API reports a change); absent: only on change. */
  | { type: 'wait'; until?: number; reason: string }
  /** The pod is gone from the node; release its IP and end the worker. */
  | { type: 'done' };

const TERMINAL_PHASES = new Set(['Succeeded', 'Failed']);

/** The desired state the API implies now: Removed once deleted, Stopped once terminal, else Running. */
export function desiredFor(pod: Pod | undefined, status: PodStatus | undefined): PodDesired {
  if (!pod || pod.metadata.deletionTimestamp) return PodDesired.Removed;
  if (TERMINAL_PHASES.has(status?.phase ?? '')) return PodDesired.Stopped;
  return PodDesired.Running;
}

/** The grace period for stopping a pod's containers: the deletion's, else the spec's, else 30 s. */
export function podGraceSeconds(pod: Pod): number {
  return pod.metadata.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
}

class Waits {
  private until: number | undefined;
  private reason = 'no change expected';
  add(at: number | undefined, reason: string): void {
    if (at === undefined) return;
    if (this.until === undefined || at < this.until) {
      this.until = at;
      this.reason = reason;
    }
  }
  action(): PodAction {
    return this.until === undefined ? { type: 'wait', reason: this.reason } : { type: 'wait', until: this.until, reason: this.reason };
  }
}

export function planPodStep(pod: Pod, known: KnownPodState, now: number): PodAction {
  const containers = podContainers(pod);
  const garbage = collectGarbage(known, containers);
  if (garbage && known.desired !== PodDesired.Removed) return garbage;
  if (known.desired >= PodDesired.Stopped) return planTermination(pod, known);

  const sandbox = currentSandbox(known);
  if (!sandbox) return { type: 'createSandbox' };
  if (sandbox.state !== 'running') {
    const running = known.containers.filter((c) => c.state === 'running').map((c) => c.id);
    if (running.length) return { type: 'killContainers', ids: running, graceSeconds: podGraceSeconds(pod), reason: 'SandboxChanged', message: 'Pod sandbox changed, it will be killed and re-created.' };
    return { type: 'removeContainers', ids: [sandbox.id], reason: 'StaleSandbox' };
  }

  const waits = new Waits();
  const inits = containers.filter((c) => c.role === 'init');
  const apps = containers.filter((c) => c.role === 'app');
  const appsStarted = apps.some((c) => instancesOf(known, c.spec.name, 'app').some((i) => inSandbox(i, sandbox)));
  let initialized = true;
  if (!appsStarted) {
    for (const c of inits) {
      const latest = instancesOf(known, c.spec.name, 'init').find((i) => inSandbox(i, sandbox));
      if (latest && !c.sidecar && hasExited(latest) && exitCodeOf(latest) === 0) continue;
      if (latest && c.sidecar && latest.state === 'running') {
        const step = planRunning(pod, known, c, latest);
        if (step) return step;
        if (isSidecarStarted(known, c, latest)) continue;
        initialized = false;
        break;
      }
      const step = planContainer(pod, known, c, latest, now, waits, instancesOf(known, c.spec.name, 'init')[0]);
      if (step) return step;
      initialized = false;
      break;
    }
  }
  if (initialized) {
    for (const c of [...inits.filter((i) => i.sidecar), ...apps]) {
      const all = instancesOf(known, c.spec.name, c.role);
      const latest = c.role === 'app' ? all[0] : all.find((i) => inSandbox(i, sandbox));
      const step = latest?.state === 'running' ? planRunning(pod, known, c, latest) : planContainer(pod, known, c, latest, now, waits, all[0]);
      if (step) return step;
    }
  }

  // Probes last: starting containers comes first; the earliest due probe runs now, the others set the wait.
  let earliest: { action: PodAction; dueAt: number } | undefined;
  for (const c of containers) {
    const latest = instancesOf(known, c.spec.name, c.role)[0];
    if (!latest || latest.state !== 'running') continue;
    for (const p of dueProbes(known, c.spec, latest)) {
      if (p.dueAt <= now) {
        if (!earliest || p.dueAt < earliest.dueAt) {
          earliest = { dueAt: p.dueAt, action: { type: 'probe', container: c.spec.name, containerId: latest.id, probe: p.kind, spec: p.probe } };
        }
      } else waits.add(p.dueAt, `${p.kind} probe of ${c.spec.name}`);
    }
  }
  if (earliest) return earliest.action;
  const deadline = pod.spec.activeDeadlineSeconds;
  const startTime = pod.status?.startTime ? Date.parse(pod.status.startTime) : undefined;
  if (deadline !== undefined && startTime !== undefined) waits.add(startTime + deadline * 1000, 'activeDeadlineSeconds');
  return waits.action();
}

function isSidecarStarted(known: KnownPodState, c: PodContainer, latest: KnownContainer): boolean {
  return !c.spec.startupProbe || probeResult(known, latest.id, 'startup') === 'success';
}

/** Kills a running instance that must not go on: image changed, liveness or startup probe failed. */
function planRunning(pod: Pod, known: KnownPodState, c: PodContainer, latest: KnownContainer): PodAction | undefined {
  const kill = (reason: KillReason, message: string, probe?: Probe): PodAction => ({
    type: 'killContainers',
    ids: [latest.id],
    graceSeconds: probe?.terminationGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30,
    reason,
    message,
  });
  if (c.spec.image && latest.image !== c.spec.image) {
    return kill('SpecChanged', `Container ${c.spec.name} definition changed, will be restarted`);
  }
  if (c.spec.startupProbe && probeResult(known, latest.id, 'startup') === 'failure') {
    return kill('StartupProbeFailed', `Container ${c.spec.name} failed startup probe, will be restarted`, c.spec.startupProbe);
  }
  if (c.spec.livenessProbe && probeResult(known, latest.id, 'liveness') === 'failure') {
    return kill('LivenessProbeFailed', `Container ${c.spec.name} failed liveness probe, will be restarted`, c.spec.livenessProbe);
  }
  return undefined;
}

/**
 * A container that is not running: absent, created but not started, or exited. Returns the step to take, or
 * undefined when it must wait (recorded in `waits`) or has finished for good.
 */
function planContainer(
  pod: Pod,
  known: KnownPodState,
  c: PodContainer,
  latest: KnownContainer | undefined,
  now: number,
  waits: Waits,
  newestEver: KnownContainer | undefined,
): PodAction | undefined {
  if (latest?.state === 'running') return undefined;
  if (latest && latest.state === 'created' && latest.error === undefined) return { type: 'startCreated', container: c.spec.name, id: latest.id };
  let backoff: BackoffEntry | undefined;
  if (latest && hasExited(latest)) {
    if (!shouldRestart(pod, c, exitCodeOf(latest))) return undefined;
    const loop = crashLoop(pod, c, latest, now);
    if (loop) {
      waits.add(loop.until, `CrashLoopBackOff of ${c.spec.name}`);
      return undefined;
    }
    backoff = nextBackoff(latest.backoff, finishedAtOf(latest), now);
  } else if (latest?.state === 'unknown') {
    return undefined;
  }
  // A new sandbox reruns containers; attempts keep counting across sandboxes.
  const attempt = newestEver ? newestEver.attempt + 1 : 0;
  return planStart(known, c, attempt, backoff, now, waits);
}

function planStart(known: KnownPodState, c: PodContainer, attempt: number, backoff: BackoffEntry | undefined, now: number, waits: Waits): PodAction | undefined {
  const name = c.spec.name;
  const error = known.startErrors[name];
  if (error && error.forAttempt === attempt && now - error.at < START_ERROR_RETRY_MS) {
    waits.add(error.at + START_ERROR_RETRY_MS, `${error.reason} of ${name}`);
    return undefined;
  }
  const image = known.images[name];
  const ensure: PodAction = { type: 'ensureImage', container: name, role: c.role, image: c.spec.image ?? '', mode: pullMode(c.spec), attempt };
  if (!image || image.forAttempt !== attempt) return ensure;
  switch (image.status) {
    case 'present': {
      const start: PodAction = { type: 'startContainer', container: name, role: c.role, attempt };
      if (backoff) start.backoff = backoff;
      return start;
    }
    case 'pullFailed': {
      if (!isInBackOffSinceUpdate(image.backoff, now)) return ensure;
      const flip = image.backoff.lastUpdateMs + ERR_IMAGE_PULL_REPORTED_MS;
      if (flip > now) waits.add(flip, `ErrImagePull of ${name}`);
      waits.add(image.backoff.lastUpdateMs + image.backoff.durationMs, `ImagePullBackOff of ${name}`);
      return undefined;
    }
    case 'neverPullAbsent': {
      if (now - image.at >= NEVER_PULL_RECHECK_MS) return ensure;
      waits.add(image.at + NEVER_PULL_RECHECK_MS, `ErrImageNeverPull of ${name}`);
      return undefined;
    }
  }
}

/** Superseded attempts (all but the newest two per container), containers not in the spec, older sandboxes. */
function collectGarbage(known: KnownPodState, containers: PodContainer[]): PodAction | undefined {
  const ids: string[] = [];
  let reason: 'Superseded' | 'NotInSpec' | 'StaleSandbox' = 'Superseded';
  const sandbox = currentSandbox(known);
  for (const s of known.sandboxes) {
    if (s !== sandbox) {
      ids.push(s.id);
      reason = 'StaleSandbox';
    }
  }
  const specified = new Set(containers.map((c) => `${c.role}/${c.spec.name}`));
  for (const k of known.containers) {
    if (!specified.has(`${k.role}/${k.name}`)) {
      ids.push(k.id);
      reason = 'NotInSpec';
    }
  }
  for (const c of containers) {
    for (const old of instancesOf(known, c.spec.name, c.role).slice(INSTANCES_KEPT)) {
      if (old.state !== 'running') ids.push(old.id);
    }
  }
  return ids.length ? { type: 'removeContainers', ids, reason } : undefined;
}

/** Stopped: stop everything, keep it for logs. Removed: stop, report the terminal status, then remove it all. */
function planTermination(pod: Pod, known: KnownPodState): PodAction {
  const running = known.containers.filter((c) => c.state === 'running').map((c) => c.id);
  if (running.length) {
    return {
      type: 'killContainers',
      ids: running,
      graceSeconds: known.desired === PodDesired.Removed ? podGraceSeconds(pod) : pod.spec.terminationGracePeriodSeconds ?? 30,
      reason: 'PodTerminating',
      message: 'Stopping container',
    };
  }
  const sandbox = known.sandboxes.find((s) => s.state === 'running');
  if (sandbox) return { type: 'stopSandbox', sandboxId: sandbox.id };
  if (known.desired === PodDesired.Stopped) return { type: 'wait', reason: 'pod is terminal' };
  if (!known.statusFinalized) return { type: 'finalizeStatus' };
  const ids = [...known.containers.map((c) => c.id), ...known.sandboxes.map((s) => s.id)];
  if (ids.length) return { type: 'removeContainers', ids, reason: 'PodRemoved' };
  return { type: 'done' };
}
