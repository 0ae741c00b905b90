/**
 * The node's heartbeats, as the kubelet sends them: the Lease in kube-node-lease renewed every 10 s (one PUT of
 * the cached Lease, so an idle node costs one request per renewal), and the Node's status (conditions with
 * lastHeartbeatTime) posted every 5 minutes, or at the next renewal after one failed (the node lifecycle
 * controller may have marked the node Unknown meanwhile).
 */
import type { Lease } from '../../shared/api/kinds/lease.ts';
import type { Node } from '../../shared/api/kinds/node.ts';
import { isReason, type NodeApi } from '../api-client.ts';
import { microStamp, nodeStatus, stamp, type NodeFacts } from './node-object.ts';
import { LEASE_NAMESPACE } from './node-registration.ts';

export const LEASE_DURATION_SECONDS = 40;
export const LEASE_RENEW_MS = 10_000;
/** The kubelet's nodeStatusReportFrequency. */
export const NODE_STATUS_REPORT_MS = 5 * 60_000;

export class NodeHeartbeat {
  private lease: Lease | undefined;
  private lastStatusAt = 0;
  private statusStale = false;

  constructor(
    private readonly api: NodeApi,
    private readonly facts: NodeFacts,
    private readonly now: () => number = Date.now,
    private readonly leaseDurationSeconds: number = LEASE_DURATION_SECONDS,
  ) {}

  /** Called after registration, which just posted the status. */
  statusPosted(at: number): void {
    this.lastStatusAt = at;
    this.statusStale = false;
  }

  /** One heartbeat: renew the Lease, and post the Node's status when due. Never throws. */
  async beat(): Promise<{ leaseRenewed: boolean; statusPosted: boolean; error?: unknown }> {
    let leaseRenewed = false;
    let statusPosted = false;
    try {
      await this.renewLease();
      leaseRenewed = true;
      if (this.statusStale || this.now() - this.lastStatusAt >= NODE_STATUS_REPORT_MS) {
        await this.postStatus();
        statusPosted = true;
      }
      return { leaseRenewed, statusPosted };
    } catch (error) {
      this.statusStale = true;
      return { leaseRenewed, statusPosted, error };
    }
  }

  async renewLease(): Promise<Lease> {
    const renewTime = microStamp(this.now());
    for (let attempt = 0; attempt < 3; attempt++) {
      if (this.lease) {
        try {
          this.lease = await this.api.update<Lease>({ ...this.lease, spec: { ...(this.lease.spec ?? {}), holderIdentity: this.facts.name, leaseDurationSeconds: this.leaseDurationSeconds, renewTime } });
          return this.lease;
        } catch (err) {
          if (!isReason(err, 'Conflict', 'NotFound')) throw err;
          this.lease = undefined;
        }
      }
      this.lease = await this.api.get<Lease>('coordination.k8s.io/leases', LEASE_NAMESPACE, this.facts.name);
      if (this.lease) continue;
      const node = await this.api.get<Node>('core/nodes', '', this.facts.name);
      try {
        this.lease = await this.api.create<Lease>({
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: {
            name: this.facts.name,
            namespace: LEASE_NAMESPACE,
            ...(node?.metadata.uid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: this.facts.name, uid: node.metadata.uid }] } : {}),
          },
          spec: { holderIdentity: this.facts.name, leaseDurationSeconds: this.leaseDurationSeconds, renewTime },
        });
        return this.lease;
      } catch (err) {
        if (!isReason(err, 'AlreadyExists')) throw err;
      }
    }
    throw new Error(`could not renew the lease of node ${this.facts.name}`);
  }

  async postStatus(): Promise<Node> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.api.get<Node>('core/nodes', '', this.facts.name);
      if (!current) throw new Error(`node ${this.facts.name} is gone`);
      try {
        const written = await this.api.updateStatus<Node>({ ...current, status: nodeStatus(this.facts, stamp(this.now()), current.status) });
        this.statusPosted(this.now());
        return written;
      } catch (err) {
        if (!isReason(err, 'Conflict')) throw err;
      }
    }
    throw new Error(`could not post the status of node ${this.facts.name}`);
  }
}
