/**
 * HorizontalPodAutoscaler (autoscaling/v2, Resource cpu Utilization): desired = ceil(current × usage/target)
 * over the ready pods' requests, left alone within the 10% tolerance, clamped to [min, max], and scale-downs
 * take the highest recommendation of the stabilization window (300 s by default).
 */
import type { Condition } from '../../shared/api/kinds/meta.ts';
import type { HorizontalPodAutoscaler } from '../../shared/api/kinds/horizontalpodautoscaler.ts';

export const TOLERANCE = 0.1;
export const DEFAULT_DOWNSCALE_WINDOW_SECONDS = 300;

export interface PodMetric {
  /** CPU in use, millicores. */
  usageMilli: number;
  /** CPU requested, millicores. */
  requestMilli: number;
}

export interface Recommendation {
  at: number;
  replicas: number;
}

export interface HpaInput {
  hpa: HorizontalPodAutoscaler;
  /** The target's current replicas (its scale subresource). */
  currentReplicas: number;
  /** Metrics of the target's ready pods. */
  metrics: PodMetric[];
  /** Earlier recommendations (kept by the runner, e.g. in an annotation), newest last. */
  recommendations: Recommendation[];
  now: Date;
}

export interface HpaResult {
  /** Set the target's replicas to this (scale subresource), when it differs from current. */
  scaleTo?: number;
  status: NonNullable<HorizontalPodAutoscaler['status']>;
  recommendations: Recommendation[];
}

export function targetUtilization(hpa: HorizontalPodAutoscaler): number | undefined {
  const m = hpa.spec.metrics?.find((x) => x.type === 'Resource' && x.resource?.name === 'cpu');
  return m?.resource?.target.averageUtilization;
}

/** The replica count the metrics ask for, before min/max and stabilization. */
export function desiredReplicas(current: number, metrics: PodMetric[], target: number): { replicas: number; utilization: number } {
  const usage = metrics.reduce((n, m) => n + m.usageMilli, 0);
  const requests = metrics.reduce((n, m) => n + m.requestMilli, 0);
  if (requests === 0 || metrics.length === 0) return { replicas: current, utilization: 0 };
  const utilization = Math.round((usage * 100) / requests);
  const ratio = utilization / target;
  if (Math.abs(ratio - 1) <= TOLERANCE) return { replicas: current, utilization };
  return { replicas: Math.ceil(ratio * metrics.length), utilization };
}

export function reconcileHpa(input: HpaInput): HpaResult {
  const { hpa, currentReplicas, now } = input;
  const min = hpa.spec.minReplicas ?? 1;
  const max = hpa.spec.maxReplicas;
  const target = targetUtilization(hpa) ?? 80;
  const { replicas: raw, utilization } = desiredReplicas(currentReplicas, input.metrics, target);
  const windowSeconds =
    (hpa.spec.behavior as { scaleDown?: { stabilizationWindowSeconds?: number } } | undefined)?.scaleDown?.stabilizationWindowSeconds ?? DEFAULT_DOWNSCALE_WINDOW_SECONDS;
  const since = now.getTime() - windowSeconds * 1000;
  const recommendations = [...input.recommendations.filter((r) => r.at > since), { at: now.getTime(), replicas: raw }];
  // Scale down only to the highest recommendation within the window, so a short dip does not flap replicas.
  let desired = raw < currentReplicas ? Math.min(currentReplicas, Math.max(...recommendations.map((r) => r.replicas))) : raw;
  let limited: Condition | undefined;
  const stamp = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (desired > max) {
    desired = max;
    limited = { type: 'ScalingLimited', status: 'True', reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count', lastTransitionTime: stamp };
  } else if (desired < min) {
    desired = min;
    limited = { type: 'ScalingLimited', status: 'True', reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count', lastTransitionTime: stamp };
  }
  const scaling = desired !== currentReplicas;
  const status: HpaResult['status'] = {
    observedGeneration: hpa.metadata.generation ?? 0,
    ...(scaling ? { lastScaleTime: stamp } : hpa.status?.lastScaleTime ? { lastScaleTime: hpa.status.lastScaleTime } : {}),
    currentReplicas,
    desiredReplicas: desired,
    currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: utilization, averageValue: `${Math.round(input.metrics.reduce((n, m) => n + m.usageMilli, 0) / Math.max(1, input.metrics.length))}m` } } }],
    conditions: [
      { type: 'AbleToScale', status: 'True', reason: scaling ? 'SucceededRescale' : 'ReadyForNewScale', message: scaling ? `the HPA controller was able to update the target scale to ${desired}` : 'recommended size matches current size', lastTransitionTime: stamp },
      { type: 'ScalingActive', status: 'True', reason: 'ValidMetricFound', message: 'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)', lastTransitionTime: stamp },
      limited ?? { type: 'ScalingLimited', status: 'False', reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range', lastTransitionTime: stamp },
    ],
  };
  return { ...(scaling ? { scaleTo: desired } : {}), status, recommendations };
}
