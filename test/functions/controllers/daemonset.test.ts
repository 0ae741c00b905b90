import { describe, expect, it } from 'vitest';
import { nodeShouldRunDaemonPod, reconcileDaemonSet, targetNodeName } from '../../../functions/controllers/daemonset.ts';
import { CONTROLLER_REVISION_HASH } from '../../../functions/controllers/history.ts';
import type { Action } from '../../../functions/controllers/types.ts';
import type { ControllerRevision } from '../../../shared/api/kinds/controllerrevision.ts';
import type { DaemonSet } from '../../../shared/api/kinds/daemonset.ts';
import type { Node } from '../../../shared/api/kinds/node.ts';
import type { Pod } from '../../../shared/api/kinds/pod.ts';
import { iso, node, ownerRef, pod, T0 } from './builders.ts';

function daemonSet(o: { image?: string; spec?: Partial<DaemonSet['spec']>; podSpec?: Partial<Pod['spec']>; status?: DaemonSet['status'] } = {}): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'default', uid: 'uid-agent', generation: 1 },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image: o.image ?? 'agent:1' }], restartPolicy: 'Always', ...o.podSpec } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      revisionHistoryLimit: 10,
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

const owner = ownerRef('DaemonSet', 'agent');

/** The hash the DaemonSet's current template gets (read from the revision the first reconcile plans). */
function hashOf(ds: DaemonSet): string {
  const r = reconcileDaemonSet({ daemonSet: ds, nodes: [], pods: [], now: T0 });
  const rev = r.actions.find((a) => a.type === 'create' && a.object.kind === 'ControllerRevision');
  return objectOf<ControllerRevision>(rev).metadata.labels![CONTROLLER_REVISION_HASH];
}

function dpod(name: string, nodeName: string, o: { hash?: string; ready?: boolean; phase?: string; created?: string; deleting?: boolean } = {}): Pod {
  const p = pod({ name, owner, nodeName, labels: { app: 'agent', [CONTROLLER_REVISION_HASH]: o.hash ?? 'old' }, ready: o.ready ?? true, phase: o.phase, created: o.created, deleting: o.deleting });
  return p;
}

const creates = (actions: Action[], kind = 'Pod') => actions.flatMap((a) => (a.type === 'create' && a.object.kind === kind ? [a.object] : []));
const deletes = (actions: Action[], kind = 'Pod') => actions.flatMap((a) => (a.type === 'delete' && a.ref.kind === kind ? [a.ref.name] : []));

describe('nodeShouldRunDaemonPod', () => {
  it.each<[string, Partial<Pod['spec']>, Parameters<typeof node>[0], boolean, boolean]>([
    ['runs on a plain node', {}, { name: 'n1' }, true, true],
    ['skips a node the nodeSelector does not match', { nodeSelector: { disk: 'ssd' } }, { name: 'n1' }, false, false],
    ['runs on a node the nodeSelector matches', { nodeSelector: { disk: 'ssd' } }, { name: 'n1', labels: { disk: 'ssd' } }, true, true],
    [
      'skips a node the required node affinity does not match',
      { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } } } },
      { name: 'n1', labels: { zone: 'b' } },
      false,
      false,
    ],
    ['skips a node named differently from the template nodeName', { nodeName: 'n2' }, { name: 'n1' }, false, false],
    ['does not start on an untolerated NoSchedule taint but keeps running', {}, { name: 'n1', taints: [{ key: 'gpu', effect: 'NoSchedule' }] }, false, true],
    ['neither starts nor keeps running on an untolerated NoExecute taint', {}, { name: 'n1', taints: [{ key: 'gpu', effect: 'NoExecute' }] }, false, false],
    ['ignores PreferNoSchedule taints', {}, { name: 'n1', taints: [{ key: 'gpu', effect: 'PreferNoSchedule' }] }, true, true],
    ['runs where the template tolerates the taint', { tolerations: [{ key: 'gpu', operator: 'Exists' }] }, { name: 'n1', taints: [{ key: 'gpu', effect: 'NoExecute' }] }, true, true],
    ['runs on a cordoned node (unschedulable taint tolerated)', {}, { name: 'n1', taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }] }, true, true],
    ['keeps running on a not-ready node (NoExecute tolerated)', {}, { name: 'n1', taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }] }, true, true],
    ['runs on a node under memory pressure', {}, { name: 'n1', taints: [{ key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' }] }, true, true],
    ['does not tolerate network-unavailable without hostNetwork', {}, { name: 'n1', taints: [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }] }, false, true],
    ['tolerates network-unavailable with hostNetwork', { hostNetwork: true }, { name: 'n1', taints: [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }] }, true, true],
  ])('%s', (_name, podSpec, nodeOptions, shouldRun, shouldContinueRunning) => {
    expect(nodeShouldRunDaemonPod(node(nodeOptions), daemonSet({ podSpec }))).toEqual({ shouldRun, shouldContinueRunning });
  });
});

