/**
 * HorizontalPodAutoscaler loader: the HPA, its scale target (Deployment, ReplicaSet or StatefulSet), the target's
 * ready pods and their CPU readings (through the MetricsSource, the same readings `kubectl top` shows) →
 * reconcileHpa → the target's spec.replicas and the HPA's status. Requeued every sync period (15 s, the
 * kube-controller-manager default); the resync wakes every HPA as the durable fallback.
 */
import type { HorizontalPodAutoscaler } from '../../../shared/api/kinds/horizontalpodautoscaler.ts';
import type { Node } from '../../../shared/api/kinds/node.ts';
import type { Pod } from '../../../shared/api/kinds/pod.ts';
import { labelSelectorFromObject, matchesLabels } from '../../../shared/labels/label-selector.ts';
import { milliValue } from '../../../shared/api/quantity.ts';
import type { KubeObject } from '../../../shared/api/object.ts';
import type { MetricsSource } from '../../metrics/metrics-source.ts';
import { readPodMetrics } from '../../metrics/metrics-reader.ts';
import { reconcileHpa, type PodMetric, type Recommendation } from '../hpa.ts';
import { splitKey, type ControllerRegistration } from '../runner.ts';

export const HPA_SYNC_PERIOD_MS = 15_000;
/** Where the scale-down recommendations of the stabilization window are kept between reconciles. */
export const RECOMMENDATIONS_ANNOTATION = 'zeroplane.dev/hpa-recommendations';

const TARGETS: Record<string, string> = { Deployment: 'apps/deployments', ReplicaSet: 'apps/replicasets', StatefulSet: 'apps/statefulsets' };

type Scalable = KubeObject & { spec?: { replicas?: number; selector?: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] } } };

function isReady(pod: Pod): boolean {
  return pod.status?.phase === 'Running' && !pod.metadata.deletionTimestamp && (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

function cpuRequestMilli(pod: Pod, container: string): number {
  const c = (pod.spec?.containers ?? []).find((x) => x.name === container);
  return milliValue(c?.resources?.requests?.cpu as string | number | undefined) ?? 0;
}

function readRecommendations(hpa: HorizontalPodAutoscaler): Recommendation[] {
  try {
    const parsed: unknown = JSON.parse(hpa.metadata.annotations?.[RECOMMENDATIONS_ANNOTATION] ?? '[]');
    return Array.isArray(parsed) ? parsed.filter((r): r is Recommendation => typeof r?.at === 'number' && typeof r?.replicas === 'number') : [];
  } catch {
    return [];
  }
}

export function hpaController(source: MetricsSource): ControllerRegistration {
  return {
    name: 'hpa',
    resource: 'autoscaling/horizontalpodautoscalers',
    async load(key, env) {
      const { namespace, name } = splitKey(key);
      const hpa = await env.api.get<HorizontalPodAutoscaler>('autoscaling/horizontalpodautoscalers', namespace, name);
      if (!hpa || hpa.metadata.deletionTimestamp) return;
      const requeue = () => env.requeue({ controller: 'hpa', key }, HPA_SYNC_PERIOD_MS);
      const ref = hpa.spec.scaleTargetRef;
      const resource = TARGETS[ref.kind];
      const target = resource ? await env.api.get<Scalable>(resource, namespace, ref.name) : undefined;
      if (!target) {
        requeue();
        return;
      }
      const selector = labelSelectorFromObject(target.spec?.selector as Parameters<typeof labelSelectorFromObject>[0]);
      const { items: all } = await env.api.list<Pod>('core/pods', namespace, (p) => matchesLabels(selector, p.metadata.labels));
      const ready = all.filter(isReady);
      const readyNames = new Set(ready.map((p) => p.metadata.name));
      const byName = new Map(ready.map((p) => [p.metadata.name, p]));
      const metrics = await readPodMetrics(
        {
          source,
          now: env.now,
          listNodes: async () => (await env.api.list<Node>('core/nodes')).items,
          listPods: async () => ready,
        },
        namespace,
        (p) => readyNames.has(p.metadata.name),
      );
      const podMetrics: PodMetric[] = metrics.map((m) => {
        const pod = byName.get(m.metadata.name ?? '')!;
        return {
          usageMilli: m.containers.reduce((n, c) => n + (milliValue(String(c.usage.cpu)) ?? 0), 0),
          requestMilli: m.containers.reduce((n, c) => n + cpuRequestMilli(pod, c.name), 0),
        };
      });
      const currentReplicas = target.spec?.replicas ?? 1;
      const result = reconcileHpa({ hpa, currentReplicas, metrics: podMetrics, recommendations: readRecommendations(hpa), now: env.now() });
      if (result.scaleTo !== undefined) {
        await env.api.update({ ...target, spec: { ...target.spec, replicas: result.scaleTo } } as KubeObject);
      }
      const annotations = { ...hpa.metadata.annotations, [RECOMMENDATIONS_ANNOTATION]: JSON.stringify(result.recommendations) };
      const written = await env.api.update<HorizontalPodAutoscaler>({ ...hpa, metadata: { ...hpa.metadata, annotations } });
      await env.api.updateStatus({ ...written, status: result.status } as KubeObject);
      requeue();
    },
  };
}
