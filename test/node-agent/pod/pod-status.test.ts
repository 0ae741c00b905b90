import { describe, expect, it } from 'vitest';
import { podStatusCells } from '../../../shared/api/kinds/pod.ts';
import type { Pod } from '../../../shared/api/kinds/pod.ts';
import { computePodStatus, podPhase, rfc3339 } from '../../../node-agent/pod/pod-status.ts';
import { PodDesired, type KnownPodState } from '../../../node-agent/pod/pod-state.ts';
import { instance, known, s, T0 } from '../support/known.ts';
import { pod } from '../support/objects.ts';

const node = { hostIP: '192.168.1.10' };
const app = (extra: Record<string, unknown> = {}) => ({ name: 'app', image: 'zp/busybox:1', ...extra });
const withInits = (restartPolicy = 'Always') =>
  pod({ restartPolicy, initContainers: [{ name: 'init1', image: 'zp/busybox:1' }, { name: 'init2', image: 'zp/busybox:1' }], containers: [app()] });
const init = (name: string, extra: Parameters<typeof instance>[0] = {}) => instance({ name, role: 'init', ...extra });

/** What `kubectl get pod` prints for the status, through the apiserver's own printer. */
function columns(p: Pod, k: KnownPodState, now = T0) {
  const status = computePodStatus(p, k, now, node);
  const cells = podStatusCells({ ...p, status }, new Date(now));
  return { phase: status.phase, ...cells };
}

