import { describe, expect, it } from 'vitest';
import { CONTROLLER_REVISION_HASH } from '../../../functions/controllers/history.ts';
import { POD_INDEX_LABEL, POD_NAME_LABEL, reconcileStatefulSet } from '../../../functions/controllers/statefulset.ts';
import type { Action } from '../../../functions/controllers/types.ts';
import type { ControllerRevision } from '../../../shared/api/kinds/controllerrevision.ts';
import type { PersistentVolumeClaim } from '../../../shared/api/kinds/persistentvolumeclaim.ts';
import type { Pod } from '../../../shared/api/kinds/pod.ts';
import type { StatefulSet } from '../../../shared/api/kinds/statefulset.ts';
import { iso, ownerRef, pod, T0 } from './builders.ts';

function statefulSet(o: { replicas?: number; image?: string; spec?: Partial<StatefulSet['spec']>; status?: StatefulSet['status'] } = {}): StatefulSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'db', namespace: 'default', uid: 'uid-db', generation: 1 },
    spec: {
      replicas: o.replicas ?? 3,
      selector: { matchLabels: { app: 'db' } },
      serviceName: 'db-headless',
      template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'c', image: o.image ?? 'db:1' }], restartPolicy: 'Always' } },
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      ...o.spec,
    },
    ...(o.status ? { status: o.status } : {}),
  };
}


/** The object a create or update action writes. */
function objectOf<T>(a: Action | undefined): T {
  if (a?.type !== 'create' && a?.type !== 'update') throw new Error(`not a create or update: ${JSON.stringify(a)}`);
  return a.object as unknown as T;
}

const owner = ownerRef('StatefulSet', 'db');

/** The update revision name for a set's template. */
function revisionName(set: StatefulSet): string {
  const r = reconcileStatefulSet({ statefulSet: set, pods: [], pvcs: [], now: T0 });
  return r.status!.updateRevision!;
}

function spod(ordinal: number, o: { rev?: string; ready?: boolean; phase?: string; deleting?: boolean } = {}): Pod {
  const name = `db-${ordinal}`;
  return pod({
    name,
    owner,
    nodeName: 'n1',
    labels: { app: 'db', [CONTROLLER_REVISION_HASH]: o.rev ?? 'db-old', [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal) },
    ready: o.ready ?? true,
    phase: o.phase,
    deleting: o.deleting,
  });
}

function pvc(name: string): PersistentVolumeClaim {
  return { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: 'default', uid: `uid-${name}` }, spec: { accessModes: ['ReadWriteOnce'] } };
}

const created = (actions: Action[], kind: string) => actions.flatMap((a) => (a.type === 'create' && a.object.kind === kind ? [a.object.metadata.name] : []));
const deleted = (actions: Action[], kind = 'Pod') => actions.flatMap((a) => (a.type === 'delete' && a.ref.kind === kind ? [a.ref.name] : []));

