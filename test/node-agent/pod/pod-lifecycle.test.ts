/**
 * The planner, the status and the known-state updates driven together through whole pod lifecycles against a
 * scripted runtime: what a worker does, minus Docker. Time only moves when the plan says wait.
 */
import { describe, expect, it } from 'vitest';
import { podStatusCells, type Pod } from '../../../shared/api/kinds/pod.ts';
import { withContainer, withImageResult, withoutContainers, withProbeResult, withSandbox } from '../../../node-agent/pod/known-updates.ts';
import { desiredFor, planPodStep, type PodAction } from '../../../node-agent/pod/plan-pod-step.ts';
import { computePodStatus } from '../../../node-agent/pod/pod-status.ts';
import { advanceDesired, emptyKnownState, type KnownPodState } from '../../../node-agent/pod/pod-state.ts';
import type { EnsureImageResult } from '../../../node-agent/runtime/container-runtime.ts';
import { T0 } from '../support/known.ts';
import { pod } from '../support/objects.ts';

interface Script {
  /** How long each attempt of a container runs before it exits, and with which code (undefined: runs on). */
  run: (container: string, attempt: number) => { seconds: number; exitCode: number } | undefined;
  image?: (ref: string) => EnsureImageResult;
  probe?: (container: string, kind: string, now: number) => boolean;
}

interface Trace {
  at: number;
  action: PodAction;
  status: { phase: string | undefined; ready: string; status: string; restarts: string };
}

/** Runs the worker loop until `untilSeconds`, returning every step taken. */
function simulate(p: Pod, script: Script, untilSeconds: number, initial = emptyKnownState()): { trace: Trace[]; known: KnownPodState; pod: Pod } {
  let known = initial;
  let now = T0;
  let nextId = 1;
  const exits = new Map<string, { at: number; exitCode: number }>();
  const trace: Trace[] = [];
  for (let step = 0; step < 500 && now <= T0 + untilSeconds * 1000; step++) {
    // The runtime's events: containers whose scripted run ended by now have exited.
    for (const c of known.containers) {
      const exit = exits.get(c.id);
      if (c.state === 'running' && exit && exit.at <= now) known = withContainer(known, { ...c, state: 'exited', exitCode: exit.exitCode, finishedAt: exit.at });
    }
    const status = computePodStatus(p, known, now, { hostIP: '192.168.1.10' });
    p = { ...p, status };
    known = { ...known, desired: advanceDesired(known.desired, desiredFor(p, status)) };
    const action = planPodStep(p, known, now);
    trace.push({ at: (now - T0) / 1000, action, status: { phase: status.phase, ...podStatusCells(p, new Date(now)) } });
    switch (action.type) {
      case 'createSandbox':
        known = withSandbox(known, { id: `sb${nextId++}`, ip: '10.244.1.2', state: 'running', createdAt: now });
        break;
      case 'ensureImage':
        known = withImageResult(known, action.container, action.image, script.image?.(action.image) ?? { kind: 'present', imageID: 'sha256:1', pulled: false }, action.attempt, now);
        break;
      case 'startContainer': {
        const id = `c${nextId++}`;
        const spec = [...(p.spec.initContainers ?? []), ...p.spec.containers].find((c) => c.name === action.container)!;
        const c = { id, name: action.container, role: action.role, attempt: action.attempt, image: spec.image!, imageID: 'sha256:1', state: 'running' as const, createdAt: now, startedAt: now };
        known = withContainer(known, action.backoff ? { ...c, backoff: action.backoff } : c);
        const run = script.run(action.container, action.attempt);
        if (run) exits.set(id, { at: now + run.seconds * 1000, exitCode: run.exitCode });
        break;
      }
      case 'killContainers':
        for (const id of action.ids) {
          const c = known.containers.find((x) => x.id === id)!;
          known = withContainer(known, { ...c, state: 'exited', exitCode: 137, finishedAt: now });
        }
        break;
      case 'probe':
        known = withProbeResult(known, action.containerId, action.probe, action.spec, script.probe?.(action.container, action.probe, now) ?? true, now);
        break;
      case 'stopSandbox':
        known = withSandbox(known, { ...known.sandboxes.find((s) => s.id === action.sandboxId)!, state: 'exited' });
        break;
      case 'removeContainers':
        known = withoutContainers(known, action.ids);
        break;
      case 'finalizeStatus':
        known = { ...known, statusFinalized: true };
        break;
      case 'wait': {
        const nextExit = Math.min(...[...exits.values()].map((e) => e.at).filter((at) => at > now));
        const until = Math.min(action.until ?? Infinity, nextExit);
        if (!Number.isFinite(until)) return { trace, known, pod: p };
        now = until;
        break;
      }
      case 'done':
        return { trace, known, pod: p };
      default:
        break;
    }
  }
  return { trace, known, pod: p };
}

const starts = (trace: Trace[]) => trace.filter((t) => t.action.type === 'startContainer').map((t) => t.at);