describe('computePodStatus: kubectl columns and phase', () => {
  it.each<[string, Pod, KnownPodState, number, { phase: string; ready: string; status: string; restarts: string }]>([
    ['a pod without its sandbox yet', pod({ containers: [app()] }), known({ sandbox: false }), T0, { phase: 'Pending', ready: '0/1', status: 'ContainerCreating', restarts: '0' }],
    ['a running container', pod({ containers: [app()] }), known({ containers: [instance()] }), T0, { phase: 'Running', ready: '1/1', status: 'Running', restarts: '0' }],
    [
      'a running container whose readiness probe has not passed',
      pod({ containers: [app({ readinessProbe: { exec: { command: ['true'] } } })] }),
      known({ containers: [instance()] }),
      T0,
      { phase: 'Running', ready: '0/1', status: 'Running', restarts: '0' },
    ],
    [
      'a crashed container in its backoff',
      pod({ containers: [app()] }),
      known({
        containers: [
          instance({ attempt: 1, state: 'exited', exitCode: 1 }),
          instance({ attempt: 2, state: 'exited', exitCode: 1, startedAt: s(-10), finishedAt: s(-5), backoff: { durationMs: 20_000, lastUpdateMs: s(-11) } }),
        ],
      }),
      T0,
      { phase: 'Running', ready: '0/1', status: 'CrashLoopBackOff', restarts: '2 (5s ago)' },
    ],
    [
      'a first crash about to be restarted',
      pod({ containers: [app()] }),
      known({ containers: [instance({ state: 'exited', exitCode: 1, finishedAt: s(-1) })] }),
      T0,
      { phase: 'Running', ready: '0/1', status: 'Error', restarts: '0' },
    ],
    [
      'a failed pull just now',
      pod({ containers: [app({ image: 'nope:1' })] }),
      known({ images: { app: { status: 'pullFailed', message: 'pull access denied', backoff: { durationMs: 10_000, lastUpdateMs: s(-2) }, forAttempt: 0 } } }),
      T0,
      { phase: 'Pending', ready: '0/1', status: 'ErrImagePull', restarts: '0' },
    ],
    [
      'a failed pull in its backoff',
      pod({ containers: [app({ image: 'nope:1' })] }),
      known({ images: { app: { status: 'pullFailed', message: 'pull access denied', backoff: { durationMs: 20_000, lastUpdateMs: s(-12) }, forAttempt: 0 } } }),
      T0,
      { phase: 'Pending', ready: '0/1', status: 'ImagePullBackOff', restarts: '0' },
    ],
    [
      'a Never image that is absent',
      pod({ containers: [app({ imagePullPolicy: 'Never' })] }),
      known({ images: { app: { status: 'neverPullAbsent', message: 'm', at: s(-1), forAttempt: 0 } } }),
      T0,
      { phase: 'Pending', ready: '0/1', status: 'ErrImageNeverPull', restarts: '0' },
    ],
    [
      'exit 0 with restartPolicy Never',
      pod({ restartPolicy: 'Never', containers: [app()] }),
      known({ containers: [instance({ state: 'exited', exitCode: 0 })] }),
      T0,
      { phase: 'Succeeded', ready: '0/1', status: 'Completed', restarts: '0' },
    ],
    [
      'exit 7 with restartPolicy Never',
      pod({ restartPolicy: 'Never', containers: [app()] }),
      known({ containers: [instance({ state: 'exited', exitCode: 7 })] }),
      T0,
      { phase: 'Failed', ready: '0/1', status: 'Error', restarts: '0' },
    ],
    [
      'exit 0 with restartPolicy OnFailure',
      pod({ restartPolicy: 'OnFailure', containers: [app()] }),
      known({ containers: [instance({ state: 'exited', exitCode: 0 })] }),
      T0,
      { phase: 'Succeeded', ready: '0/1', status: 'Completed', restarts: '0' },
    ],
    [
      'exit 1 with restartPolicy OnFailure (restarting)',
      pod({ restartPolicy: 'OnFailure', containers: [app()] }),
      known({ containers: [instance({ state: 'exited', exitCode: 1 })] }),
      T0,
      { phase: 'Running', ready: '0/1', status: 'Error', restarts: '0' },
    ],
    [
      'an OOM-killed container',
      pod({ restartPolicy: 'Never', containers: [app()] }),
      known({ containers: [instance({ state: 'exited', exitCode: 137, oomKilled: true })] }),
      T0,
      { phase: 'Failed', ready: '0/1', status: 'OOMKilled', restarts: '0' },
    ],
    [
      'one of two containers exited 0 under Always',
      pod({ containers: [app(), { name: 'side', image: 'zp/busybox:1' }] }),
      known({ containers: [instance(), instance({ name: 'side', state: 'exited', exitCode: 0 })] }),
      T0,
      // kubectl turns Completed beside a running container into NotReady when the pod is not Ready.
      { phase: 'Running', ready: '1/2', status: 'NotReady', restarts: '0' },
    ],
    ['the first init container running', withInits(), known({ containers: [init('init1')] }), T0, { phase: 'Pending', ready: '0/1', status: 'Init:0/2', restarts: '0' }],
    [
      'the second init container running',
      withInits(),
      known({ containers: [init('init1', { state: 'exited' }), init('init2')] }),
      T0,
      { phase: 'Pending', ready: '0/1', status: 'Init:1/2', restarts: '0' },
    ],
    [
      'init containers done, app starting',
      withInits(),
      known({ containers: [init('init1', { state: 'exited' }), init('init2', { state: 'exited' })] }),
      T0,
      { phase: 'Pending', ready: '0/1', status: 'PodInitializing', restarts: '0' },
    ],
    [
      'a failed init container of a Never pod',
      withInits('Never'),
      known({ containers: [init('init1', { state: 'exited', exitCode: 3 })] }),
      T0,
      { phase: 'Failed', ready: '0/1', status: 'Init:Error', restarts: '0' },
    ],
    [
      'a crash-looping init container',
      withInits('Always'),
      known({ containers: [init('init1', { attempt: 1, state: 'exited', exitCode: 3, finishedAt: s(-2), backoff: { durationMs: 10_000, lastUpdateMs: s(-20) } })] }),
      T0,
      { phase: 'Pending', ready: '0/1', status: 'Init:CrashLoopBackOff', restarts: '1 (2s ago)' },
    ],
    [
      'a deleted Always pod whose containers are being killed',
      pod({ containers: [app()] }, { metadata: { deletionTimestamp: '2026-11-23T10:00:30Z' } }),
      known({ desired: PodDesired.Removed, containers: [instance()] }),
      T0,
      { phase: 'Running', ready: '1/1', status: 'Terminating', restarts: '0' },
    ],
    [
      // The kubelet gives a deleted pod a terminal phase before the object goes (so kubectl shows Error, not Terminating).
      'a deleted Always pod whose containers were killed',
      pod({ containers: [app()] }, { metadata: { deletionTimestamp: '2026-11-23T10:00:30Z' } }),
      known({ desired: PodDesired.Removed, containers: [instance({ state: 'exited', exitCode: 137 })] }),
      T0,
      { phase: 'Failed', ready: '0/1', status: 'Error', restarts: '0' },
    ],
    [
      'a start failure (executable not found)',
      pod({ restartPolicy: 'Never', containers: [app()] }),
      known({ containers: [instance({ state: 'created', error: 'exec: "nope": executable file not found in $PATH' })] }),
      T0,
      { phase: 'Failed', ready: '0/1', status: 'StartError', restarts: '0' },
    ],
  ])('%s', (_name, p, k, now, expected) => {
    expect(columns(p, k, now)).toEqual(expected);
  });
});

