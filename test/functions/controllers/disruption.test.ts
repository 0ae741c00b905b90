import { describe, expect, it } from 'vitest';
import { DELETION_TIMEOUT_MS, expectedAndDesired, reconcileDisruptionBudget } from '../../../functions/controllers/disruption.ts';
import { spendDisruption } from '../../../functions/apiserver/pod-subresources.ts';
import type { PodDisruptionBudget } from '../../../shared/api/kinds/poddisruptionbudget.ts';
import { isStatusError } from '../../../shared/api/status.ts';
import { iso, pod, T0 } from './builders.ts';

function pdb(spec: NonNullable<PodDisruptionBudget['spec']>, status?: PodDisruptionBudget['status']): PodDisruptionBudget {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: 'web', namespace: 'default', generation: 1, uid: 'uid-pdb' },
    spec: { selector: { matchLabels: { app: 'web' } }, ...spec },
    ...(status ? { status } : {}),
  };
}

const ready = (n: number, prefix = 'web') => Array.from({ length: n }, (_, i) => pod({ name: `${prefix}-${i}`, nodeName: 'n1', ready: true }));

describe('expectedAndDesired', () => {
  it.each<[string, NonNullable<PodDisruptionBudget['spec']>, number, number | undefined, { expectedPods: number; desiredHealthy: number }]>([
    ['minAvailable as a count needs that many of the matched pods', { minAvailable: 2 }, 3, 5, { expectedPods: 3, desiredHealthy: 2 }],
    ['minAvailable as a percentage rounds up against the scale', { minAvailable: '50%' }, 3, 5, { expectedPods: 5, desiredHealthy: 3 }],
    ['maxUnavailable as a count subtracts from the scale', { maxUnavailable: 1 }, 6, 6, { expectedPods: 6, desiredHealthy: 5 }],
    ['maxUnavailable as a percentage rounds the unavailable up', { maxUnavailable: '30%' }, 4, 4, { expectedPods: 4, desiredHealthy: 2 }],
    ['an unknown scale falls back to the matched pods', { maxUnavailable: 1 }, 3, undefined, { expectedPods: 3, desiredHealthy: 2 }],
    ['maxUnavailable larger than the scale needs none', { maxUnavailable: 10 }, 3, 3, { expectedPods: 3, desiredHealthy: 0 }],
  ])('%s', (_name, spec, matched, scale, expected) => {
    expect(expectedAndDesired(pdb(spec), matched, scale)).toEqual(expected);
  });
});

