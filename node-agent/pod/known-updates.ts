/**
 * How the worker records an action's outcome in the known state: small pure updates, so the loop
 * `planPodStep → runtime → record → planPodStep` is the same in production and in the lifecycle tests.
 */
import type { Probe } from '../../shared/api/kinds/pod-spec.ts';
import type { EnsureImageResult } from '../runtime/container-runtime.ts';
import { recordImageResult } from './image-policy.ts';
import type { ImageState, KnownContainer, KnownPodState, KnownSandbox, ProbeKind, StartError } from './pod-state.ts';
import { recordProbeResult } from './probes.ts';

/** Adds or replaces (by id) a sandbox as the runtime now reports it. */
export function withSandbox(known: KnownPodState, sandbox: KnownSandbox): KnownPodState {
  return { ...known, sandboxes: [...known.sandboxes.filter((s) => s.id !== sandbox.id), sandbox] };
}

/** Adds or replaces (by id) a container instance as the runtime now reports it; a started one clears its error. */
export function withContainer(known: KnownPodState, container: KnownContainer): KnownPodState {
  const next = { ...known, containers: [...known.containers.filter((c) => c.id !== container.id), container] };
  if (container.state === 'running' && next.startErrors[container.name]) {
    const { [container.name]: _cleared, ...rest } = next.startErrors;
    next.startErrors = rest;
  }
  return next;
}

/** Forgets removed containers or sandboxes, and the probe state of removed containers. */
export function withoutContainers(known: KnownPodState, ids: string[]): KnownPodState {
  const gone = new Set(ids);
  const probes = Object.fromEntries(Object.entries(known.probes).filter(([id]) => !gone.has(id)));
  return {
    ...known,
    sandboxes: known.sandboxes.filter((s) => !gone.has(s.id)),
    containers: known.containers.filter((c) => !gone.has(c.id)),
    probes,
  };
}

export function withImageResult(known: KnownPodState, container: string, image: string, result: EnsureImageResult, attempt: number, now: number): KnownPodState {
  const state: ImageState = recordImageResult(known.images[container], image, result, attempt, now);
  return { ...known, images: { ...known.images, [container]: state } };
}

export function withProbeResult(known: KnownPodState, containerId: string, kind: ProbeKind, probe: Probe, ok: boolean, now: number): KnownPodState {
  const current = known.probes[containerId] ?? {};
  const state = recordProbeResult(current[kind], kind, probe, ok, now);
  return { ...known, probes: { ...known.probes, [containerId]: { ...current, [kind]: state } } };
}

/** A create or start that failed before the container ran (CreateContainerConfigError, CreateContainerError). */
export function withStartError(known: KnownPodState, container: string, error: StartError): KnownPodState {
  return { ...known, startErrors: { ...known.startErrors, [container]: error } };
}
