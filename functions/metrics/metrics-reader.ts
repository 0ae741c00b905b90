/**
 * Reads metrics.k8s.io objects the way metrics-server serves them: NodeMetrics for nodes with readings, PodMetrics
 * for running pods on nodes with readings. Shared by the API (kubectl top) and the HPA controller. Nodes are asked
 * in parallel; a node that does not answer within the timeout is left out, as metrics-server leaves out a node whose
 * scrape failed, instead of failing the whole list.
 */
import type { Node } from '../../shared/api/kinds/node.ts';
import type { Pod } from '../../shared/api/kinds/pod.ts';
import type { NodeMetrics, PodMetrics } from '../../shared/api/kinds/metrics.ts';
import type { MetricsSource, NodeUsage } from './metrics-source.ts';
import { toNodeMetrics, toPodMetrics } from './metrics-views.ts';

export const DEFAULT_SCRAPE_TIMEOUT_MS = 5_000;

export interface MetricsReaderDeps {
  source: MetricsSource;
  listNodes(): Promise<Node[]>;
  /** Pods of one namespace, or of all when undefined. */
  listPods(namespace?: string): Promise<Pod[]>;
  now(): Date;
  timeoutMs?: number;
}

async function usageWithin(deps: MetricsReaderDeps, node: Node, pods: Pod[]): Promise<NodeUsage | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), deps.timeoutMs ?? DEFAULT_SCRAPE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([deps.source.nodeUsage(node, pods).catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function byNode(pods: Pod[]): Map<string, Pod[]> {
  const out = new Map<string, Pod[]>();
  for (const p of pods) {
    const node = p.spec?.nodeName;
    if (!node) continue;
    out.set(node, [...(out.get(node) ?? []), p]);
  }
  return out;
}

export async function readNodeMetrics(deps: MetricsReaderDeps, include: (node: Node) => boolean = () => true): Promise<NodeMetrics[]> {
  const nodes = (await deps.listNodes()).filter(include);
  if (nodes.length === 0) return [];
  const podsByNode = byNode(await deps.listPods());
  const now = deps.now();
  const readings = await Promise.all(nodes.map((n) => usageWithin(deps, n, podsByNode.get(n.metadata.name ?? '') ?? [])));
  return nodes.flatMap((n, i) => {
    const usage = readings[i];
    return usage ? [toNodeMetrics({ name: n.metadata.name ?? '', labels: n.metadata.labels }, usage, now)] : [];
  });
}

/** PodMetrics of the running pods in `namespace` (all when undefined) that `include` accepts. */
export async function readPodMetrics(deps: MetricsReaderDeps, namespace: string | undefined, include: (pod: Pod) => boolean = () => true): Promise<PodMetrics[]> {
  const pods = (await deps.listPods(namespace)).filter((p) => p.status?.phase === 'Running' && include(p));
  if (pods.length === 0) return [];
  const grouped = byNode(pods);
  const nodes = new Map((await deps.listNodes()).map((n) => [n.metadata.name ?? '', n]));
  const now = deps.now();
  const out: PodMetrics[] = [];
  await Promise.all(
    [...grouped].map(async ([nodeName, nodePods]) => {
      const node = nodes.get(nodeName);
      if (!node) return;
      const usage = await usageWithin(deps, node, nodePods);
      if (!usage) return;
      const wanted = new Map(nodePods.map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p]));
      for (const u of usage.pods) {
        const pod = wanted.get(`${u.namespace}/${u.name}`);
        if (pod) out.push(toPodMetrics(u, pod.metadata.labels, usage, now));
      }
    }),
  );
  return out.sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`));
}