describe('reconcileDaemonSet', () => {
  const nodes = [node({ name: 'n1' }), node({ name: 'n2' }), node({ name: 'n3', labels: { role: 'db' }, taints: [{ key: 'dedicated', effect: 'NoSchedule' }] })];

  it('creates one pod per eligible node, pinned to it by node affinity on metadata.name', () => {
    const ds = daemonSet();
    const r = reconcileDaemonSet({ daemonSet: ds, nodes, pods: [], now: T0 });
    const pods = creates(r.actions) as Pod[];
    expect(pods.map(targetNodeName)).toEqual(['n1', 'n2']);
    const p = pods[0];
    expect(p.metadata.generateName).toBe('agent-');
    expect(p.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'DaemonSet', uid: 'uid-agent', controller: true })]);
    expect(p.metadata.labels).toMatchObject({ app: 'agent', [CONTROLLER_REVISION_HASH]: hashOf(ds), 'pod-template-generation': '1' });
    expect(p.spec.nodeName).toBeUndefined();
    expect(p.spec.affinity).toEqual({
      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }] } },
    });
    expect(p.spec.tolerations?.map((t) => `${t.key}:${t.effect}`)).toEqual([
      'node.kubernetes.io/not-ready:NoExecute',
      'node.kubernetes.io/unreachable:NoExecute',
      'node.kubernetes.io/disk-pressure:NoSchedule',
      'node.kubernetes.io/memory-pressure:NoSchedule',
      'node.kubernetes.io/pid-pressure:NoSchedule',
      'node.kubernetes.io/unschedulable:NoSchedule',
    ]);
    expect(r.status).toMatchObject({ desiredNumberScheduled: 2, currentNumberScheduled: 0, numberReady: 0, numberUnavailable: 2, observedGeneration: 1 });
  });

  it('records the template as a ControllerRevision before creating pods', () => {
    const ds = daemonSet();
    const r = reconcileDaemonSet({ daemonSet: ds, nodes, pods: [], now: T0 });
    expect(r.actions[0]).toMatchObject({ type: 'create', object: { kind: 'ControllerRevision', revision: 1, metadata: { name: `agent-${hashOf(ds)}` } } });
    const rev = objectOf<ControllerRevision>(r.actions[0]);
    expect(rev.data).toEqual({ spec: { template: { ...ds.spec.template, $patch: 'replace' } } });
  });

  it('replaces the node-name term but keeps the template preferred affinity', () => {
    const preferred = [{ weight: 1, preference: { matchExpressions: [{ key: 'x', operator: 'Exists' }] } }];
    const ds = daemonSet({ podSpec: { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: preferred } } } });
    const [p] = creates(reconcileDaemonSet({ daemonSet: ds, nodes: [node({ name: 'n1' })], pods: [], now: T0 }).actions) as Pod[];
    expect((p.spec.affinity as { nodeAffinity: Record<string, unknown> }).nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution).toEqual(preferred);
    expect(targetNodeName(p)).toBe('n1');
  });

  it.each<[string, Pod[], string[], number]>([
    ['does nothing when every node has its pod', [dpod('a', 'n1'), dpod('b', 'n2')], [], 0],
    ['deletes all but the oldest pod on a node', [dpod('a', 'n1', { created: iso(T0, 5) }), dpod('b', 'n1'), dpod('c', 'n2')], ['a'], 0],
    ['deletes a pod on a node that no longer qualifies', [dpod('a', 'n1'), dpod('b', 'n2'), dpod('c', 'gone')], ['c'], 0],
    ['deletes a failed pod and creates its replacement once it is gone', [dpod('a', 'n1', { phase: 'Failed', ready: false }), dpod('b', 'n2')], ['a'], 0],
    ['waits for a terminating pod before creating its replacement', [dpod('a', 'n1', { deleting: true }), dpod('b', 'n2')], [], 0],
    ['creates the pod for a node without one', [dpod('b', 'n2')], [], 1],
  ])('%s', (_name, pods, deleted, created) => {
    const ds = daemonSet();
    const hash = hashOf(ds);
    for (const p of pods) p.metadata.labels![CONTROLLER_REVISION_HASH] = hash;
    const r = reconcileDaemonSet({ daemonSet: ds, nodes, pods, now: T0 });
    expect(deletes(r.actions)).toEqual(deleted);
    expect(creates(r.actions)).toHaveLength(created);
  });

  it('deletes its pod from a node that gained an untolerated NoExecute taint', () => {
    const ds = daemonSet();
    const tainted = [node({ name: 'n1', taints: [{ key: 'evict', effect: 'NoExecute' }] })];
    const r = reconcileDaemonSet({ daemonSet: ds, nodes: tainted, pods: [dpod('a', 'n1', { hash: hashOf(ds) })], now: T0 });
    expect(deletes(r.actions)).toEqual(['a']);
    expect(r.status).toMatchObject({ desiredNumberScheduled: 0, numberMisscheduled: 1 });
  });

  it('reports a failed pod with a FailedDaemonPod event', () => {
    const ds = daemonSet();
    const r = reconcileDaemonSet({ daemonSet: ds, nodes: [node({ name: 'n1' })], pods: [dpod('a', 'n1', { phase: 'Failed', hash: hashOf(ds) })], now: T0 });
    expect(r.events).toContainEqual(expect.objectContaining({ type: 'Warning', reason: 'FailedDaemonPod', message: 'Found failed daemon pod default/a on node n1, will try to kill it' }));
  });

  describe('rolling update', () => {
    const four = ['n1', 'n2', 'n3', 'n4'].map((name) => node({ name }));

    it.each<[string, number | string, Pod[], string[]]>([
      ['replaces maxUnavailable old pods at a time', 2, ['n1', 'n2', 'n3', 'n4'].map((n) => dpod(`p-${n}`, n)), ['p-n1', 'p-n2']],
      ['rounds a percentage up', '30%', ['n1', 'n2', 'n3', 'n4'].map((n) => dpod(`p-${n}`, n)), ['p-n1', 'p-n2']],
      ['counts an unavailable updated pod against maxUnavailable', 2, [dpod('new', 'n1', { hash: 'NEW', ready: false }), dpod('p-n2', 'n2'), dpod('p-n3', 'n3'), dpod('p-n4', 'n4')], ['p-n2']],
      ['counts a node without a live pod as unavailable', 1, [dpod('t', 'n1', { deleting: true }), dpod('p-n2', 'n2'), dpod('p-n3', 'n3'), dpod('p-n4', 'n4')], []],
      [
        'replaces old pods that are not available without spending maxUnavailable on them',
        1,
        [dpod('p-n1', 'n1', { ready: false }), dpod('p-n2', 'n2', { ready: false }), dpod('p-n3', 'n3'), dpod('p-n4', 'n4')],
        ['p-n1', 'p-n2', 'p-n3'],
      ],
    ])('%s', (_name, maxUnavailable, pods, deleted) => {
      const ds = daemonSet({ image: 'agent:2', spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable, maxSurge: 0 } } } });
      const hash = hashOf(ds);
      for (const p of pods) if (p.metadata.labels![CONTROLLER_REVISION_HASH] === 'NEW') p.metadata.labels![CONTROLLER_REVISION_HASH] = hash;
      const r = reconcileDaemonSet({ daemonSet: ds, nodes: four, pods, now: T0 });
      expect(deletes(r.actions)).toEqual(deleted);
      expect(creates(r.actions)).toHaveLength(0);
    });

    it('does not touch old pods with the OnDelete strategy', () => {
      const ds = daemonSet({ image: 'agent:2', spec: { updateStrategy: { type: 'OnDelete' } } });
      const r = reconcileDaemonSet({ daemonSet: ds, nodes: four, pods: ['n1', 'n2', 'n3', 'n4'].map((n) => dpod(`p-${n}`, n)), now: T0 });
      expect(deletes(r.actions)).toEqual([]);
      expect(r.status).toMatchObject({ desiredNumberScheduled: 4, updatedNumberScheduled: 0, numberAvailable: 4 });
    });

    it('with maxSurge, starts the new pod next to the old one and deletes the old one once the new one is available', () => {
      const ds = daemonSet({ image: 'agent:2', spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } } });
      const hash = hashOf(ds);
      const first = reconcileDaemonSet({ daemonSet: ds, nodes: four.slice(0, 2), pods: [dpod('o1', 'n1'), dpod('o2', 'n2')], now: T0 });
      expect(deletes(first.actions)).toEqual([]);
      expect((creates(first.actions) as Pod[]).map(targetNodeName)).toEqual(['n1']);

      const waiting = reconcileDaemonSet({ daemonSet: ds, nodes: four.slice(0, 2), pods: [dpod('o1', 'n1'), dpod('n1new', 'n1', { hash, ready: false, created: iso(T0, 1) }), dpod('o2', 'n2')], now: T0 });
      expect(deletes(waiting.actions)).toEqual([]);
      expect(creates(waiting.actions)).toHaveLength(0);

      const done = reconcileDaemonSet({ daemonSet: ds, nodes: four.slice(0, 2), pods: [dpod('o1', 'n1'), dpod('n1new', 'n1', { hash, created: iso(T0, 1) }), dpod('o2', 'n2')], now: T0 });
      expect(deletes(done.actions)).toEqual(['o1']);
      expect(creates(done.actions)).toHaveLength(0);

      const next = reconcileDaemonSet({ daemonSet: ds, nodes: four.slice(0, 2), pods: [dpod('n1new', 'n1', { hash, created: iso(T0, 1) }), dpod('o2', 'n2')], now: T0 });
      expect((creates(next.actions) as Pod[]).map(targetNodeName)).toEqual(['n2']);
    });
  });

  it.each<[string, Pod[], number, Partial<NonNullable<DaemonSet['status']>>]>([
    [
      'counts scheduled, ready, available, updated and misscheduled pods',
      [dpod('a', 'n1', { hash: 'NEW' }), dpod('b', 'n2', { ready: false }), dpod('c', 'n3')],
      0,
      { desiredNumberScheduled: 2, currentNumberScheduled: 2, numberReady: 1, numberAvailable: 1, updatedNumberScheduled: 1, numberMisscheduled: 1, numberUnavailable: 1 },
    ],
    ['does not count a pod ready for less than minReadySeconds as available', [dpod('a', 'n1', { hash: 'NEW' }), dpod('b', 'n2', { hash: 'NEW' })], 60, { numberReady: 2, numberAvailable: 0 }],
  ])('status %s', (_name, pods, minReadySeconds, expected) => {
    const ds = daemonSet({ spec: { minReadySeconds } });
    const hash = hashOf(ds);
    for (const p of pods) if (p.metadata.labels![CONTROLLER_REVISION_HASH] === 'NEW') p.metadata.labels![CONTROLLER_REVISION_HASH] = hash;
    const r = reconcileDaemonSet({ daemonSet: ds, nodes, pods, now: T0 });
    expect(r.status).toMatchObject(expected);
  });

  it('asks to be called again when a ready pod becomes available', () => {
    const ds = daemonSet({ spec: { minReadySeconds: 30 } });
    const r = reconcileDaemonSet({ daemonSet: ds, nodes: [node({ name: 'n1' })], pods: [dpod('a', 'n1', { hash: hashOf(ds), ready: true })], now: new Date(T0.getTime() + 10_000) });
    expect(r.requeueAfterMs).toBe(20_000);
  });

  it('adopts an orphan pod matching its selector', () => {
    const orphan = pod({ name: 'o', nodeName: 'n1', labels: { app: 'agent' }, ready: true });
    const r = reconcileDaemonSet({ daemonSet: daemonSet(), nodes: [node({ name: 'n1' })], pods: [orphan], now: T0 });
    expect(r.actions).toContainEqual(expect.objectContaining({ type: 'update', object: expect.objectContaining({ metadata: expect.objectContaining({ name: 'o', ownerReferences: [expect.objectContaining({ uid: 'uid-agent' })] }) }) }));
    expect(creates(r.actions)).toHaveLength(0);
  });

  it('does nothing while being deleted', () => {
    const ds = daemonSet();
    ds.metadata.deletionTimestamp = iso(T0);
    expect(reconcileDaemonSet({ daemonSet: ds, nodes, pods: [], now: T0 })).toEqual({ actions: [] });
  });
});

