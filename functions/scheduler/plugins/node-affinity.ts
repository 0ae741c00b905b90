/** NodeAffinity (with nodeSelector): the pod's required node selector terms against the node's labels and name. */
import type { Node } from '../../../shared/api/kinds/node.ts';
import type { NodeInfo, PodInfo } from '../node-info.ts';
import type { FilterResult } from './filter.ts';

export const REASON_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector";

export interface NodeSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}
export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}

function matchesRequirement(r: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      if (value === undefined || values.length !== 1) return false;
      const have = Number.parseInt(value, 10);
      const want = Number.parseInt(values[0], 10);
      if (Number.isNaN(have) || Number.isNaN(want)) return false;
      return r.operator === 'Gt' ? have > want : have < want;
    }
    default:
      return false;
  }
}

/** A term with no requirements matches nothing (nodeaffinity.NodeSelector semantics). */
export function matchesTerm(term: NodeSelectorTerm, node: Node): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata.labels ?? {};
  return (
    exprs.every((r) => matchesRequirement(r, labels[r.key])) &&
    fields.every((r) => r.key === 'metadata.name' && matchesRequirement(r, node.metadata.name))
  );
}

export function requiredTerms(pod: PodInfo): NodeSelectorTerm[] | undefined {
  const affinity = pod.pod.spec.affinity as
    | { nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: NodeSelectorTerm[] } } }
    | undefined;
  return affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
}

export function matchesNodeSelectorAndAffinity(pod: PodInfo, node: Node): boolean {
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(pod.pod.spec.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const terms = requiredTerms(pod);
  if (terms === undefined) return true;
  return terms.some((t) => matchesTerm(t, node));
}

export function nodeAffinity(pod: PodInfo, node: NodeInfo): FilterResult {
  return matchesNodeSelectorAndAffinity(pod, node.node) ? { ok: true } : { ok: false, reasons: [REASON_NODE_AFFINITY] };
}
