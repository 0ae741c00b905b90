import { describe, expect, it } from 'vitest';
import { CONTAINER_BACKOFF, nextBackoff } from '../../../node-agent/pod/backoff.ts';
import { desiredFor, planPodStep, type PodAction } from '../../../node-agent/pod/plan-pod-step.ts';
import { advanceDesired, PodDesired, type KnownPodState } from '../../../node-agent/pod/pod-state.ts';
import { instance, known, s, T0 } from '../support/known.ts';
import { pod } from '../support/objects.ts';

const app = (extra: Record<string, unknown> = {}) => ({ name: 'app', image: 'zp/busybox:1', ...extra });
const simple = pod({ containers: [app()] });
const present = (name: string, forAttempt = 0) => ({ [name]: { status: 'present' as const, imageID: 'sha256:1111', forAttempt } });

describe('planPodStep: sandbox and images', () => {
  it.each<[string, KnownPodState, PodAction]>([
    ['creates the sandbox first', known({ sandbox: false }), { type: 'createSandbox' }],
    [
      'ensures the image of the first attempt once the sandbox runs',
      known(),
      { type: 'ensureImage', container: 'app', role: 'app', image: 'zp/busybox:1', mode: 'ifNotPresent', attempt: 0 },
    ],
    ['starts the container once its image is present', known({ images: present('app') }), { type: 'startContainer', container: 'app', role: 'app', attempt: 0 }],
    [
      'checks the image again for a new attempt (Always pulls before every start)',
      known({ images: present('app', 0), containers: [instance({ state: 'exited', exitCode: 1 })] }),
      { type: 'ensureImage', container: 'app', role: 'app', image: 'zp/busybox:1', mode: 'ifNotPresent', attempt: 1 },
    ],
    [
      'starts a container that was created but never started (agent died in between)',
      known({ containers: [instance({ state: 'created' })] }),
      { type: 'startCreated', container: 'app', id: 'app-0' },
    ],
    [
      'kills everything and replaces a sandbox that died',
      known({ sandbox: 'exited', containers: [instance()] }),
      { type: 'killContainers', ids: ['app-0'], graceSeconds: 30, reason: 'SandboxChanged', message: 'Pod sandbox changed, it will be killed and re-created.' },
    ],
    ['removes a dead sandbox once its containers are stopped', known({ sandbox: 'exited' }), { type: 'removeContainers', ids: ['sandbox-1'], reason: 'StaleSandbox' }],
  ])('%s', (_name, state, action) => {
    expect(planPodStep(simple, state, T0)).toEqual(action);
  });

  it.each([
    ['zp/busybox:1', undefined, 'ifNotPresent'],
    ['busybox', undefined, 'always'],
    ['busybox:latest', undefined, 'always'],
    ['registry:5000/team/app', undefined, 'always'],
    ['busybox@sha256:abcd', undefined, 'ifNotPresent'],
    ['busybox:latest', 'IfNotPresent', 'ifNotPresent'],
    ['zp/busybox:1', 'Always', 'always'],
    ['zp/busybox:1', 'Never', 'never'],
  ])('pulls %s with policy %s as %s (seed 003 defaulting)', (image, policy, mode) => {
    const p = pod({ containers: [app({ image, ...(policy ? { imagePullPolicy: policy } : {}) })] });
    expect(planPodStep(p, known(), T0)).toMatchObject({ type: 'ensureImage', mode });
  });

  it('waits out the image pull backoff, then pulls again', () => {
    const failed = known({ images: { app: { status: 'pullFailed', message: 'not found', backoff: { durationMs: 20_000, lastUpdateMs: s(0) }, forAttempt: 0 } } });
    expect(planPodStep(simple, failed, s(5))).toEqual({ type: 'wait', until: s(10), reason: 'ErrImagePull of app' });
    expect(planPodStep(simple, failed, s(12))).toEqual({ type: 'wait', until: s(20), reason: 'ImagePullBackOff of app' });
    expect(planPodStep(simple, failed, s(20))).toMatchObject({ type: 'ensureImage', attempt: 0 });
  });

  it('checks a Never image again only after the resync period', () => {
    const absent = known({ images: { app: { status: 'neverPullAbsent', message: 'x', at: s(0), forAttempt: 0 } } });
    expect(planPodStep(simple, absent, s(3))).toEqual({ type: 'wait', until: s(10), reason: 'ErrImageNeverPull of app' });
    expect(planPodStep(simple, absent, s(10))).toMatchObject({ type: 'ensureImage', mode: 'ifNotPresent' });
  });

  it('retries a failed create only after the resync period', () => {
    const k = known({ images: present('app'), startErrors: { app: { reason: 'CreateContainerConfigError', message: 'configmap "x" not found', at: s(0), forAttempt: 0 } } });
    expect(planPodStep(simple, k, s(1))).toEqual({ type: 'wait', until: s(10), reason: 'CreateContainerConfigError of app' });
    expect(planPodStep(simple, k, s(10))).toMatchObject({ type: 'startContainer', attempt: 0 });
  });
});

