/**
 * Probe results an adopting agent carries over. Probe results live in the agent's memory, so after a restart
 * every readiness probe would start from its initial `failure`: each adopted pod would turn unready, leave its
 * Services' endpoints and come back a probe period (plus an endpoints round trip) later, although nothing
 * happened to it. The pod's status in the API is the record of the last results: a container the API shows as
 * ready (or started) with the same container id keeps that result until its probes say otherwise (the kubelet
 * likewise keeps readiness across its restarts for containers that were running before it).
 */
import type { Pod } from '../shared/api/kinds/pod.ts';
import type { KnownPodState, ProbeState } from './pod/pod-state.ts';

/** `docker://<id>` → `<id>` */
function runtimeId(containerID: string | undefined): string | undefined {
  const id = containerID?.split('://')[1];
  return id || undefined;
}

/** `known` with readiness/startup results seeded from the pod's reported statuses for the same running containers. */
export function seedProbesFromStatus(known: KnownPodState, pod: Pod): KnownPodState {
  const statuses = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])];
  const running = new Set(known.containers.filter((c) => c.state === 'running').map((c) => c.id));
  const probes = { ...known.probes };
  // lastRunAt 0: the probes still run at once; the seeded result only stands until they have enough outcomes.
  const carried = (): ProbeState => ({ lastRunAt: 0, successes: 0, failures: 0, result: 'success' });
  for (const s of statuses) {
    const id = runtimeId(s.containerID);
    if (!id || !running.has(id)) continue;
    const seeded = { ...(probes[id] ?? {}) };
    if (s.ready && !seeded.readiness) seeded.readiness = carried();
    if (s.started && !seeded.startup) seeded.startup = carried();
    probes[id] = seeded;
  }
  return { ...known, probes };
}
