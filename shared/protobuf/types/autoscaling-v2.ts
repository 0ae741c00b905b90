/** k8s.io.api.autoscaling.v2: HorizontalPodAutoscaler (kubectl autoscale). */
import { int32, int64, msg, msgs, str, type MessageSpec } from '../schema.ts';

const ptr = { ptr: true } as const;

export const autoscalingV2: Record<string, MessageSpec> = {
  'autoscaling.v2.HorizontalPodAutoscaler': {
    1: msg('metadata', 'meta.v1.ObjectMeta'),
    2: msg('spec', 'autoscaling.v2.HorizontalPodAutoscalerSpec'),
    3: msg('status', 'autoscaling.v2.HorizontalPodAutoscalerStatus'),
  },
  'autoscaling.v2.HorizontalPodAutoscalerSpec': {
    1: msg('scaleTargetRef', 'autoscaling.v2.CrossVersionObjectReference'),
    2: int32('minReplicas', ptr),
    3: int32('maxReplicas'),
    4: msgs('metrics', 'autoscaling.v2.MetricSpec'),
    5: msg('behavior', 'autoscaling.v2.HorizontalPodAutoscalerBehavior', ptr),
  },
  'autoscaling.v2.CrossVersionObjectReference': { 1: str('kind'), 2: str('name'), 3: str('apiVersion') },
  'autoscaling.v2.MetricSpec': {
    1: str('type'),
    4: msg('resource', 'autoscaling.v2.ResourceMetricSource', ptr),
    7: msg('containerResource', 'autoscaling.v2.ContainerResourceMetricSource', ptr),
  },
  'autoscaling.v2.ResourceMetricSource': { 1: str('name'), 2: msg('target', 'autoscaling.v2.MetricTarget') },
  'autoscaling.v2.ContainerResourceMetricSource': { 1: str('name'), 2: msg('target', 'autoscaling.v2.MetricTarget'), 3: str('container') },
  'autoscaling.v2.MetricTarget': {
    1: str('type'),
    2: msg('value', 'Quantity', ptr),
    3: msg('averageValue', 'Quantity', ptr),
    4: int32('averageUtilization', ptr),
  },
  'autoscaling.v2.HorizontalPodAutoscalerBehavior': {
    1: msg('scaleUp', 'autoscaling.v2.HPAScalingRules', ptr),
    2: msg('scaleDown', 'autoscaling.v2.HPAScalingRules', ptr),
  },
  'autoscaling.v2.HPAScalingRules': {
    1: str('selectPolicy', ptr),
    2: msgs('policies', 'autoscaling.v2.HPAScalingPolicy'),
    3: int32('stabilizationWindowSeconds', ptr),
  },
  'autoscaling.v2.HPAScalingPolicy': { 1: str('type'), 2: int32('value'), 3: int32('periodSeconds') },
  'autoscaling.v2.HorizontalPodAutoscalerStatus': {
    1: int64('observedGeneration', ptr),
    2: msg('lastScaleTime', 'Time', ptr),
    3: int32('currentReplicas'),
    4: int32('desiredReplicas'),
  },
};