describe('planPodStep: init containers', () => {
  const withInits = (restartPolicy = 'Always') =>
    pod({ restartPolicy, initContainers: [{ name: 'init1', image: 'zp/busybox:1' }, { name: 'init2', image: 'zp/busybox:1' }], containers: [app()] });
  const init = (name: string, extra: Parameters<typeof instance>[0] = {}) => instance({ name, role: 'init', ...extra });

  it.each<[string, string, KnownPodState, Partial<PodAction>]>([
    ['runs the first init container first', 'Always', known(), { type: 'ensureImage', container: 'init1', role: 'init' }],
    ['waits while an init container runs', 'Always', known({ containers: [init('init1')] }), { type: 'wait' }],
    ['runs the next init container after one succeeds', 'Always', known({ containers: [init('init1', { state: 'exited', exitCode: 0 })] }), { type: 'ensureImage', container: 'init2' }],
    [
      'starts app containers once every init container succeeded',
      'Always',
      known({ containers: [init('init1', { state: 'exited' }), init('init2', { state: 'exited' })] }),
      { type: 'ensureImage', container: 'app', role: 'app' },
    ],
    ['restarts a failed init container when the pod restarts', 'OnFailure', known({ containers: [init('init1', { state: 'exited', exitCode: 2 })] }), { type: 'ensureImage', container: 'init1', attempt: 1 }],
    ['never restarts a failed init container of a Never pod (it fails)', 'Never', known({ containers: [init('init1', { state: 'exited', exitCode: 2 })] }), { type: 'wait' }],
    [
      'does not rerun init containers once an app container has run',
      'Always',
      known({ containers: [instance({ state: 'exited', exitCode: 1 })] }),
      { type: 'ensureImage', container: 'app', attempt: 1 },
    ],
  ])('%s', (_name, policy, state, action) => {
    expect(planPodStep(withInits(policy), state, T0)).toMatchObject(action);
  });

  it('starts a sidecar and moves on once it has started', () => {
    const p = pod({ initContainers: [{ name: 'proxy', image: 'zp/busybox:1', restartPolicy: 'Always' }, { name: 'init2', image: 'zp/busybox:1' }], containers: [app()] });
    expect(planPodStep(p, known(), T0)).toMatchObject({ type: 'ensureImage', container: 'proxy' });
    expect(planPodStep(p, known({ containers: [instance({ name: 'proxy', role: 'init' })] }), T0)).toMatchObject({ type: 'ensureImage', container: 'init2' });
  });
});

