/** NodeResourcesFit: pod count, CPU, memory and extended resources against what is left of allocatable. */
import type { NodeInfo, PodInfo } from '../node-info.ts';
import type { FilterResult } from './filter.ts';

export function nodeResourcesFit(pod: PodInfo, node: NodeInfo): FilterResult {
  const reasons: string[] = [];
  const a = node.allocatable;
  const r = node.requested;
  if (node.podCount + 1 > a.pods) reasons.push('Too many pods');
  const want = pod.requests;
  if (want.milliCPU > 0 && want.milliCPU > a.milliCPU - r.milliCPU) reasons.push('Insufficient cpu');
  if (want.memory > 0 && want.memory > a.memory - r.memory) reasons.push('Insufficient memory');
  for (const [name, q] of Object.entries(want.scalar)) {
    if (q > 0 && q > (a.scalar[name] ?? 0) - (r.scalar[name] ?? 0)) reasons.push(`Insufficient ${name}`);
  }
  return reasons.length ? { ok: false, reasons } : { ok: true };
}