describe('reconcileStatefulSet', () => {
  it('creates ordinal 0 first with its claim, stable identity and claim volume', () => {
    const set = statefulSet();
    const r = reconcileStatefulSet({ statefulSet: set, pods: [], pvcs: [], now: T0 });
    const kinds = r.actions.map((a) => (a.type === 'create' ? `${a.object.kind}/${a.object.metadata.name}` : a.type));
    expect(kinds).toEqual([`ControllerRevision/${revisionName(set)}`, 'PersistentVolumeClaim/data-db-0', 'Pod/db-0']);
    const p = objectOf<Pod>(r.actions[2]);
    expect(p.metadata.labels).toEqual({ app: 'db', [CONTROLLER_REVISION_HASH]: revisionName(set), [POD_NAME_LABEL]: 'db-0', [POD_INDEX_LABEL]: '0' });
    expect(p.spec.hostname).toBe('db-0');
    expect(p.spec.subdomain).toBe('db-headless');
    expect(p.spec.volumes).toEqual([{ name: 'data', persistentVolumeClaim: { claimName: 'data-db-0' } }]);
    expect(p.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'StatefulSet', uid: 'uid-db', controller: true })]);
    const claim = objectOf<PersistentVolumeClaim>(r.actions[1]);
    expect(claim.metadata.labels).toEqual({ app: 'db' });
    expect(claim.metadata.ownerReferences).toBeUndefined();
    expect(claim.spec).toEqual({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } });
    expect(r.status).toMatchObject({ replicas: 0, currentRevision: revisionName(set), updateRevision: revisionName(set), observedGeneration: 1 });
  });

  it.each<[string, Partial<StatefulSet['spec']>, Pod[], string[], string[]]>([
    ['waits while ordinal 0 is not ready', {}, [spod(0, { ready: false })], [], []],
    ['creates ordinal 1 once ordinal 0 is running and ready', {}, [spod(0)], ['db-1'], []],
    ['fills a gap in the ordinals before going on', {}, [spod(0), spod(2)], ['db-1'], []],
    ['waits while a pod is terminating', {}, [spod(0, { deleting: true }), spod(1)], [], []],
    ['creates every missing ordinal at once with Parallel', { podManagementPolicy: 'Parallel' }, [spod(1, { ready: false })], ['db-0', 'db-2'], []],
    ['scales down from the highest ordinal, one at a time', { replicas: 1 }, [spod(0), spod(1), spod(2)], [], ['db-2']],
    ['does not scale down while a remaining pod is unhealthy', { replicas: 1 }, [spod(0, { ready: false }), spod(1), spod(2)], [], []],
    ['waits for a terminating pod before the next scale-down', { replicas: 1 }, [spod(0), spod(1), spod(2, { deleting: true })], [], []],
    ['scales down all at once with Parallel', { replicas: 1, podManagementPolicy: 'Parallel' }, [spod(0), spod(1), spod(2)], [], ['db-2', 'db-1']],
    ['recreates a failed pod once it is gone', {}, [spod(0), spod(1, { phase: 'Failed', ready: false })], [], ['db-1']],
  ])('%s', (_name, spec, pods, creates, deletes) => {
    const set = statefulSet({ spec: { replicas: 3, ...spec } });
    const rev = revisionName(set);
    for (const p of pods) p.metadata.labels![CONTROLLER_REVISION_HASH] = rev;
    const r = reconcileStatefulSet({ statefulSet: set, pods, pvcs: [], now: T0 });
    expect(created(r.actions, 'Pod')).toEqual(creates);
    expect(deleted(r.actions)).toEqual(deletes);
  });

  it('keeps claims when scaling down (Retain) and reuses them when scaling back up', () => {
    const set = statefulSet({ replicas: 2 });
    const rev = revisionName(set);
    const pvcs = ['data-db-0', 'data-db-1', 'data-db-2'].map(pvc);
    const down = reconcileStatefulSet({ statefulSet: set, pods: [spod(0, { rev }), spod(1, { rev }), spod(2, { rev })], pvcs, now: T0 });
    expect(deleted(down.actions)).toEqual(['db-2']);
    expect(deleted(down.actions, 'PersistentVolumeClaim')).toEqual([]);
    const up = reconcileStatefulSet({ statefulSet: statefulSet({ replicas: 3 }), pods: [spod(0, { rev }), spod(1, { rev })], pvcs, now: T0 });
    expect(created(up.actions, 'Pod')).toEqual(['db-2']);
    expect(created(up.actions, 'PersistentVolumeClaim')).toEqual([]);
  });

  it('deletes the claims of removed ordinals with whenScaled=Delete once their pods are gone', () => {
    const set = statefulSet({ replicas: 1, spec: { persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Delete' } } });
    const rev = revisionName(set);
    const r = reconcileStatefulSet({ statefulSet: set, pods: [spod(0, { rev }), spod(1, { rev, deleting: true })], pvcs: ['data-db-0', 'data-db-1', 'data-db-2'].map(pvc), now: T0 });
    expect(deleted(r.actions, 'PersistentVolumeClaim')).toEqual(['data-db-2']);
  });

  it('makes the set own its claims with whenDeleted=Delete', () => {
    const set = statefulSet({ spec: { persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Retain' } } });
    const r = reconcileStatefulSet({ statefulSet: set, pods: [], pvcs: [], now: T0 });
    const claim = { object: objectOf<PersistentVolumeClaim>(r.actions.find((a) => a.type === 'create' && a.object.kind === 'PersistentVolumeClaim')) };
    expect(claim.object.metadata.ownerReferences).toEqual([expect.objectContaining({ uid: 'uid-db', controller: false })]);
  });

  it('creates a missing claim for an existing pod', () => {
    const set = statefulSet({ replicas: 1 });
    const r = reconcileStatefulSet({ statefulSet: set, pods: [spod(0, { rev: revisionName(set) })], pvcs: [], now: T0 });
    expect(created(r.actions, 'PersistentVolumeClaim')).toEqual(['data-db-0']);
  });

  it('starts ordinals at spec.ordinals.start', () => {
    const set = statefulSet({ spec: { ordinals: { start: 5 } } });
    const r = reconcileStatefulSet({ statefulSet: set, pods: [], pvcs: [], now: T0 });
    expect(created(r.actions, 'Pod')).toEqual(['db-5']);
  });

  describe('rolling update', () => {
    const v1 = statefulSet();
    const v2 = statefulSet({ image: 'db:2' });
    const r1 = () => revisionName(v1);
    const r2 = () => revisionName(v2);
    const revisionsFor = (): ControllerRevision[] =>
      [v1, v2].map((s, i) => {
        const a = { object: objectOf<ControllerRevision>(reconcileStatefulSet({ statefulSet: s, pods: [], pvcs: [], now: T0 }).actions[0]) };
        return { ...a.object, revision: i + 1, metadata: { ...a.object.metadata, uid: `uid-rev-${i}` } };
      });

    it.each<[string, number, () => Pod[], string[]]>([
      ['deletes the highest ordinal not at the update revision', 0, () => [spod(0, { rev: r1() }), spod(1, { rev: r1() }), spod(2, { rev: r1() })], ['db-2']],
      ['goes on once the updated pod is healthy', 0, () => [spod(0, { rev: r1() }), spod(1, { rev: r1() }), spod(2, { rev: r2() })], ['db-1']],
      ['waits while the updated pod is not ready', 0, () => [spod(0, { rev: r1() }), spod(1, { rev: r1() }), spod(2, { rev: r2(), ready: false })], []],
      ['stops at the partition', 2, () => [spod(0, { rev: r1() }), spod(1, { rev: r1() }), spod(2, { rev: r2() })], []],
    ])('%s', (_name, partition, pods, deletes) => {
      const set = statefulSet({ image: 'db:2', spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition } } }, status: { currentRevision: r1() } });
      const r = reconcileStatefulSet({ statefulSet: set, pods: pods(), pvcs: ['data-db-0', 'data-db-1', 'data-db-2'].map(pvc), revisions: revisionsFor(), now: T0 });
      expect(deleted(r.actions)).toEqual(deletes);
      expect(created(r.actions, 'ControllerRevision')).toEqual([]);
    });

    it('recreates a pod below the partition from the current revision', () => {
      const set = statefulSet({ image: 'db:2', spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } }, status: { currentRevision: r1() } });
      const r = reconcileStatefulSet({ statefulSet: set, pods: [spod(1, { rev: r1() }), spod(2, { rev: r2() })], pvcs: [], revisions: revisionsFor(), now: T0 });
      const p = { object: objectOf<Pod>(r.actions.find((a) => a.type === 'create' && a.object.kind === 'Pod')) };
      expect(p.object.metadata.name).toBe('db-0');
      expect(p.object.spec.containers[0].image).toBe('db:1');
      expect(p.object.metadata.labels?.[CONTROLLER_REVISION_HASH]).toBe(r1());
    });

    it.each<[string, () => Pod[], object]>([
      [
        'reports a rollout in progress, not counting the pod it deletes as current',
        () => [spod(0, { rev: r1() }), spod(1, { rev: r1() }), spod(2, { rev: r2() })],
        { replicas: 3, readyReplicas: 3, currentReplicas: 1, updatedReplicas: 1 },
      ],
      ['completes the rollout once every pod is updated and ready', () => [spod(0, { rev: r2() }), spod(1, { rev: r2() }), spod(2, { rev: r2() })], { replicas: 3, currentReplicas: 3, updatedReplicas: 3 }],
    ])('%s', (_name, pods, expected) => {
      const set = statefulSet({ image: 'db:2', status: { currentRevision: r1() } });
      const r = reconcileStatefulSet({ statefulSet: set, pods: pods(), pvcs: [], revisions: revisionsFor(), now: T0 });
      expect(r.status).toMatchObject(expected);
      expect(r.status?.updateRevision).toBe(r2());
      expect(r.status?.currentRevision).toBe((expected as { updatedReplicas: number }).updatedReplicas === 3 ? r2() : r1());
    });
  });

  it('counts available replicas after minReadySeconds and asks to be called again', () => {
    const set = statefulSet({ replicas: 1, spec: { minReadySeconds: 30 } });
    const p = spod(0, { rev: revisionName(set) });
    const r = reconcileStatefulSet({ statefulSet: set, pods: [p], pvcs: [pvc('data-db-0')], now: new Date(T0.getTime() + 10_000) });
    expect(r.status).toMatchObject({ readyReplicas: 1, availableReplicas: 0 });
    expect(r.requeueAfterMs).toBe(20_000);
  });

  it('only updates status while being deleted', () => {
    const set = statefulSet();
    set.metadata.deletionTimestamp = iso(T0);
    const r = reconcileStatefulSet({ statefulSet: set, pods: [spod(0)], pvcs: [], now: T0 });
    expect(r.actions.filter((a) => a.type !== 'create' || a.object.kind !== 'ControllerRevision')).toEqual([]);
    expect(r.status).toMatchObject({ replicas: 1 });
  });
});