describe('computePodStatus: container statuses', () => {
  it('reports a restarted container with its last termination, ids and started/ready', () => {
    const p = pod({ containers: [app()] });
    const status = computePodStatus(p, known({ containers: [instance({ attempt: 0, state: 'exited', exitCode: 1, startedAt: s(-50), finishedAt: s(-40) }), instance({ attempt: 1, startedAt: s(-30) })] }), T0, node);
    expect(status.containerStatuses).toEqual([
      {
        name: 'app',
        state: { running: { startedAt: '2026-11-23T09:59:30Z' } },
        lastState: {
          terminated: { exitCode: 1, reason: 'Error', startedAt: '2026-11-23T09:59:10Z', finishedAt: '2026-11-23T09:59:20Z', containerID: 'docker://app-0' },
        },
        ready: true,
        restartCount: 1,
        image: 'zp/busybox:1',
        imageID: 'docker://sha256:1111',
        containerID: 'docker://app-1',
        started: true,
      },
    ]);
  });

  it('puts CrashLoopBackOff in waiting with the kubelet message and the crash in lastState', () => {
    const p = pod({ containers: [app()] });
    const crashed = instance({ attempt: 3, state: 'exited', exitCode: 2, finishedAt: s(-1), backoff: { durationMs: 40_000, lastUpdateMs: s(-5) } });
    const [status] = computePodStatus(p, known({ containers: [crashed] }), T0, node).containerStatuses!;
    expect(status!.state).toEqual({
      waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container=app pod=web-1_default(aaaaaaaa-1111-2222-3333-444444444444)' },
    });
    expect(status!.lastState?.terminated).toMatchObject({ exitCode: 2, reason: 'Error' });
    expect(status!.restartCount).toBe(3);
  });

  it('reports not started and not ready until the startup probe succeeds', () => {
    const probe = { exec: { command: ['true'] } };
    const p = pod({ containers: [app({ startupProbe: probe })] });
    const k = known({ containers: [instance()] });
    expect(computePodStatus(p, k, T0, node).containerStatuses![0]).toMatchObject({ started: false, ready: false });
    k.probes['app-0'] = { startup: { lastRunAt: T0, successes: 1, failures: 0, result: 'success' } };
    expect(computePodStatus(p, k, T0, node).containerStatuses![0]).toMatchObject({ started: true, ready: true });
  });

  it('sets pod IP, host IP, start time and observedGeneration', () => {
    const status = computePodStatus(pod({ containers: [app()] }), known({ containers: [instance()] }), T0, node);
    expect(status).toMatchObject({
      podIP: '10.244.1.5',
      podIPs: [{ ip: '10.244.1.5' }],
      hostIP: '192.168.1.10',
      hostIPs: [{ ip: '192.168.1.10' }],
      startTime: rfc3339(T0),
      observedGeneration: 1,
    });
  });
});

