/**
 * framework.FitError.Error(): "0/3 nodes are available: 2 Insufficient cpu, 1 node(s) were unschedulable."
 * Each node contributes each of its reasons once; the "count reason" strings are sorted as strings.
 */
export function fitErrorMessage(numAllNodes: number, reasonsByNode: Iterable<string[]>): string {
  const histogram = new Map<string, number>();
  for (const reasons of reasonsByNode) for (const r of reasons) histogram.set(r, (histogram.get(r) ?? 0) + 1);
  const parts = [...histogram].map(([reason, n]) => `${n} ${reason}`).sort();
  let msg = `0/${numAllNodes} nodes are available:`;
  if (parts.length) msg += ` ${parts.join(', ')}.`;
  return msg;
}
