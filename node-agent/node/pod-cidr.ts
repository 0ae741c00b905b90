/**
 * The node's own pod CIDR: a /24 of the cluster's pod range (10.244.0.0/16) that no other Node uses. Without a
 * node-IPAM controller the agents pick for themselves, and two agents starting together could pick the same
 * one; so a pick is only taken once its claim, a Lease named after the CIDR in kube-node-lease, is *created*:
 * create is a conditional write in the store, so exactly one agent wins each CIDR and the loser picks again.
 * The claim is owned by the Node, so deleting the Node frees it (the garbage collector removes the claim; an
 * agent also treats a claim whose holder Node is gone as free).
 */
import { cidrRange, intToIp, ipToInt } from '../pod/ip-allocator.ts';

export const CLUSTER_POD_CIDR = '10.244.0.0/16';
export const NODE_CIDR_PREFIX = 24;
export const CLAIM_LABEL = 'zeroplane.io/pod-cidr-claim';

/** Every node-sized block of the cluster range, in order. */
export function nodeCidrs(clusterCidr = CLUSTER_POD_CIDR, prefix = NODE_CIDR_PREFIX): string[] {
  const range = cidrRange(clusterCidr);
  if (prefix < range.prefix) throw new Error(`node prefix /${prefix} is larger than the cluster range ${clusterCidr}`);
  const count = 2 ** (prefix - range.prefix);
  const step = 2 ** (32 - prefix);
  const base = ipToInt(range.network);
  return Array.from({ length: count }, (_, i) => `${intToIp(base + i * step)}/${prefix}`);
}

/** The first block not taken, or undefined when the range is exhausted. */
export function pickFreeCidr(taken: ReadonlySet<string>, clusterCidr = CLUSTER_POD_CIDR, prefix = NODE_CIDR_PREFIX): string | undefined {
  return nodeCidrs(clusterCidr, prefix).find((c) => !taken.has(c));
}

/** `podcidr-10-244-3-0-24`: a valid object name per CIDR. */
export function claimName(cidr: string): string {
  return `podcidr-${cidr.replaceAll('.', '-').replace('/', '-')}`;
}
