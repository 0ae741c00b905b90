/**
 * Node scores, 0..100 each, summed with weights like the default profile: NodeResourcesFit LeastAllocated
 * (weight 1) and spreading of one owner's replicas (weight 2, as PodTopologySpread's system defaults) across
 * nodes and, when nodes carry topology.kubernetes.io/zone, across zones (zones weigh 2/3, as SelectorSpread).
 */
import type { NodeInfo, PodInfo } from './node-info.ts';

export const MAX_NODE_SCORE = 100;
const SPREAD_WEIGHT = 2;
const ZONE_WEIGHTING = 2 / 3;

/** Where one owner's pods already are: counts per node and per zone. */
export interface OwnerCounts {
  byNode: Map<string, number>;
  byZone: Map<string, number>;
}

function leastAllocatedOne(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return ((capacity - requested) * MAX_NODE_SCORE) / capacity;
}

/** LeastAllocated with cpu and memory weighted equally, counting the incoming pod. */
export function leastAllocatedScore(pod: PodInfo, node: NodeInfo): number {
  const cpu = leastAllocatedOne(node.nonZeroRequested.milliCPU + pod.nonZeroRequests.milliCPU, node.allocatable.milliCPU);
  const mem = leastAllocatedOne(node.nonZeroRequested.memory + pod.nonZeroRequests.memory, node.allocatable.memory);
  return Math.floor((cpu + mem) / 2);
}

/** Spread scores for the feasible nodes: fewer replicas of the same owner on the node (and its zone) scores higher. */
export function spreadScores(nodes: NodeInfo[], counts: OwnerCounts | undefined): number[] {
  if (!counts) return nodes.map(() => MAX_NODE_SCORE);
  let maxNode = 0;
  let maxZone = 0;
  let zoned = false;
  for (const n of nodes) {
    maxNode = Math.max(maxNode, counts.byNode.get(n.name) ?? 0);
    if (n.zone !== undefined) {
      zoned = true;
      maxZone = Math.max(maxZone, counts.byZone.get(n.zone) ?? 0);
    }
  }
  return nodes.map((n) => {
    const onNode = counts.byNode.get(n.name) ?? 0;
    let score = maxNode > 0 ? (MAX_NODE_SCORE * (maxNode - onNode)) / maxNode : MAX_NODE_SCORE;
    if (zoned && n.zone !== undefined) {
      const inZone = counts.byZone.get(n.zone) ?? 0;
      const zoneScore = maxZone > 0 ? (MAX_NODE_SCORE * (maxZone - inZone)) / maxZone : MAX_NODE_SCORE;
      score = score * (1 - ZONE_WEIGHTING) + ZONE_WEIGHTING * zoneScore;
    }
    return Math.floor(score);
  });
}

/** Total weighted scores for the feasible nodes, in the same order. */
export function scoreNodes(pod: PodInfo, nodes: NodeInfo[], counts: OwnerCounts | undefined): number[] {
  const spread = spreadScores(nodes, counts);
  return nodes.map((n, i) => leastAllocatedScore(pod, n) + SPREAD_WEIGHT * spread[i]);
}
