/**
 * Readings → metrics.k8s.io objects, in metrics-server's formats: CPU in nanocores (`12345678n`), memory in
 * KiB (`5678Ki`), RFC 3339 timestamps, the window as a duration (`15s`). Pure.
 */
import type { NodeMetrics, PodMetrics } from '../../shared/api/kinds/metrics.ts';
import type { NodeUsage, PodUsage } from './metrics-source.ts';

export function cpuQuantity(nanocores: number): string {
  return `${Math.max(0, Math.round(nanocores))}n`;
}

export function memoryQuantity(bytes: number): string {
  return `${Math.max(0, Math.round(bytes / 1024))}Ki`;
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function toNodeMetrics(node: { name: string; labels?: Record<string, string> }, usage: NodeUsage, now: Date): NodeMetrics {
  return {
    apiVersion: 'metrics.k8s.io/v1beta1',
    kind: 'NodeMetrics',
    metadata: { name: node.name, creationTimestamp: stamp(now.getTime()), ...(node.labels ? { labels: node.labels } : {}) },
    timestamp: stamp(usage.timestamp),
    window: `${usage.windowSeconds}s`,
    usage: { cpu: cpuQuantity(usage.cpuNanocores), memory: memoryQuantity(usage.memoryBytes) },
  };
}

export function toPodMetrics(pod: PodUsage, labels: Record<string, string> | undefined, usage: Pick<NodeUsage, 'timestamp' | 'windowSeconds'>, now: Date): PodMetrics {
  return {
    apiVersion: 'metrics.k8s.io/v1beta1',
    kind: 'PodMetrics',
    metadata: { name: pod.name, namespace: pod.namespace, creationTimestamp: stamp(now.getTime()), ...(labels ? { labels } : {}) },
    timestamp: stamp(usage.timestamp),
    window: `${usage.windowSeconds}s`,
    containers: pod.containers.map((c) => ({ name: c.name, usage: { cpu: cpuQuantity(c.cpuNanocores), memory: memoryQuantity(c.memoryBytes) } })),
  };
}
