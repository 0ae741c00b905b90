/**
 * Where resource readings come from (metrics-server's job): a MetricsSource answers, for one node, the CPU rate and
 * memory working set of the node and of each pod on it. Real nodes are scraped (their agent's node server samples
 * Docker stats); simulated nodes are computed from their pods. The metrics API and the HPA read through this port.
 */
import type { Node } from '../../shared/api/kinds/node.ts';
import type { Pod } from '../../shared/api/kinds/pod.ts';

export interface ContainerUsage {
  name: string;
  /** CPU rate over the window, in nanocores (1 core = 1e9). */
  cpuNanocores: number;
  memoryBytes: number;
}

export interface PodUsage {
  namespace: string;
  name: string;
  containers: ContainerUsage[];
}

export interface NodeUsage {
  /** Epoch ms of the newest reading. */
  timestamp: number;
  /** The window the rates were measured over. */
  windowSeconds: number;
  cpuNanocores: number;
  memoryBytes: number;
  pods: PodUsage[];
}

export interface MetricsSource {
  /** Readings of one node; `pods` are the pods the store has bound to it. undefined: no readings (yet). */
  nodeUsage(node: Node, pods: Pod[]): Promise<NodeUsage | undefined>;
}

/** Routes each node to the source for its kind: simulated nodes to `simulated`, the rest to `scraped`. */
export function routedMetricsSource(sources: { simulated: MetricsSource; scraped?: MetricsSource }, isSimulated: (node: Node) => boolean): MetricsSource {
  return {
    async nodeUsage(node, pods) {
      if (isSimulated(node)) return sources.simulated.nodeUsage(node, pods);
      return sources.scraped?.nodeUsage(node, pods);
    },
  };
}
