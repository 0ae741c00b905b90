import { describe, expect, it } from 'vitest';
import { reconcileHpa } from '../../../functions/controllers/hpa.ts';
import type { HorizontalPodAutoscaler } from '../../../shared/api/kinds/horizontalpodautoscaler.ts';
import { T0 } from './builders.ts';

const hpa: HorizontalPodAutoscaler = {
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: { name: 'web', namespace: 'default', generation: 1 },
  spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 10, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }] },
};
const pods = (n: number, usage: number) => Array.from({ length: n }, () => ({ usageMilli: usage, requestMilli: 100 }));

describe('reconcileHpa', () => {
  it.each([
    ['scales up to ceil(current × usage/target)', 2, pods(2, 100), 4],
    ['stays within the 10% tolerance', 2, pods(2, 54), undefined],
    ['clamps to maxReplicas', 4, pods(4, 500), 10],
    ['clamps to minReplicas', 3, pods(3, 1), 1],
  ])('%s', (_name, current, metrics, scaleTo) => {
    expect(reconcileHpa({ hpa, currentReplicas: current, metrics, recommendations: [], now: T0 }).scaleTo).toBe(scaleTo);
  });

  it('scales down only to the highest recommendation of the stabilization window', () => {
    const recent = [{ at: T0.getTime() - 60_000, replicas: 4 }];
    expect(reconcileHpa({ hpa, currentReplicas: 4, metrics: pods(4, 10), recommendations: recent, now: T0 }).scaleTo).toBeUndefined();
    const old = [{ at: T0.getTime() - 301_000, replicas: 4 }];
    expect(reconcileHpa({ hpa, currentReplicas: 4, metrics: pods(4, 10), recommendations: old, now: T0 }).scaleTo).toBe(1);
  });
});