describe('computePodStatus: conditions', () => {
  const types = (conditions: Array<{ type: string; status: string; reason?: string; message?: string }>) =>
    conditions.map(({ type, status, reason, message }) => ({ type, status, ...(reason ? { reason } : {}), ...(message ? { message } : {}) }));

  it('reports every condition True for a ready pod, in the kubelet order', () => {
    const status = computePodStatus(pod({ containers: [app()] }), known({ containers: [instance()] }), T0, node);
    expect(types(status.conditions!)).toEqual([
      { type: 'PodReadyToStartContainers', status: 'True' },
      { type: 'Initialized', status: 'True' },
      { type: 'Ready', status: 'True' },
      { type: 'ContainersReady', status: 'True' },
      { type: 'PodScheduled', status: 'True' },
    ]);
  });

  it('names incomplete init containers and unready containers', () => {
    const status = computePodStatus(withInits(), known({ containers: [init('init1')] }), T0, node);
    expect(types(status.conditions!)).toEqual([
      { type: 'PodReadyToStartContainers', status: 'True' },
      { type: 'Initialized', status: 'False', reason: 'ContainersNotInitialized', message: 'containers with incomplete status: [init1 init2]' },
      { type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [app]' },
      { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [app]' },
      { type: 'PodScheduled', status: 'True' },
    ]);
  });

  it('says PodCompleted once the pod succeeded', () => {
    const status = computePodStatus(pod({ restartPolicy: 'Never', containers: [app()] }), known({ containers: [instance({ state: 'exited' })] }), T0, node);
    expect(types(status.conditions!).slice(2, 4)).toEqual([
      { type: 'Ready', status: 'False', reason: 'PodCompleted' },
      { type: 'ContainersReady', status: 'False', reason: 'PodCompleted' },
    ]);
  });

  it('holds Ready back for a readiness gate that is not True', () => {
    const p = pod({ readinessGates: [{ conditionType: 'example.com/lb' }], containers: [app()] });
    const status = computePodStatus(p, known({ containers: [instance()] }), T0, node);
    expect(types(status.conditions!)[2]).toEqual({
      type: 'Ready',
      status: 'False',
      reason: 'ReadinessGatesNotReady',
      message: 'corresponding condition of pod readiness gate "example.com/lb" does not exist.',
    });
  });

  it('keeps lastTransitionTime while a condition keeps its status, and keeps the scheduler condition', () => {
    const earlier = '2026-11-23T09:00:00Z';
    const p = pod(
      { containers: [app()] },
      {
        status: {
          phase: 'Running',
          conditions: [
            { type: 'Ready', status: 'True', lastTransitionTime: earlier },
            { type: 'Initialized', status: 'False', lastTransitionTime: earlier },
            { type: 'PodScheduled', status: 'True', lastTransitionTime: '2026-11-23T08:00:00Z' },
          ],
        },
      },
    );
    const conditions = computePodStatus(p, known({ containers: [instance()] }), T0, node).conditions!;
    expect(conditions.find((c) => c.type === 'Ready')!.lastTransitionTime).toBe(earlier);
    expect(conditions.find((c) => c.type === 'Initialized')!.lastTransitionTime).toBe(rfc3339(T0));
    expect(conditions.find((c) => c.type === 'PodScheduled')!.lastTransitionTime).toBe('2026-11-23T08:00:00Z');
  });
});

describe('computePodStatus: terminal phases', () => {
  it('never leaves a terminal phase already reported', () => {
    const p = pod({ containers: [app()] }, { status: { phase: 'Failed', reason: 'DeadlineExceeded', message: 'm' } });
    expect(computePodStatus(p, known({ containers: [instance()] }), T0, node)).toMatchObject({ phase: 'Failed', reason: 'DeadlineExceeded' });
  });

  it('fails a pod active longer than activeDeadlineSeconds', () => {
    const p = pod({ activeDeadlineSeconds: 60, containers: [app()] }, { status: { phase: 'Running', startTime: rfc3339(s(-61)) } });
    expect(computePodStatus(p, known({ containers: [instance()] }), T0, node)).toMatchObject({
      phase: 'Failed',
      reason: 'DeadlineExceeded',
      message: 'Pod was active on the node longer than the specified deadline',
    });
  });
});

describe('podPhase', () => {
  const running = { name: 'app', ready: true, restartCount: 0, image: 'i', imageID: '', state: { running: {} } };
  const done = (exitCode: number) => ({ name: 'app', ready: false, restartCount: 0, image: 'i', imageID: '', state: { terminated: { exitCode } } });
  const waiting = { name: 'app', ready: false, restartCount: 0, image: 'i', imageID: '', state: { waiting: { reason: 'ContainerCreating' } } };

  it.each([
    ['Always', [running], false, 'Running'],
    ['Always', [waiting], false, 'Pending'],
    ['Always', [done(0)], false, 'Running'],
    ['Always', [done(0)], true, 'Succeeded'],
    ['Always', [done(1)], true, 'Failed'],
    ['OnFailure', [done(1)], false, 'Running'],
    ['OnFailure', [done(0)], false, 'Succeeded'],
    ['Never', [done(1)], false, 'Failed'],
    ['Never', [done(0)], false, 'Succeeded'],
    ['Never', [], false, 'Pending'],
  ])('restartPolicy %s with %j (terminal: %s) is %s', (restartPolicy, statuses, terminal, phase) => {
    expect(podPhase(pod({ restartPolicy, containers: [app()] }), [], statuses, terminal)).toBe(phase);
  });
});
