/**
 * A tiny in-memory cluster for driving the pure controllers through many reconciles: it applies their
 * actions like the API would (names, uids, timestamps, graceful deletion), and plays the kubelet (pods
 * become Ready one tick after creation; terminating pods vanish one tick after deletion).
 */
import type { Deployment } from '../../../shared/api/kinds/deployment.ts';
import type { Pod } from '../../../shared/api/kinds/pod.ts';
import type { ReplicaSet } from '../../../shared/api/kinds/replicaset.ts';
import type { KubeObject } from '../../../shared/api/object.ts';
import { reconcileDeployment } from '../../../functions/controllers/deployment.ts';
import { reconcileReplicaSet } from '../../../functions/controllers/replicaset.ts';
import type { Action, ReconcileResult } from '../../../functions/controllers/types.ts';
import { iso, T0 } from './builders.ts';

export class ClusterSim {
  deployment: Deployment;
  replicaSets: ReplicaSet[] = [];
  pods: Pod[] = [];
  now = new Date(T0.getTime());
  private seq = 0;
  /** Pods that must not become ready (to simulate a broken image). */
  neverReady = (_p: Pod) => false;

  constructor(d: Deployment) {
    this.deployment = structuredClone(d);
  }

  private stamp(obj: KubeObject): void {
    this.seq += 1;
    if (!obj.metadata.name) obj.metadata.name = `${obj.metadata.generateName}${this.seq.toString(36).padStart(5, '0')}`;
    obj.metadata.uid = `uid-${obj.metadata.name}`;
    obj.metadata.creationTimestamp = iso(this.now);
    obj.metadata.generation = 1;
  }

  apply(actions: Action[]): void {
    for (const a of actions) {
      if (a.type === 'create') {
        const obj = structuredClone(a.object);
        this.stamp(obj);
        if (obj.kind === 'ReplicaSet') this.replicaSets.push(obj as ReplicaSet);
        else if (obj.kind === 'Pod') {
          (obj as Pod).status = { phase: 'Pending' };
          this.pods.push(obj as Pod);
        }
      } else if (a.type === 'update') {
        if (a.object.kind === 'ReplicaSet') {
          this.replicaSets = this.replicaSets.map((rs) => {
            if (rs.metadata.uid !== a.object.metadata.uid) return rs;
            const next = structuredClone(a.object) as ReplicaSet;
            next.status = rs.status;
            if (JSON.stringify(next.spec) !== JSON.stringify(rs.spec)) next.metadata.generation = (rs.metadata.generation ?? 1) + 1;
            return next;
          });
        } else if (a.object.kind === 'Deployment') {
          this.deployment.metadata = structuredClone(a.object.metadata);
        } else if (a.object.kind === 'Pod') {
          this.pods = this.pods.map((p) => (p.metadata.uid === a.object.metadata.uid ? (structuredClone(a.object) as Pod) : p));
        }
      } else if (a.type === 'delete') {
        if (a.ref.kind === 'Pod') {
          for (const p of this.pods) if (p.metadata.uid === a.preconditionUid && !p.metadata.deletionTimestamp) p.metadata.deletionTimestamp = iso(this.now);
        } else if (a.ref.kind === 'ReplicaSet') {
          this.replicaSets = this.replicaSets.filter((rs) => rs.metadata.uid !== a.preconditionUid);
        }
      }
    }
  }

  reconcileDeployment(): ReconcileResult {
    const r = reconcileDeployment({ deployment: this.deployment, replicaSets: this.replicaSets, pods: this.pods, now: this.now });
    this.apply(r.actions);
    if (r.status) this.deployment.status = r.status as Deployment['status'];
    return r;
  }

  reconcileReplicaSets(): void {
    for (const rs of [...this.replicaSets]) {
      const r = reconcileReplicaSet({ replicaSet: rs, pods: this.pods, now: this.now });
      this.apply(r.actions);
      if (r.status) {
        const current = this.replicaSets.find((x) => x.metadata.uid === rs.metadata.uid);
        if (current) current.status = r.status;
      }
    }
  }

  /** The kubelet and time: one second passes; pending pods start and become ready, terminating pods go away. */
  tick(): void {
    this.now = new Date(this.now.getTime() + 1000);
    this.pods = this.pods.filter((p) => !p.metadata.deletionTimestamp);
    for (const p of this.pods) {
      if (p.status?.phase === 'Pending' && !this.neverReady(p)) {
        p.spec.nodeName = 'node-1';
        p.status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: iso(this.now) }] };
      }
    }
  }

  activePods(): Pod[] {
    return this.pods.filter((p) => !p.metadata.deletionTimestamp);
  }

  availablePods(): number {
    return this.activePods().filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
  }
}
