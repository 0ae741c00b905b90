import { describe, expect, it } from 'vitest';
import { containerLabels, MANAGED_SELECTOR, orphanedPods, recoverKnownStates, sandboxLabels } from '../../../node-agent/pod/known-state.ts';
import { planPodStep } from '../../../node-agent/pod/plan-pod-step.ts';
import type { RuntimeContainer } from '../../../node-agent/runtime/container-runtime.ts';
import { s, T0 } from '../support/known.ts';
import { pod } from '../support/objects.ts';

const identity = { uid: 'aaaaaaaa-1111-2222-3333-444444444444', namespace: 'default', name: 'web-1' };
const other = { uid: 'bbbbbbbb-1111-2222-3333-444444444444', namespace: 'default', name: 'old' };

function rc(id: string, labels: Record<string, string>, extra: Partial<RuntimeContainer> = {}): RuntimeContainer {
  return { id, name: id, labels, image: 'zp/busybox:1', imageID: 'sha256:1', state: 'running', createdAt: s(-100), startedAt: s(-99), ...extra };
}

describe('known state recovered from the runtime', () => {
  const runtime: RuntimeContainer[] = [
    rc('sb1', sandboxLabels(identity, '10.244.1.7'), { createdAt: s(-200) }),
    rc('c0', containerLabels(identity, 'app', 'app', 0), { state: 'exited', exitCode: 1, finishedAt: s(-50) }),
    rc('c1', containerLabels(identity, 'app', 'app', 1, { durationMs: 10_000, lastUpdateMs: s(-49) }), { startedAt: s(-49) }),
    rc('sb2', sandboxLabels(other, '10.244.1.8')),
    rc('foreign', { 'com.docker.compose.project': 'x' }),
    rc('broken', { ...containerLabels(identity, 'app', 'app', 0), 'zeroplane.io/attempt': 'x' }),
  ];

  it('groups containers by pod with attempts, backoff and sandbox IPs from their labels', () => {
    const { pods, strays } = recoverKnownStates(runtime);
    expect([...pods.keys()]).toEqual([identity.uid, other.uid]);
    const known = pods.get(identity.uid)!.known;
    expect(pods.get(identity.uid)!.identity).toEqual(identity);
    expect(known.sandboxes).toEqual([{ id: 'sb1', ip: '10.244.1.7', state: 'running', createdAt: s(-200) }]);
    expect(known.containers.map((c) => [c.id, c.attempt, c.state, c.backoff])).toEqual([
      ['c0', 0, 'exited', undefined],
      ['c1', 1, 'running', { durationMs: 10_000, lastUpdateMs: s(-49) }],
    ]);
    expect(strays).toEqual(['broken']);
  });

  it('restarts nothing that is healthy after an agent restart', () => {
    const known = recoverKnownStates(runtime).pods.get(identity.uid)!.known;
    expect(planPodStep(pod({ containers: [{ name: 'app', image: 'zp/busybox:1' }] }), known, T0)).toEqual({ type: 'wait', reason: 'no change expected' });
  });

  it('names the pods the API no longer assigns to this node', () => {
    const { pods } = recoverKnownStates(runtime);
    expect(orphanedPods(pods, new Set([identity.uid])).map((p) => p.identity.name)).toEqual(['old']);
  });

  it('labels every managed container so one selector lists them all', () => {
    for (const labels of [sandboxLabels(identity, '10.244.1.7'), containerLabels(identity, 'app', 'init', 3)]) {
      expect(labels).toMatchObject(MANAGED_SELECTOR);
    }
  });
});