/** API + kubelet for a StatefulSet: pods become Running and Ready a tick after creation, terminating pods vanish. */
class StatefulSim {
  pods: Pod[] = [];
  pvcs: PersistentVolumeClaim[] = [];
  revisions: ControllerRevision[] = [];
  now = new Date(T0.getTime());
  log: string[] = [];
  stuck = new Set<string>();

  constructor(public set: StatefulSet) {}

  reconcile(): void {
    const r = reconcileStatefulSet({ statefulSet: this.set, pods: this.pods, pvcs: this.pvcs, revisions: this.revisions, now: this.now });
    for (const a of r.actions) {
      if (a.type === 'create') {
        const obj = structuredClone(a.object);
        obj.metadata.uid = `uid-${obj.metadata.name}`;
        if (obj.kind === 'Pod') {
          if (this.pods.some((p) => p.metadata.name === obj.metadata.name)) throw new Error(`AlreadyExists ${obj.metadata.name}`);
          (obj as Pod).status = { phase: 'Pending' };
          this.pods.push(obj as Pod);
          this.log.push(`+${obj.metadata.name}`);
        } else if (obj.kind === 'PersistentVolumeClaim') this.pvcs.push(obj as PersistentVolumeClaim);
        else if (obj.kind === 'ControllerRevision') this.revisions.push(obj as ControllerRevision);
      } else if (a.type === 'delete' && a.ref.kind === 'Pod') {
        for (const p of this.pods) {
          if (p.metadata.uid === a.preconditionUid && !p.metadata.deletionTimestamp) {
            p.metadata.deletionTimestamp = iso(this.now);
            this.log.push(`-${p.metadata.name}`);
          }
        }
      }
    }
    if (r.status) this.set.status = r.status;
  }

