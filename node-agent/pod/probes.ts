/**
 * Probe scheduling and thresholds as the kubelet's prober workers apply them: the first run `initialDelaySeconds`
 * after the container started, then every `periodSeconds`; a result flips only after `successThreshold` /
 * `failureThreshold` consecutive outcomes. Liveness and readiness wait for the startup probe to succeed.
 * Initial results: readiness failure (not ready), liveness success, startup unknown (not started).
 */
import type { Container, Probe } from '../../shared/api/kinds/pod-spec.ts';
import type { KnownContainer, KnownPodState, ProbeKind, ProbeState } from './pod-state.ts';

export interface ProbeSettings {
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
  successThreshold: number;
  failureThreshold: number;
}

/** The probe's timing with Kubernetes' defaults (period 10 s, timeout 1 s, thresholds 1 and 3). */
export function probeSettings(probe: Probe): ProbeSettings {
  return {
    initialDelayMs: (probe.initialDelaySeconds ?? 0) * 1000,
    periodMs: Math.max(1, probe.periodSeconds || 10) * 1000,
    timeoutMs: Math.max(1, probe.timeoutSeconds || 1) * 1000,
    successThreshold: Math.max(1, probe.successThreshold || 1),
    failureThreshold: Math.max(1, probe.failureThreshold || 3),
  };
}

export function probeOf(container: Container, kind: ProbeKind): Probe | undefined {
  if (kind === 'startup') return container.startupProbe;
  if (kind === 'liveness') return container.livenessProbe;
  return container.readinessProbe;
}

function initialResult(kind: ProbeKind): ProbeState['result'] {
  if (kind === 'readiness') return 'failure';
  if (kind === 'liveness') return 'success';
  return 'unknown';
}

/** The state after one probe outcome. */
export function recordProbeResult(previous: ProbeState | undefined, kind: ProbeKind, probe: Probe, ok: boolean, now: number): ProbeState {
  const s = probeSettings(probe);
  const successes = ok ? (previous?.successes ?? 0) + 1 : 0;
  const failures = ok ? 0 : (previous?.failures ?? 0) + 1;
  let result = previous?.result ?? initialResult(kind);
  if (ok && successes >= s.successThreshold) result = 'success';
  if (!ok && failures >= s.failureThreshold) result = 'failure';
  return { lastRunAt: now, successes, failures, result };
}

export function probeResult(known: KnownPodState, containerId: string, kind: ProbeKind): ProbeState['result'] {
  return known.probes[containerId]?.[kind]?.result ?? initialResult(kind);
}

/** `started` of the container status: running and, with a startup probe, that probe has succeeded. */
export function isStarted(known: KnownPodState, spec: Container, instance: KnownContainer): boolean {
  if (instance.state !== 'running') return false;
  if (!spec.startupProbe) return true;
  return probeResult(known, instance.id, 'startup') === 'success';
}

/** `ready` of the container status: started and, with a readiness probe, that probe's result is success. */
export function isReady(known: KnownPodState, spec: Container, instance: KnownContainer): boolean {
  if (!isStarted(known, spec, instance)) return false;
  if (!spec.readinessProbe) return true;
  return probeResult(known, instance.id, 'readiness') === 'success';
}

/** The probes that apply to a running instance now, with when each is next due. */
export function dueProbes(known: KnownPodState, spec: Container, instance: KnownContainer): Array<{ kind: ProbeKind; probe: Probe; dueAt: number }> {
  if (instance.state !== 'running' || instance.startedAt === undefined) return [];
  const started = isStarted(known, spec, instance);
  const kinds: ProbeKind[] = started ? ['liveness', 'readiness'] : ['startup'];
  const due: Array<{ kind: ProbeKind; probe: Probe; dueAt: number }> = [];
  for (const kind of kinds) {
    const probe = probeOf(spec, kind);
    if (!probe) continue;
    const s = probeSettings(probe);
    const state = known.probes[instance.id]?.[kind];
    const dueAt = state ? state.lastRunAt + s.periodMs : instance.startedAt + s.initialDelayMs;
    due.push({ kind, probe, dueAt });
  }
  return due;
}