describe('planPodStep: restarts and CrashLoopBackOff', () => {
  it.each([
    ['Always', 0, true],
    ['Always', 1, true],
    ['OnFailure', 0, false],
    ['OnFailure', 1, true],
    ['Never', 0, false],
    ['Never', 7, false],
  ])('with restartPolicy %s and exit code %d restarts: %s', (restartPolicy, exitCode, restarts) => {
    const p = pod({ restartPolicy, containers: [app()] });
    const step = planPodStep(p, known({ containers: [instance({ state: 'exited', exitCode })] }), T0);
    expect(step.type).toBe(restarts ? 'ensureImage' : 'wait');
  });

  it('restarts the first crash at once and records a 10 s backoff in the new attempt', () => {
    const crashed = instance({ state: 'exited', exitCode: 1, finishedAt: s(-1) });
    const k = known({ containers: [crashed], images: present('app', 1) });
    expect(planPodStep(simple, k, T0)).toEqual({ type: 'startContainer', container: 'app', role: 'app', attempt: 1, backoff: { durationMs: 10_000, lastUpdateMs: T0 } });
  });

  it('waits out the backoff the crashed attempt was started under', () => {
    const crashed = instance({ attempt: 1, state: 'exited', exitCode: 1, finishedAt: s(0), backoff: { durationMs: 10_000, lastUpdateMs: s(-5) } });
    const k = known({ containers: [instance({ state: 'exited', exitCode: 1 }), crashed], images: present('app', 2) });
    expect(planPodStep(simple, k, s(4))).toEqual({ type: 'wait', until: s(10), reason: 'CrashLoopBackOff of app' });
    expect(planPodStep(simple, k, s(10))).toEqual({ type: 'startContainer', container: 'app', role: 'app', attempt: 2, backoff: { durationMs: 20_000, lastUpdateMs: s(10) } });
  });

  it('doubles the backoff from 10 s up to 5 min', () => {
    const durations: number[] = [];
    let entry = nextBackoff(undefined, T0, T0);
    let t = T0;
    for (let i = 0; i < 8; i++) {
      durations.push(entry.durationMs / 1000);
      t += entry.durationMs + 1000;
      entry = nextBackoff(entry, t, t);
    }
    expect(durations).toEqual([10, 20, 40, 80, 160, 300, 300, 300]);
  });

  it('resets the backoff after a container ran for more than 10 minutes', () => {
    const longRun = instance({ attempt: 5, state: 'exited', exitCode: 1, startedAt: s(0), finishedAt: s(601), backoff: { durationMs: 300_000, lastUpdateMs: s(0) } });
    const k = known({ containers: [longRun], images: present('app', 6) });
    expect(planPodStep(simple, k, s(602))).toMatchObject({ type: 'startContainer', attempt: 6, backoff: { durationMs: CONTAINER_BACKOFF.initialMs } });
  });
});

describe('planPodStep: probes', () => {
  const probe = { exec: { command: ['true'] }, periodSeconds: 5, failureThreshold: 3, successThreshold: 1, timeoutSeconds: 1 };
  const running = (k: Partial<KnownPodState> = {}) => known({ containers: [instance({ startedAt: s(0), createdAt: s(0) })], ...k });

  it('runs a liveness probe after its initial delay, then every period', () => {
    const p = pod({ containers: [app({ livenessProbe: { ...probe, initialDelaySeconds: 3 } })] });
    expect(planPodStep(p, running(), s(2))).toEqual({ type: 'wait', until: s(3), reason: 'liveness probe of app' });
    expect(planPodStep(p, running(), s(3))).toMatchObject({ type: 'probe', container: 'app', containerId: 'app-0', probe: 'liveness' });
    const probed = running({ probes: { 'app-0': { liveness: { lastRunAt: s(3), successes: 1, failures: 0, result: 'success' } } } });
    expect(planPodStep(p, probed, s(4))).toEqual({ type: 'wait', until: s(8), reason: 'liveness probe of app' });
  });

  it('kills a container whose liveness probe reached the failure threshold', () => {
    const p = pod({ containers: [app({ livenessProbe: { ...probe, terminationGracePeriodSeconds: 5 } })] });
    const failing = running({ probes: { 'app-0': { liveness: { lastRunAt: s(10), successes: 0, failures: 3, result: 'failure' } } } });
    expect(planPodStep(p, failing, s(11))).toEqual({
      type: 'killContainers',
      ids: ['app-0'],
      graceSeconds: 5,
      reason: 'LivenessProbeFailed',
      message: 'Container app failed liveness probe, will be restarted',
    });
  });

  it('holds liveness and readiness back until the startup probe succeeded', () => {
    const p = pod({ containers: [app({ livenessProbe: probe, readinessProbe: probe, startupProbe: probe })] });
    expect(planPodStep(p, running(), s(1))).toMatchObject({ type: 'probe', probe: 'startup' });
    const started = running({ probes: { 'app-0': { startup: { lastRunAt: s(1), successes: 1, failures: 0, result: 'success' } } } });
    expect(planPodStep(p, started, s(1))).toMatchObject({ type: 'probe', probe: 'liveness' });
  });

  it('kills a container whose startup probe failed', () => {
    const p = pod({ containers: [app({ startupProbe: probe })] });
    const failing = running({ probes: { 'app-0': { startup: { lastRunAt: s(10), successes: 0, failures: 3, result: 'failure' } } } });
    expect(planPodStep(p, failing, s(11))).toMatchObject({ type: 'killContainers', reason: 'StartupProbeFailed', graceSeconds: 30 });
  });

  it('restarts a container whose image changed in the spec', () => {
    const p = pod({ containers: [app({ image: 'zp/busybox:2' })] });
    expect(planPodStep(p, running(), s(1))).toMatchObject({ type: 'killContainers', ids: ['app-0'], reason: 'SpecChanged' });
  });
});