describe('pod lifecycle', () => {
  it('brings a pod to Running: sandbox, image, container, in that order', () => {
    const { trace } = simulate(pod({ containers: [{ name: 'app', image: 'zp/busybox:1' }] }), { run: () => undefined }, 60);
    expect(trace.map((t) => t.action.type)).toEqual(['createSandbox', 'ensureImage', 'startContainer', 'wait']);
    expect(trace.at(-1)!.status).toEqual({ phase: 'Running', ready: '1/1', status: 'Running', restarts: '0' });
  });

  it('restarts a crashing container after 0, 10, 20, 40, 80, 160 s of backoff and shows CrashLoopBackOff between', () => {
    const { trace } = simulate(pod({ containers: [{ name: 'app', image: 'zp/busybox:1' }] }), { run: () => ({ seconds: 1, exitCode: 1 }) }, 700);
    const at = starts(trace);
    const gaps = at.slice(1).map((t, i) => t - at[i]! - 1);
    expect(gaps.slice(0, 7)).toEqual([0, 10, 20, 40, 80, 160, 300]);
    const backoffs = trace.filter((t) => t.action.type === 'wait' && t.action.reason === 'CrashLoopBackOff of app');
    expect(backoffs.length).toBeGreaterThanOrEqual(6);
    for (const b of backoffs) expect(b.status).toMatchObject({ phase: 'Running', ready: '0/1', status: 'CrashLoopBackOff' });
    expect(backoffs[0]!.status.restarts).toBe('1 (0s ago)');
  });

  it('runs init containers one after the other, then the app', () => {
    const p = pod({ initContainers: [{ name: 'a', image: 'zp/busybox:1' }, { name: 'b', image: 'zp/busybox:1' }], containers: [{ name: 'app', image: 'zp/busybox:1' }] });
    const { trace } = simulate(p, { run: (name) => (name === 'app' ? undefined : { seconds: 2, exitCode: 0 }) }, 60);
    const started = trace.filter((t) => t.action.type === 'startContainer').map((t) => [t.at, (t.action as { container: string }).container]);
    expect(started).toEqual([[0, 'a'], [2, 'b'], [4, 'app']]);
    expect(trace.find((t) => t.at === 2 && t.action.type === 'wait')?.status.status).toBe('Init:1/2');
    expect(trace.at(-1)!.status).toMatchObject({ phase: 'Running', status: 'Running' });
  });

  it('ends a Never pod Succeeded on exit 0 and Failed with exit code 7, then stops its sandbox', () => {
    const ok = simulate(pod({ restartPolicy: 'Never', containers: [{ name: 'app', image: 'zp/busybox:1' }] }), { run: () => ({ seconds: 1, exitCode: 0 }) }, 60);
    expect(ok.pod.status!.phase).toBe('Succeeded');
    expect(ok.trace.map((t) => t.action.type)).toContain('stopSandbox');
    const bad = simulate(pod({ restartPolicy: 'Never', containers: [{ name: 'app', image: 'zp/busybox:1' }] }), { run: () => ({ seconds: 1, exitCode: 7 }) }, 60);
    expect(bad.pod.status!.phase).toBe('Failed');
    expect(bad.pod.status!.containerStatuses![0]!.state!.terminated).toMatchObject({ exitCode: 7, reason: 'Error' });
  });

  it('shows ErrImagePull, then ImagePullBackOff, retrying with growing backoff', () => {
    const { trace } = simulate(pod({ containers: [{ name: 'app', image: 'nope:1' }] }), { run: () => undefined, image: () => ({ kind: 'pullFailed', message: 'not found' }) }, 100);
    const pulls = trace.filter((t) => t.action.type === 'ensureImage').map((t) => t.at);
    expect(pulls.slice(0, 4)).toEqual([0, 10, 30, 70]);
    const shown = [...new Set(trace.filter((t) => t.action.type === 'wait').map((t) => t.status.status))];
    expect(shown).toEqual(['ErrImagePull', 'ImagePullBackOff']);
  });

  it('reports ErrImageNeverPull for a missing Never image and starts nothing', () => {
    const { trace } = simulate(pod({ containers: [{ name: 'app', image: 'zp/busybox:1', imagePullPolicy: 'Never' }] }), { run: () => undefined, image: () => ({ kind: 'absent' }) }, 30);
    expect(starts(trace)).toEqual([]);
    expect(trace.at(-1)!.status).toMatchObject({ phase: 'Pending', status: 'ErrImageNeverPull' });
  });

  it('restarts a container whose liveness probe fails three times', () => {
    const probe = { exec: { command: ['check'] }, periodSeconds: 5, failureThreshold: 3 };
    const p = pod({ containers: [{ name: 'app', image: 'zp/busybox:1', livenessProbe: probe }] });
    const { trace } = simulate(p, { run: () => undefined, probe: (_c, _k, now) => now - T0 < 12_000 }, 40);
    const kill = trace.find((t) => t.action.type === 'killContainers');
    expect(kill?.action).toMatchObject({ reason: 'LivenessProbeFailed' });
    expect(kill!.at).toBe(25);
    expect(starts(trace)).toEqual([0, 25]);
  });

  it('terminates a deleted pod: kill, stop sandbox, final status, remove, done', () => {
    const p = pod({ containers: [{ name: 'app', image: 'zp/busybox:1' }] }, { metadata: { deletionTimestamp: '2026-11-23T10:00:30Z', deletionGracePeriodSeconds: 30 } });
    let known = emptyKnownState();
    known = withSandbox(known, { id: 'sb', ip: '10.244.1.2', state: 'running', createdAt: T0 });
    known = withContainer(known, { id: 'c1', name: 'app', role: 'app', attempt: 0, image: 'zp/busybox:1', imageID: 'sha256:1', state: 'running', createdAt: T0, startedAt: T0 });
    const { trace, known: after } = simulate(p, { run: () => undefined }, 60, known);
    expect(trace.map((t) => t.action.type)).toEqual(['killContainers', 'stopSandbox', 'finalizeStatus', 'removeContainers', 'done']);
    expect(trace[0]!.action).toMatchObject({ graceSeconds: 30, reason: 'PodTerminating' });
    // The status written at finalizeStatus is terminal: the kubelet never deletes a pod still showing Running.
    expect(trace[2]!.status).toMatchObject({ phase: 'Failed', status: 'Error' });
    expect(after.containers).toEqual([]);
    expect(after.sandboxes).toEqual([]);
  });
});
