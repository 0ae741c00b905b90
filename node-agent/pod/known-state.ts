/**
 * The labels the agent puts on every container it creates, and the recovery of each pod's known state from
 * them after an agent restart (even kill -9): the runtime is the only record, as in the kubelet.
 */
import type { RuntimeContainer } from '../runtime/container-runtime.ts';
import type { BackoffEntry } from './backoff.ts';
import { emptyKnownState, PodDesired, type ContainerRole, type KnownContainer, type KnownPodState, type KnownSandbox } from './pod-state.ts';

export const LABEL = {
  managed: 'zeroplane.io/managed',
  podUid: 'zeroplane.io/pod-uid',
  podNamespace: 'zeroplane.io/pod-namespace',
  podName: 'zeroplane.io/pod-name',
  role: 'zeroplane.io/role',
  container: 'zeroplane.io/container',
  attempt: 'zeroplane.io/attempt',
  podIP: 'zeroplane.io/pod-ip',
  backoff: 'zeroplane.io/backoff',
} as const;

/** Selects every container this agent manages (the runtime's `list` filter). */
export const MANAGED_SELECTOR: Record<string, string> = { [LABEL.managed]: 'true' };

export interface PodIdentity {
  uid: string;
  namespace: string;
  name: string;
}

export function sandboxLabels(pod: PodIdentity, ip: string): Record<string, string> {
  return {
    [LABEL.managed]: 'true',
    [LABEL.podUid]: pod.uid,
    [LABEL.podNamespace]: pod.namespace,
    [LABEL.podName]: pod.name,
    [LABEL.role]: 'sandbox',
    [LABEL.podIP]: ip,
  };
}

export function containerLabels(pod: PodIdentity, name: string, role: ContainerRole, attempt: number, backoff?: BackoffEntry): Record<string, string> {
  const labels: Record<string, string> = {
    [LABEL.managed]: 'true',
    [LABEL.podUid]: pod.uid,
    [LABEL.podNamespace]: pod.namespace,
    [LABEL.podName]: pod.name,
    [LABEL.role]: role,
    [LABEL.container]: name,
    [LABEL.attempt]: String(attempt),
  };
  if (backoff) labels[LABEL.backoff] = `${backoff.durationMs}@${backoff.lastUpdateMs}`;
  return labels;
}

/** The engine's container name: readable in `docker ps`, unique per attempt. */
export function runtimeContainerName(pod: PodIdentity, name: string, attempt: number): string {
  return `zp_${pod.namespace}_${pod.name}_${name}_${attempt}_${pod.uid.slice(0, 8)}`;
}

export function runtimeSandboxName(pod: PodIdentity): string {
  return `zp_${pod.namespace}_${pod.name}_sandbox_${pod.uid.slice(0, 8)}`;
}

function parseBackoff(value: string | undefined): BackoffEntry | undefined {
  const m = /^(\d+)@(\d+)$/.exec(value ?? '');
  return m ? { durationMs: Number(m[1]), lastUpdateMs: Number(m[2]) } : undefined;
}

export interface RecoveredPod {
  identity: PodIdentity;
  known: KnownPodState;
}

/**
 * Groups the runtime's containers by pod uid into known states. Containers without our labels are ignored;
 * malformed ones (no container name, bad attempt) are returned as `strays` so the caller can remove them.
 */
export function recoverKnownStates(containers: RuntimeContainer[]): { pods: Map<string, RecoveredPod>; strays: string[] } {
  const pods = new Map<string, RecoveredPod>();
  const strays: string[] = [];
  for (const c of containers) {
    const l = c.labels;
    if (l[LABEL.managed] !== 'true') continue;
    const uid = l[LABEL.podUid];
    if (!uid) {
      strays.push(c.id);
      continue;
    }
    let pod = pods.get(uid);
    if (!pod) {
      pod = { identity: { uid, namespace: l[LABEL.podNamespace] ?? '', name: l[LABEL.podName] ?? '' }, known: emptyKnownState(PodDesired.Running) };
      pods.set(uid, pod);
    }
    const role = l[LABEL.role];
    if (role === 'sandbox') {
      const sandbox: KnownSandbox = { id: c.id, ip: l[LABEL.podIP] ?? '', state: c.state, createdAt: c.createdAt };
      pod.known.sandboxes.push(sandbox);
      continue;
    }
    const attempt = Number(l[LABEL.attempt]);
    const name = l[LABEL.container];
    if ((role !== 'init' && role !== 'app') || !name || !Number.isInteger(attempt) || attempt < 0) {
      strays.push(c.id);
      continue;
    }
    pod.known.containers.push(knownContainerFrom(c, name, role, attempt));
  }
  return { pods, strays };
}

export function knownContainerFrom(c: RuntimeContainer, name: string, role: ContainerRole, attempt: number): KnownContainer {
  const known: KnownContainer = {
    id: c.id,
    name,
    role,
    attempt,
    image: c.image,
    imageID: c.imageID,
    state: c.state,
    createdAt: c.createdAt,
  };
  if (c.startedAt !== undefined) known.startedAt = c.startedAt;
  if (c.finishedAt !== undefined) known.finishedAt = c.finishedAt;
  if (c.exitCode !== undefined) known.exitCode = c.exitCode;
  if (c.oomKilled) known.oomKilled = true;
  if (c.error) known.error = c.error;
  const backoff = parseBackoff(c.labels[LABEL.backoff]);
  if (backoff) known.backoff = backoff;
  return known;
}

/** Pods the runtime still has but the API no longer assigns to this node: their workers must remove them. */
export function orphanedPods(recovered: Map<string, RecoveredPod>, assignedUids: Set<string>): RecoveredPod[] {
  return [...recovered.values()].filter((p) => !assignedUids.has(p.identity.uid));
}
