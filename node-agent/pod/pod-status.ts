/**
 * The pod status the node reports, computed from the pod and the known state only (the kubelet's
 * generateAPIPodStatus): container statuses with waiting/running/terminated states and reasons, lastState,
 * restartCount, ready and started; the phase by the kubelet's getPhase; the PodReadyToStartContainers,
 * Initialized, Ready and ContainersReady conditions with the kubelet's reasons and messages. kubectl's READY,
 * STATUS and RESTARTS columns are derived from exactly these fields.
 */
import type { Condition } from '../../shared/api/kinds/meta.ts';
import type { ContainerStatus, Pod, PodStatus } from '../../shared/api/kinds/pod.ts';
import { crashLoop, podContainers, shouldRestart, type PodContainer } from './container-lifecycle.ts';
import { imageWaitingReason } from './image-policy.ts';
import { currentSandbox, exitCodeOf, hasExited, instancesOf, PodDesired, type KnownContainer, type KnownPodState } from './pod-state.ts';
import { isReady, isStarted } from './probes.ts';

/** How the runtime's ids are prefixed in statuses (`docker://<id>`), as cri-dockerd reports them. */
export const RUNTIME_SCHEME = 'docker';

export interface NodeAddresses {
  hostIP: string;
}

type ContainerState = NonNullable<ContainerStatus['state']>;
type Terminated = NonNullable<ContainerState['terminated']>;

/** RFC 3339 with second precision, as Kubernetes serializes metav1.Time. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function terminatedState(c: KnownContainer): Terminated {
  const exitCode = exitCodeOf(c);
  const startFailed = c.state === 'created' && c.error !== undefined;
  const reason = c.oomKilled ? 'OOMKilled' : startFailed ? 'StartError' : exitCode === 0 ? 'Completed' : 'Error';
  const t: Terminated = {
    exitCode,
    reason,
    startedAt: startFailed ? rfc3339(0) : rfc3339(c.startedAt ?? c.createdAt),
    finishedAt: rfc3339(c.finishedAt ?? c.startedAt ?? c.createdAt),
    containerID: `${RUNTIME_SCHEME}://${c.id}`,
  };
  if (c.error) t.message = c.error;
  // Docker reports a signal death as 128+n; the kubelet does not split it out, and neither do we.
  return t;
}

function imageIDOf(c: KnownContainer): string {
  if (!c.imageID) return '';
  return c.imageID.includes('://') ? c.imageID : `${RUNTIME_SCHEME}://${c.imageID}`;
}

/** Why a container that is not running yet (or about to be restarted) waits. */
function pendingStartReason(pod: Pod, known: KnownPodState, c: PodContainer, attempt: number, now: number): { reason: string; message?: string } | undefined {
  const error = known.startErrors[c.spec.name];
  if (error && error.forAttempt === attempt) return { reason: error.reason, message: error.message };
  const image = known.images[c.spec.name];
  if (image && image.forAttempt === attempt) return imageWaitingReason(image, c.spec.image ?? '', now);
  return undefined;
}

function containerStatus(pod: Pod, known: KnownPodState, c: PodContainer, now: number): ContainerStatus {
  const hasInit = (pod.spec.initContainers ?? []).length > 0;
  const instances = instancesOf(known, c.spec.name, c.role);
  const [latest, previous] = instances;
  const status: ContainerStatus = {
    name: c.spec.name,
    state: {},
    lastState: {},
    ready: false,
    restartCount: latest?.attempt ?? 0,
    image: c.spec.image ?? '',
    imageID: '',
    started: false,
  };
  if (!latest) {
    const pending = pendingStartReason(pod, known, c, 0, now);
    status.state = { waiting: pending ?? { reason: hasInit ? 'PodInitializing' : 'ContainerCreating' } };
    return status;
  }
  status.imageID = imageIDOf(latest);
  status.containerID = `${RUNTIME_SCHEME}://${latest.id}`;
  if (previous && hasExited(previous)) status.lastState = { terminated: terminatedState(previous) };
  if (latest.state === 'running') {
    status.state = { running: { startedAt: rfc3339(latest.startedAt ?? latest.createdAt) } };
    status.started = isStarted(known, c.spec, latest);
    status.ready = isReady(known, c.spec, latest);
    return status;
  }
  if (!hasExited(latest)) {
    status.state = { waiting: { reason: 'ContainerCreating' } };
    return status;
  }
  const terminated = terminatedState(latest);
  const restarting = known.desired === PodDesired.Running && shouldRestart(pod, c, exitCodeOf(latest));
  if (restarting) {
    const loop = crashLoop(pod, c, latest, now);
    const waiting = loop ? { reason: 'CrashLoopBackOff', message: loop.message } : pendingStartReason(pod, known, c, latest.attempt + 1, now);
    if (waiting) {
      status.state = { waiting };
      status.lastState = { terminated };
      return status;
    }
  }
  status.state = { terminated };
  return status;
}

