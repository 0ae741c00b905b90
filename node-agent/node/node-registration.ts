/**
 * Registers this agent's Node (create, or bring an existing one up to date and Ready again after a restart) and
 * gives it a pod CIDR of its own (pod-cidr.ts explains the claim). The kubelet's registerWithAPIServer, plus
 * the node-IPAM step that a cluster without a controller-manager range allocator needs.
 */
import type { Lease } from '../../shared/api/kinds/lease.ts';
import type { Node } from '../../shared/api/kinds/node.ts';
import { isReason, type NodeApi } from '../api-client.ts';
import { inCidr } from '../pod/ip-allocator.ts';
import { newNode, nodeLabels, nodeStatus, stamp, type NodeFacts } from './node-object.ts';
import { CLAIM_LABEL, claimName, CLUSTER_POD_CIDR, pickFreeCidr } from './pod-cidr.ts';

export const LEASE_NAMESPACE = 'kube-node-lease';
const RETRIES = 10;

/** Creates the Node or updates the existing one (labels, providerID, status Ready); returns it as stored. */
export async function registerNode(api: NodeApi, facts: NodeFacts, now: number): Promise<Node> {
  for (let attempt = 0; attempt < RETRIES; attempt++) {
    let current = await api.get<Node>('core/nodes', '', facts.name);
    if (!current) {
      try {
        current = await api.create<Node>(newNode(facts, stamp(now)));
        return current;
      } catch (err) {
        if (!isReason(err, 'AlreadyExists')) throw err;
        continue;
      }
    }
    try {
      const labels = { ...(current.metadata.labels ?? {}), ...nodeLabels(facts) };
      const providerID = newNode(facts, stamp(now)).spec?.providerID;
      const needsSpec = providerID !== undefined && current.spec?.providerID !== providerID;
      if (needsSpec || JSON.stringify(labels) !== JSON.stringify(current.metadata.labels ?? {})) {
        current = await api.update<Node>({ ...current, metadata: { ...current.metadata, labels }, spec: { ...(current.spec ?? {}), ...(providerID ? { providerID } : {}) } });
      }
      return await api.updateStatus<Node>({ ...current, status: nodeStatus(facts, stamp(now), current.status) });
    } catch (err) {
      if (!isReason(err, 'Conflict', 'NotFound')) throw err;
    }
  }
  throw new Error(`could not register node ${facts.name}: kept conflicting`);
}

function claimObject(cidr: string, node: Node): Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: claimName(cidr),
      namespace: LEASE_NAMESPACE,
      labels: { [CLAIM_LABEL]: 'true' },
      annotations: { 'zeroplane.io/pod-cidr': cidr },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: node.metadata.name ?? '', uid: node.metadata.uid ?? '' }],
    },
    spec: { holderIdentity: node.metadata.name ?? '' },
  };
}

/**
 * The node's pod CIDR: the one it already has (its claim re-created if lost), else a free one claimed now and
 * written to spec.podCIDR/podCIDRs. Returns the Node as stored.
 */
export async function ensurePodCidr(api: NodeApi, node: Node, clusterCidr = CLUSTER_POD_CIDR): Promise<Node> {
  const name = node.metadata.name ?? '';
  const existing = node.spec?.podCIDR;
  if (existing) {
    try {
      await api.create(claimObject(existing, node));
    } catch (err) {
      if (!isReason(err, 'AlreadyExists')) throw err;
    }
    return node;
  }
  for (let attempt = 0; attempt < RETRIES; attempt++) {
    const nodes = await api.list<Node>('core/nodes');
    const names = new Set(nodes.items.map((n) => n.metadata.name));
    const taken = new Set(nodes.items.map((n) => n.spec?.podCIDR).filter((c): c is string => !!c));
    const claims = await api.list<Lease>('coordination.k8s.io/leases', LEASE_NAMESPACE, { labelSelector: `${CLAIM_LABEL}=true` });
    for (const claim of claims.items) {
      const cidr = claim.metadata.annotations?.['zeroplane.io/pod-cidr'];
      if (!cidr) continue;
      const holder = claim.spec?.holderIdentity ?? '';
      if (holder === name || names.has(holder)) {
        if (holder === name && !taken.has(cidr)) return setPodCidr(api, name, cidr);
        taken.add(cidr);
        continue;
      }
      // The holder Node is gone: the claim is stale. Only the claim we saw is removed (uid precondition).
      await api.delete({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: LEASE_NAMESPACE, name: claim.metadata.name ?? '' }, { preconditionUid: claim.metadata.uid }).catch((err: unknown) => {
        if (!isReason(err, 'NotFound', 'Conflict')) throw err;
      });
      taken.add(cidr);
    }
    const cidr = pickFreeCidr(taken, clusterCidr);
    if (!cidr) throw new Error(`no free pod CIDR left in ${clusterCidr}`);
    try {
      await api.create(claimObject(cidr, node));
    } catch (err) {
      if (isReason(err, 'AlreadyExists')) continue;
      throw err;
    }
    return setPodCidr(api, name, cidr);
  }
  throw new Error(`could not claim a pod CIDR for node ${name}`);
}

async function setPodCidr(api: NodeApi, name: string, cidr: string): Promise<Node> {
  for (let attempt = 0; attempt < RETRIES; attempt++) {
    const current = await api.get<Node>('core/nodes', '', name);
    if (!current) throw new Error(`node ${name} disappeared while its pod CIDR was being set`);
    if (current.spec?.podCIDR) return current;
    try {
      return await api.update<Node>({ ...current, spec: { ...(current.spec ?? {}), podCIDR: cidr, podCIDRs: [cidr] } });
    } catch (err) {
      if (!isReason(err, 'Conflict')) throw err;
    }
  }
  throw new Error(`could not set the pod CIDR of node ${name}`);
}

/** True when the address belongs to the node's pod CIDR (tests and sanity checks). */
export function isPodIpOf(node: Node, ip: string): boolean {
  return !!node.spec?.podCIDR && inCidr(ip, node.spec.podCIDR);
}
