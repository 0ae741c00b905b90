/**
 * Readings for simulated nodes (kwok-style): a running pod uses what its `zeroplane.dev/simulated-cpu` and
 * `zeroplane.dev/simulated-memory` annotations say (quantities for the whole pod, shared evenly by its
 * containers), or a small idle figure. Changing the annotation is how tests and benches drive the HPA.
 */
import type { Node } from '../../shared/api/kinds/node.ts';
import type { Pod } from '../../shared/api/kinds/pod.ts';
import { integerValue, milliValue } from '../../shared/api/quantity.ts';
import type { MetricsSource, NodeUsage, PodUsage } from './metrics-source.ts';

export const SIMULATED_CPU_ANNOTATION = 'zeroplane.dev/simulated-cpu';
export const SIMULATED_MEMORY_ANNOTATION = 'zeroplane.dev/simulated-memory';
/** What an idle simulated container uses: 1m CPU, 4 MiB. */
export const IDLE_CPU_NANOCORES = 1_000_000;
export const IDLE_MEMORY_BYTES = 4 * 1024 * 1024;
/** The base use of a simulated node itself (its "system" processes). */
const NODE_BASE_CPU_NANOCORES = 50_000_000;
const NODE_BASE_MEMORY_BYTES = 512 * 1024 * 1024;
const WINDOW_SECONDS = 15;

function annotated(pod: Pod, key: string, parse: (q: string) => number | undefined): number | undefined {
  const value = pod.metadata.annotations?.[key];
  return value === undefined ? undefined : parse(value);
}

/** The usage of one running simulated pod. */
export function simulatedPodUsage(pod: Pod): PodUsage {
  const containers = pod.spec?.containers ?? [];
  const n = Math.max(containers.length, 1);
  const cpuMilli = annotated(pod, SIMULATED_CPU_ANNOTATION, milliValue);
  const memory = annotated(pod, SIMULATED_MEMORY_ANNOTATION, integerValue);
  return {
    namespace: pod.metadata.namespace ?? 'default',
    name: pod.metadata.name ?? '',
    containers: containers.map((c) => ({
      name: c.name,
      cpuNanocores: cpuMilli === undefined ? IDLE_CPU_NANOCORES : Math.round((cpuMilli * 1_000_000) / n),
      memoryBytes: memory === undefined ? IDLE_MEMORY_BYTES : Math.round(memory / n),
    })),
  };
}

export function simulatedNodeUsage(pods: Pod[], now: number): NodeUsage {
  const running = pods.filter((p) => p.status?.phase === 'Running');
  const usages = running.map(simulatedPodUsage);
  const sum = (f: (c: PodUsage['containers'][number]) => number) => usages.reduce((t, u) => t + u.containers.reduce((s, c) => s + f(c), 0), 0);
  return {
    timestamp: now,
    windowSeconds: WINDOW_SECONDS,
    cpuNanocores: NODE_BASE_CPU_NANOCORES + sum((c) => c.cpuNanocores),
    memoryBytes: NODE_BASE_MEMORY_BYTES + sum((c) => c.memoryBytes),
    pods: usages,
  };
}

export function simulatedMetricsSource(now: () => number = Date.now): MetricsSource {
  return {
    async nodeUsage(_node: Node, pods: Pod[]) {
      return simulatedNodeUsage(pods, now());
    },
  };
}

/** The annotation simulated nodes carry (local/simulated-nodes.ts sets it). */
export const SIMULATED_NODE_ANNOTATION = 'zeroplane.dev/simulated';

export function isSimulatedNode(node: Node): boolean {
  return node.metadata.annotations?.[SIMULATED_NODE_ANNOTATION] !== undefined;
}