/** A small cluster: the API (names, uids), the scheduler (binds to the affinity's node) and the kubelet (ready a tick later). */
class DaemonSim {
  pods: Pod[] = [];
  revisions: ControllerRevision[] = [];
  now = new Date(T0.getTime());
  private seq = 0;
  maxUnavailableSeen = 0;

  constructor(
    public ds: DaemonSet,
    public nodes: Node[],
  ) {}

  reconcile(): void {
    const r = reconcileDaemonSet({ daemonSet: this.ds, nodes: this.nodes, pods: this.pods, revisions: this.revisions, now: this.now });
    for (const a of r.actions) {
      if (a.type === 'create' && a.object.kind === 'Pod') {
        const p = structuredClone(a.object) as Pod;
        p.metadata.name = `${p.metadata.generateName}${(this.seq++).toString(36)}`;
        p.metadata.uid = `uid-${p.metadata.name}`;
        p.metadata.creationTimestamp = iso(this.now);
        p.status = { phase: 'Pending' };
        this.pods.push(p);
      } else if (a.type === 'create' && a.object.kind === 'ControllerRevision') {
        this.revisions.push({ ...(structuredClone(a.object) as ControllerRevision), metadata: { ...a.object.metadata, uid: `uid-${a.object.metadata.name}` } });
      } else if (a.type === 'update' && a.object.kind === 'ControllerRevision') {
        this.revisions = this.revisions.map((x) => (x.metadata.uid === a.object.metadata.uid ? (structuredClone(a.object) as ControllerRevision) : x));
      } else if (a.type === 'delete' && a.ref.kind === 'Pod') {
        for (const p of this.pods) if (p.metadata.uid === a.preconditionUid) p.metadata.deletionTimestamp = iso(this.now);
      } else if (a.type === 'delete' && a.ref.kind === 'ControllerRevision') {
        this.revisions = this.revisions.filter((x) => x.metadata.uid !== a.preconditionUid);
      }
    }
    if (r.status) this.ds.status = r.status;
  }