  tick(): void {
    this.now = new Date(this.now.getTime() + 1000);
    this.pods = this.pods.filter((p) => !p.metadata.deletionTimestamp);
    for (const p of this.pods) {
      if (p.status?.phase === 'Pending' && !this.stuck.has(p.metadata.name!)) {
        p.spec.nodeName = 'n1';
        p.status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: iso(this.now) }] };
      }
    }
  }

  settle(rounds = 30): void {
    for (let i = 0; i < rounds; i++) {
      this.reconcile();
      this.tick();
    }
  }
}

describe('a StatefulSet over time', () => {
  it('creates pods in order, each after the previous is ready, and removes them in reverse order', () => {
    const sim = new StatefulSim(statefulSet({ replicas: 3 }));
    sim.reconcile();
    sim.reconcile();
    expect(sim.log).toEqual(['+db-0']);
    sim.settle();
    expect(sim.log).toEqual(['+db-0', '+db-1', '+db-2']);
    expect(sim.pvcs.map((c) => c.metadata.name)).toEqual(['data-db-0', 'data-db-1', 'data-db-2']);
    expect(sim.set.status).toMatchObject({ replicas: 3, readyReplicas: 3, availableReplicas: 3 });

    sim.set.spec.replicas = 0;
    sim.settle();
    expect(sim.log.slice(3)).toEqual(['-db-2', '-db-1', '-db-0']);
    expect(sim.pvcs).toHaveLength(3);
  });

  it('does not go past a pod that never becomes ready', () => {
    const sim = new StatefulSim(statefulSet({ replicas: 3 }));
    sim.stuck.add('db-1');
    sim.settle();
    expect(sim.pods.map((p) => p.metadata.name)).toEqual(['db-0', 'db-1']);
  });

  it('rolls an update from the highest ordinal down and then makes it current', () => {
    const sim = new StatefulSim(statefulSet({ replicas: 3 }));
    sim.settle();
    sim.log = [];
    sim.set = { ...sim.set, metadata: { ...sim.set.metadata, generation: 2 }, spec: { ...sim.set.spec, template: statefulSet({ image: 'db:2' }).spec.template } };
    sim.settle(40);
    expect(sim.log).toEqual(['-db-2', '+db-2', '-db-1', '+db-1', '-db-0', '+db-0']);
    expect(sim.pods.map((p) => p.spec.containers[0].image)).toEqual(['db:2', 'db:2', 'db:2']);
    expect(sim.set.status?.currentRevision).toBe(sim.set.status?.updateRevision);
    expect(sim.set.status).toMatchObject({ currentReplicas: 3, updatedReplicas: 3, observedGeneration: 2 });
    expect(sim.revisions.map((r) => r.revision)).toEqual([1, 2]);
  });
});