describe('planPodStep: termination and garbage', () => {
  const deleted = pod({ containers: [app()] }, { metadata: { deletionTimestamp: '2026-11-23T10:00:30Z', deletionGracePeriodSeconds: 15 } });

  it.each<[string, KnownPodState, PodAction]>([
    [
      'stops running containers with the deletion grace period',
      known({ desired: PodDesired.Removed, containers: [instance()] }),
      { type: 'killContainers', ids: ['app-0'], graceSeconds: 15, reason: 'PodTerminating', message: 'Stopping container' },
    ],
    ['then stops the sandbox', known({ desired: PodDesired.Removed, containers: [instance({ state: 'exited', exitCode: 137 })] }), { type: 'stopSandbox', sandboxId: 'sandbox-1' }],
    ['then reports the terminal status', known({ desired: PodDesired.Removed, sandbox: 'exited', containers: [instance({ state: 'exited' })] }), { type: 'finalizeStatus' }],
    [
      'then removes containers and sandbox',
      known({ desired: PodDesired.Removed, sandbox: 'exited', statusFinalized: true, containers: [instance({ state: 'exited' })] }),
      { type: 'removeContainers', ids: ['app-0', 'sandbox-1'], reason: 'PodRemoved' },
    ],
    ['and is done when nothing is left', known({ desired: PodDesired.Removed, sandbox: false, statusFinalized: true }), { type: 'done' }],
  ])('a deleted pod: %s', (_name, state, action) => {
    expect(planPodStep(deleted, state, T0)).toEqual(action);
  });

  it('keeps a terminal pod stopped with its containers (for logs)', () => {
    const k = known({ desired: PodDesired.Stopped, sandbox: 'exited', containers: [instance({ state: 'exited' })] });
    expect(planPodStep(simple, k, T0)).toEqual({ type: 'wait', reason: 'pod is terminal' });
  });

  it('removes attempts older than the previous one, and containers not in the spec', () => {
    const k = known({
      containers: [
        instance({ attempt: 0, state: 'exited' }),
        instance({ attempt: 1, state: 'exited' }),
        instance({ attempt: 2 }),
        instance({ name: 'gone', attempt: 0, state: 'exited' }),
      ],
    });
    expect(planPodStep(simple, k, T0)).toEqual({ type: 'removeContainers', ids: ['gone-0', 'app-0'], reason: 'NotInSpec' });
  });

  it.each([
    [PodDesired.Running, PodDesired.Stopped, PodDesired.Stopped],
    [PodDesired.Stopped, PodDesired.Running, PodDesired.Stopped],
    [PodDesired.Removed, PodDesired.Running, PodDesired.Removed],
    [PodDesired.Stopped, PodDesired.Removed, PodDesired.Removed],
  ])('moves desired state only forward (%d then %d gives %d)', (current, next, result) => {
    expect(advanceDesired(current, next)).toBe(result);
  });

  it.each([
    ['a running pod', simple, { phase: 'Running' }, PodDesired.Running],
    ['a succeeded pod', simple, { phase: 'Succeeded' }, PodDesired.Stopped],
    ['a failed pod', simple, { phase: 'Failed' }, PodDesired.Stopped],
    ['a deleted pod', deleted, { phase: 'Running' }, PodDesired.Removed],
    ['a pod gone from the API', undefined, undefined, PodDesired.Removed],
  ])('desires %s to be %d', (_name, p, status, desired) => {
    expect(desiredFor(p, status)).toBe(desired);
  });
});