describe('reconcileDisruptionBudget', () => {
  it.each<[string, NonNullable<PodDisruptionBudget['spec']>, number, number, number, string]>([
    ['three ready pods, maxUnavailable 1: one disruption', { maxUnavailable: 1 }, 3, 3, 1, 'SufficientPods'],
    ['two of three ready, maxUnavailable 1: none', { maxUnavailable: 1 }, 3, 2, 0, 'InsufficientPods'],
    ['minAvailable equal to the pods: none', { minAvailable: 3 }, 3, 3, 0, 'InsufficientPods'],
    ['minAvailable 1 of 3: two', { minAvailable: 1 }, 3, 3, 2, 'SufficientPods'],
  ])('%s', (_name, spec, scale, readyCount, allowed, reason) => {
    const pods = [...ready(readyCount), ...Array.from({ length: scale - readyCount }, (_, i) => pod({ name: `web-unready-${i}`, nodeName: 'n1', ready: false }))];
    const r = reconcileDisruptionBudget({ pdb: pdb(spec), pods, expectedScale: scale, now: T0 });
    expect(r.status).toMatchObject({ observedGeneration: 1, disruptionsAllowed: allowed, currentHealthy: readyCount, expectedPods: scale });
    expect(r.status?.conditions).toEqual([
      { type: 'DisruptionAllowed', status: allowed > 0 ? 'True' : 'False', observedGeneration: 1, lastTransitionTime: iso(T0), reason, message: '' },
    ]);
  });

  it('ignores pods its selector does not match and pods being deleted', () => {
    const pods = [...ready(2), pod({ name: 'other', labels: { app: 'other' }, nodeName: 'n1', ready: true }), pod({ name: 'going', nodeName: 'n1', ready: true, deleting: true })];
    const r = reconcileDisruptionBudget({ pdb: pdb({ minAvailable: 1 }), pods, now: T0 });
    expect(r.status).toMatchObject({ currentHealthy: 2, expectedPods: 3, disruptionsAllowed: 1 });
  });

  it('does not count a pod an eviction already spent, until its deletion timeout', () => {
    const spent = pdb({ minAvailable: 1 }, { disruptedPods: { 'web-0': iso(T0, -10) }, disruptionsAllowed: 1 });
    const r = reconcileDisruptionBudget({ pdb: spent, pods: ready(3), now: T0 });
    expect(r.status).toMatchObject({ currentHealthy: 2, disruptionsAllowed: 1, disruptedPods: { 'web-0': iso(T0, -10) } });
    expect(r.requeueAfterMs).toBe(DELETION_TIMEOUT_MS - 10_000);

    const timedOut = reconcileDisruptionBudget({ pdb: spent, pods: ready(3), now: new Date(T0.getTime() + DELETION_TIMEOUT_MS) });
    expect(timedOut.status).toMatchObject({ currentHealthy: 3, disruptionsAllowed: 2 });
    expect(timedOut.status?.disruptedPods).toBeUndefined();
  });

  it('forgets a spent pod once it is gone', () => {
    const spent = pdb({ minAvailable: 1 }, { disruptedPods: { 'web-9': iso(T0, -1) } });
    const r = reconcileDisruptionBudget({ pdb: spent, pods: ready(2), now: T0 });
    expect(r.status?.disruptedPods).toBeUndefined();
    expect(r.requeueAfterMs).toBeUndefined();
  });

  it('returns no status when nothing changed', () => {
    const first = reconcileDisruptionBudget({ pdb: pdb({ maxUnavailable: 1 }), pods: ready(3), expectedScale: 3, now: T0 });
    const again = reconcileDisruptionBudget({ pdb: pdb({ maxUnavailable: 1 }, first.status), pods: ready(3), expectedScale: 3, now: new Date(T0.getTime() + 60_000) });
    expect(again).toEqual({ actions: [] });
  });
});

describe('spendDisruption', () => {
  const settled = (status: NonNullable<PodDisruptionBudget['status']>) => pdb({ maxUnavailable: 1 }, { observedGeneration: 1, ...status });

  it('spends one disruption and records the pod', () => {
    const next = spendDisruption(settled({ disruptionsAllowed: 2, currentHealthy: 3, desiredHealthy: 1 }), 'web-0', T0);
    expect(next).toMatchObject({ disruptionsAllowed: 1, disruptedPods: { 'web-0': iso(T0) } });
  });

  it('turns DisruptionAllowed False when it spends the last one', () => {
    const next = spendDisruption(settled({ disruptionsAllowed: 1, conditions: [{ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods' }] }), 'web-0', T0);
    expect(next.disruptionsAllowed).toBe(0);
    expect(next.conditions).toMatchObject([{ type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods' }]);
  });

  it.each<[string, PodDisruptionBudget, number, string, string | undefined]>([
    ['a budget with no disruption left', settled({ disruptionsAllowed: 0, currentHealthy: 2, desiredHealthy: 2 }), 429, "Cannot evict pod as it would violate the pod's disruption budget.", 'The disruption budget web needs 2 healthy pods and has 2 currently'],
    ['a budget the controller has not seen yet', pdb({ maxUnavailable: 1 }), 429, "Cannot evict pod as it would violate the pod's disruption budget.", 'The disruption budget web is still being processed by the server.'],
    ['a negative budget', settled({ disruptionsAllowed: -1 }), 403, 'poddisruptionbudget.policy "web" is forbidden: pdb disruptions allowed is negative', undefined],
  ])('refuses %s', (_name, budget, code, message, cause) => {
    let caught: unknown;
    try {
      spendDisruption(budget, 'web-0', T0);
    } catch (err) {
      caught = err;
    }
    expect(isStatusError(caught)).toBe(true);
    if (!isStatusError(caught)) return;
    expect(caught.toStatus()).toMatchObject({ code, message, ...(cause ? { reason: 'TooManyRequests', details: { causes: [{ reason: 'DisruptionBudget', message: cause }] } } : {}) });
  });
});
