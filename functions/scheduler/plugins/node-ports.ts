/** NodePorts: a host port (protocol, port) is taken if held on the same IP or on the wildcard 0.0.0.0. */
import type { HostPort, NodeInfo, PodInfo } from '../node-info.ts';
import type { FilterResult } from './filter.ts';

export const REASON_NODE_PORTS = "node(s) didn't have free ports for the requested pod ports";

const WILDCARD = '0.0.0.0';

export function portsConflict(a: HostPort, b: HostPort): boolean {
  if (a.port !== b.port || a.protocol !== b.protocol) return false;
  return a.hostIP === b.hostIP || a.hostIP === WILDCARD || b.hostIP === WILDCARD;
}

export function nodePorts(pod: PodInfo, node: NodeInfo): FilterResult {
  if (pod.hostPorts.length === 0) return { ok: true };
  const conflict = pod.hostPorts.some((want) => node.usedPorts.some((used) => portsConflict(want, used)));
  return conflict ? { ok: false, reasons: [REASON_NODE_PORTS] } : { ok: true };
}
