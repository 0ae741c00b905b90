/**
 * Placing pods: run the filters over the nodes (in the default profile's order, stopping at a node's first
 * failing plugin), score the feasible ones and take the best. `schedule` places one pod; `scheduleBatch`
 * places many against one snapshot, accounting each placement before the next so that a batch never
 * overcommits a node by itself. The bind (a conditional write) remains the final guard across invocations.
 */
import type { Node } from '../../shared/api/kinds/node.ts';
import type { Pod } from '../../shared/api/kinds/pod.ts';
import { fitErrorMessage } from './fit-error.ts';
import { addPod, holdsResources, nodeInfo, podInfo, type NodeInfo, type PodInfo } from './node-info.ts';
import type { FilterPlugin } from './plugins/filter.ts';
import { nodeAffinity } from './plugins/node-affinity.ts';
import { nodePorts } from './plugins/node-ports.ts';
import { nodeResourcesFit } from './plugins/node-resources-fit.ts';
import { nodeUnschedulable } from './plugins/node-unschedulable.ts';
import { taintToleration } from './plugins/taint-toleration.ts';
import { scoreNodes, type OwnerCounts } from './scoring.ts';

/** The default profile's filter order (NodeUnschedulable, TaintToleration, NodeAffinity, NodePorts, NodeResourcesFit). */
export const FILTERS: FilterPlugin[] = [nodeUnschedulable, taintToleration, nodeAffinity, nodePorts, nodeResourcesFit];

export type ScheduleResult = { node: string } | { unschedulable: string };

/** The nodes and the pods on them, as one scheduling cycle sees them; mutated as the batch places pods. */
export class Snapshot {
  readonly nodes: NodeInfo[];
  private readonly byName = new Map<string, NodeInfo>();
  private readonly owners = new Map<string, OwnerCounts>();
  /** Where the next search starts, so successive pods do not all examine the same nodes first (as kube-scheduler). */
  private nextStart = 0;

  constructor(nodes: Node[], pods: Pod[]) {
    this.nodes = nodes.map(nodeInfo);
    for (const n of this.nodes) this.byName.set(n.name, n);
    for (const p of pods) {
      if (!holdsResources(p)) continue;
      const info = this.byName.get(p.spec.nodeName!);
      if (info) this.place(podInfo(p), info);
    }
  }

  node(name: string): NodeInfo | undefined {
    return this.byName.get(name);
  }

  ownerCounts(uid: string | undefined): OwnerCounts | undefined {
    return uid === undefined ? undefined : this.owners.get(uid);
  }

  /** Accounts the pod on the node. */
  place(pod: PodInfo, node: NodeInfo): void {
    addPod(node, pod);
    if (pod.ownerUid === undefined) return;
    let counts = this.owners.get(pod.ownerUid);
    if (!counts) this.owners.set(pod.ownerUid, (counts = { byNode: new Map(), byZone: new Map() }));
    counts.byNode.set(node.name, (counts.byNode.get(node.name) ?? 0) + 1);
    if (node.zone !== undefined) counts.byZone.set(node.zone, (counts.byZone.get(node.zone) ?? 0) + 1);
  }

  /** Advances the rotating start index and returns the previous one. */
  takeStart(examined: number): number {
    const start = this.nextStart;
    if (this.nodes.length) this.nextStart = (start + examined) % this.nodes.length;
    return start;
  }
}

/** The filters a pod fails on a node (first failing plugin's reasons), or undefined when it fits. */
export function filterNode(pod: PodInfo, node: NodeInfo): string[] | undefined {
  for (const f of FILTERS) {
    const r = f(pod, node);
    if (!r.ok) return r.reasons;
  }
  return undefined;
}

const MIN_FEASIBLE_NODES = 100;
const MIN_PERCENTAGE = 5;

/** kube-scheduler's adaptive percentageOfNodesToScore: stop filtering after enough feasible nodes on big clusters. */
export function numFeasibleNodesToFind(numAllNodes: number): number {
  if (numAllNodes < MIN_FEASIBLE_NODES) return numAllNodes;
  const percentage = Math.max(MIN_PERCENTAGE, 50 - Math.floor(numAllNodes / 125));
  return Math.max(MIN_FEASIBLE_NODES, Math.floor((numAllNodes * percentage) / 100));
}

/** One scheduling cycle for one pod against the snapshot; on success the pod is accounted on its node. */
export function scheduleOne(pod: Pod, snapshot: Snapshot): ScheduleResult {
  const info = podInfo(pod);
  const all = snapshot.nodes;
  if (all.length === 0) return { unschedulable: fitErrorMessage(0, []) };
  const want = numFeasibleNodesToFind(all.length);
  const feasible: NodeInfo[] = [];
  const failures: string[][] = [];
  const start = snapshot.takeStart(0);
  let examined = 0;
  for (; examined < all.length && feasible.length < want; examined++) {
    const node = all[(start + examined) % all.length];
    const reasons = filterNode(info, node);
    if (reasons) failures.push(reasons);
    else feasible.push(node);
  }
  snapshot.takeStart(examined);
  if (feasible.length === 0) return { unschedulable: fitErrorMessage(all.length, failures) };
  let best = 0;
  if (feasible.length > 1) {
    const scores = scoreNodes(info, feasible, snapshot.ownerCounts(info.ownerUid));
    for (let i = 1; i < scores.length; i++) if (scores[i] > scores[best]) best = i;
  }
  snapshot.place(info, feasible[best]);
  return { node: feasible[best].name };
}

/** Places one pod given the nodes and every pod (bound pods count against their nodes). */
export function schedule(pod: Pod, nodes: Node[], pods: Pod[]): ScheduleResult {
  return scheduleOne(pod, new Snapshot(nodes, pods));
}

export interface Placement {
  pod: Pod;
  result: ScheduleResult;
}

/**
 * Places pending pods in order against one snapshot. Pods that already have a node or are gated are skipped
 * (not in the result). The caller binds each placed pod and, when a bind is refused (another scheduler won the
 * node), simply leaves the pod pending for the next cycle.
 */
export function scheduleBatch(pending: Pod[], snapshot: Snapshot): Placement[] {
  const out: Placement[] = [];
  for (const pod of pending) {
    if (pod.spec.nodeName || pod.spec.schedulingGates?.length || pod.metadata.deletionTimestamp) continue;
    out.push({ pod, result: scheduleOne(pod, snapshot) });
  }
  return out;
}