  tick(): void {
    this.now = new Date(this.now.getTime() + 1000);
    this.pods = this.pods.filter((p) => !p.metadata.deletionTimestamp);
    for (const p of this.pods) {
      if (!p.spec.nodeName) {
        const target = targetNodeName(p);
        if (this.nodes.some((n) => n.metadata.name === target)) p.spec.nodeName = target;
      } else if (p.status?.phase === 'Pending') {
        p.status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: iso(this.now) }] };
      }
    }
    const ready = new Set(this.pods.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).map((p) => p.spec.nodeName));
    this.maxUnavailableSeen = Math.max(this.maxUnavailableSeen, this.nodes.filter((n) => !ready.has(n.metadata.name)).length);
  }

  settle(rounds = 30): void {
    for (let i = 0; i < rounds; i++) {
      this.reconcile();
      this.tick();
    }
  }

  podNodes(): string[] {
    return this.pods.map((p) => p.spec.nodeName ?? '?').sort();
  }
}

describe('a DaemonSet over time', () => {
  it('follows nodes that are added and removed later', () => {
    const sim = new DaemonSim(daemonSet(), [node({ name: 'n1' }), node({ name: 'n2' })]);
    sim.settle();
    expect(sim.podNodes()).toEqual(['n1', 'n2']);
    expect(sim.ds.status).toMatchObject({ desiredNumberScheduled: 2, currentNumberScheduled: 2, numberReady: 2, numberAvailable: 2, updatedNumberScheduled: 2 });

    sim.nodes.push(node({ name: 'n3' }));
    sim.settle();
    expect(sim.podNodes()).toEqual(['n1', 'n2', 'n3']);
    expect(sim.ds.status).toMatchObject({ desiredNumberScheduled: 3, numberReady: 3 });

    sim.nodes = sim.nodes.filter((n) => n.metadata.name !== 'n1');
    sim.settle();
    expect(sim.podNodes()).toEqual(['n2', 'n3']);
    expect(sim.ds.status).toMatchObject({ desiredNumberScheduled: 2, currentNumberScheduled: 2 });
  });

  it('rolls a new template out one node at a time and records one revision per template', () => {
    const nodes = ['n1', 'n2', 'n3', 'n4'].map((name) => node({ name }));
    const sim = new DaemonSim(daemonSet(), nodes);
    sim.settle();
    sim.maxUnavailableSeen = 0;
    sim.ds = { ...sim.ds, metadata: { ...sim.ds.metadata, generation: 2 }, spec: { ...sim.ds.spec, template: daemonSet({ image: 'agent:2' }).spec.template } };
    sim.settle(60);
    expect(sim.pods.map((p) => p.spec.containers[0].image)).toEqual(['agent:2', 'agent:2', 'agent:2', 'agent:2']);
    expect(sim.maxUnavailableSeen).toBe(1);
    expect(sim.ds.status).toMatchObject({ updatedNumberScheduled: 4, numberAvailable: 4, observedGeneration: 2 });
    expect(sim.revisions.map((r) => r.revision)).toEqual([1, 2]);

    // Going back to the first template reuses its revision under the next number.
    sim.ds = { ...sim.ds, metadata: { ...sim.ds.metadata, generation: 3 }, spec: { ...sim.ds.spec, template: daemonSet().spec.template } };
    sim.settle(60);
    expect(sim.revisions.map((r) => r.revision).sort()).toEqual([2, 3]);
    expect(sim.pods.map((p) => p.spec.containers[0].image)).toEqual(['agent:1', 'agent:1', 'agent:1', 'agent:1']);
  });
});