function isTerminated(s: ContainerStatus | undefined): boolean {
  return s?.state?.terminated !== undefined;
}

/** Any app container has run (is running or has terminated), so init containers are done for good. */
function anyRegularContainerStarted(statuses: ContainerStatus[]): boolean {
  return statuses.some((s) => s.state?.running !== undefined || s.state?.terminated !== undefined || s.lastState?.terminated !== undefined);
}

/** The kubelet's getPhase, case for case. `podIsTerminal`: the pod is being stopped for good (deleted, terminal). */
export function podPhase(pod: Pod, initStatuses: ContainerStatus[], appStatuses: ContainerStatus[], podIsTerminal: boolean): string {
  let pendingInitialization = 0;
  let failedInitialization = 0;
  let unknown = 0;
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of pod.spec.initContainers ?? []) {
    if (c.restartPolicy === 'Always') continue;
    const s = initStatuses.find((x) => x.name === c.name);
    if (!s) pendingInitialization++;
    else if (s.state?.running) pendingInitialization++;
    else if (s.state?.terminated) {
      if (s.state.terminated.exitCode !== 0) failedInitialization++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) {
        if (s.lastState.terminated.exitCode !== 0) failedInitialization++;
      } else pendingInitialization++;
    } else pendingInitialization++;
  }
  for (const c of pod.spec.initContainers ?? []) {
    if (c.restartPolicy !== 'Always') continue;
    const s = initStatuses.find((x) => x.name === c.name);
    if (!s) unknown++;
    else if (s.state?.running) {
      if (!s.started) pendingInitialization++;
      running++;
    } else if (s.state?.terminated) {
      // Terminated sidecars do not count towards the phase.
    } else if (s.state?.waiting) {
      if (!s.lastState?.terminated) {
        pendingInitialization++;
        waiting++;
      }
    } else {
      pendingInitialization++;
      unknown++;
    }
  }
  for (const c of pod.spec.containers) {
    const s = appStatuses.find((x) => x.name === c.name);
    if (!s) unknown++;
    else if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    } else unknown++;
  }
  const policy = pod.spec.restartPolicy ?? 'Always';
  if (failedInitialization > 0 && policy === 'Never') return 'Failed';
  if ((pendingInitialization > 0 && !anyRegularContainerStarted(appStatuses)) || waiting > 0) return 'Pending';
  if (running > 0 && unknown === 0) return 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (podIsTerminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

function condition(type: string, ok: boolean, reason?: string, message?: string): Condition {
  const c: Condition = { type, status: ok ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: null };
  if (reason) c.reason = reason;
  if (message) c.message = message;
  return c;
}

function listMessage(unknown: string[], other: string[], otherLabel: string): string {
  const parts: string[] = [];
  if (unknown.length) parts.push(`containers with unknown status: [${unknown.join(' ')}]`);
  if (other.length) parts.push(`containers with ${otherLabel} status: [${other.join(' ')}]`);
  return parts.join(', ');
}

function initializedCondition(pod: Pod, initStatuses: ContainerStatus[], appStatuses: ContainerStatus[], phase: string): Condition {
  const inits = pod.spec.initContainers ?? [];
  if (inits.length === 0) return condition('Initialized', true);
  const unknown: string[] = [];
  const incomplete: string[] = [];
  for (const c of inits) {
    const s = initStatuses.find((x) => x.name === c.name);
    if (!s) unknown.push(c.name);
    else if (c.restartPolicy === 'Always' ? !s.started : !(isTerminated(s) && s.state!.terminated!.exitCode === 0)) incomplete.push(c.name);
  }
  if (phase === 'Succeeded' && unknown.length === 0) return condition('Initialized', true, 'PodCompleted');
  if (anyRegularContainerStarted(appStatuses)) return condition('Initialized', true);
  if (unknown.length === 0 && incomplete.length === 0) return condition('Initialized', true);
  return condition('Initialized', false, 'ContainersNotInitialized', listMessage(unknown, incomplete, 'incomplete'));
}

function containersReadyCondition(pod: Pod, initStatuses: ContainerStatus[], appStatuses: ContainerStatus[], phase: string): Condition {
  const unknown: string[] = [];
  const unready: string[] = [];
  for (const c of pod.spec.initContainers ?? []) {
    if (c.restartPolicy !== 'Always') continue;
    const s = initStatuses.find((x) => x.name === c.name);
    if (!s) unknown.push(c.name);
    else if (!s.ready) unready.push(c.name);
  }
  for (const c of pod.spec.containers) {
    const s = appStatuses.find((x) => x.name === c.name);
    if (!s) unknown.push(c.name);
    else if (!s.ready) unready.push(c.name);
  }
  if (phase === 'Succeeded' && unknown.length === 0) return condition('ContainersReady', false, 'PodCompleted');
  if (unknown.length || unready.length) return condition('ContainersReady', false, 'ContainersNotReady', listMessage(unknown, unready, 'unready'));
  return condition('ContainersReady', true);
}

function readyCondition(pod: Pod, containersReady: Condition, others: Condition[]): Condition {
  if (containersReady.status !== 'True') return condition('Ready', false, containersReady.reason, containersReady.message);
  const messages: string[] = [];
  for (const gate of pod.spec.readinessGates ?? []) {
    const c = others.find((x) => x.type === gate.conditionType);
    if (!c) messages.push(`corresponding condition of pod readiness gate "${gate.conditionType}" does not exist.`);
    else if (c.status !== 'True') messages.push(`the status of pod readiness gate "${gate.conditionType}" is not "True", but ${c.status}`);
  }
  if (messages.length) return condition('Ready', false, 'ReadinessGatesNotReady', messages.join(', '));
  return condition('Ready', true);
}

const KUBELET_CONDITIONS = new Set(['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady']);

function deadlineExceeded(pod: Pod, startTime: string | undefined, now: number): boolean {
  const deadline = pod.spec.activeDeadlineSeconds;
  if (deadline === undefined || !startTime) return false;
  return now - Date.parse(startTime) >= deadline * 1000;
}

/**
 * The status to write for `pod` given what the runtime shows. A terminal phase already reported never changes;
 * lastTransitionTime is carried over from the previous status while a condition keeps its status.
 */
export function computePodStatus(pod: Pod, known: KnownPodState, now: number, node: NodeAddresses): PodStatus {
  const old = pod.status ?? {};
  const containers = podContainers(pod);
  const initStatuses = containers.filter((c) => c.role === 'init').map((c) => containerStatus(pod, known, c, now));
  const appStatuses = containers.filter((c) => c.role === 'app').map((c) => containerStatus(pod, known, c, now));
  const startTime = old.startTime ?? rfc3339(now);

  let phase = podPhase(pod, initStatuses, appStatuses, known.desired >= PodDesired.Stopped);
  let reason: string | undefined;
  let message: string | undefined;
  if (old.phase === 'Succeeded' || old.phase === 'Failed') {
    phase = old.phase;
    reason = old.reason;
    message = old.message;
  } else if (deadlineExceeded(pod, startTime, now)) {
    phase = 'Failed';
    reason = 'DeadlineExceeded';
    message = 'Pod was active on the node longer than the specified deadline';
  }

  const sandbox = currentSandbox(known);
  const others = (old.conditions ?? []).filter((c) => !KUBELET_CONDITIONS.has(c.type));
  if (!others.some((c) => c.type === 'PodScheduled')) others.push(condition('PodScheduled', true));
  const containersReady = containersReadyCondition(pod, initStatuses, appStatuses, phase);
  const conditions = [
    condition('PodReadyToStartContainers', sandbox?.state === 'running' && Boolean(sandbox.ip)),
    initializedCondition(pod, initStatuses, appStatuses, phase),
    readyCondition(pod, containersReady, others),
    containersReady,
  ];
  for (const c of conditions) {
    const before = (old.conditions ?? []).find((x) => x.type === c.type);
    c.lastTransitionTime = before && before.status === c.status && before.lastTransitionTime ? before.lastTransitionTime : rfc3339(now);
  }

  const status: PodStatus = {
    phase,
    conditions: [...conditions, ...others],
    hostIP: node.hostIP,
    hostIPs: [{ ip: node.hostIP }],
    startTime,
    containerStatuses: appStatuses,
  };
  if (reason) status.reason = reason;
  if (message) status.message = message;
  const ip = sandbox?.ip || old.podIP;
  if (ip) {
    status.podIP = ip;
    status.podIPs = [{ ip }];
  }
  if (initStatuses.length) status.initContainerStatuses = initStatuses;
  if (old.qosClass) status.qosClass = old.qosClass;
  if (pod.metadata.generation !== undefined) status.observedGeneration = pod.metadata.generation;
  return status;
}
