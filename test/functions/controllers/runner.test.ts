/**
 * The controllers through the real pipeline over DynamoDB Local and the SQS emulator: the objects-table stream →
 * dispatch → FIFO queues → the controllers and scheduler handlers, with two simulated nodes running the pods.
 * Plus applyResult directly: what it writes for a reconcile's status, events and requeue.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterApi } from '../../../functions/controllers/api-port.ts';
import { nodeLifecycleController } from '../../../functions/controllers/load/nodelifecycle.ts';
import { applyResult, retryOnConflict, type RunnerEnv } from '../../../functions/controllers/runner.ts';
import type { Node } from '../../../shared/api/kinds/node.ts';
import { simulatedNode } from '../../../local/simulated-nodes.ts';
import type { ControllerKey } from '../../../functions/pipeline/queue-message.ts';
import type { Pod } from '../../../shared/api/kinds/pod.ts';
import type { KubeObject } from '../../../shared/api/object.ts';
import { startPipelineCluster, type PipelineCluster } from '../../support/pipeline-cluster.ts';

const silent = pino({ level: 'silent' });
let api: ClusterApi;

let cluster: PipelineCluster | undefined;

beforeAll(async () => {
  cluster = await startPipelineCluster({ nodeCount: 2, fieldManager: 'runner-test' });
  ({ api } = cluster);
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

const podsIn = async (namespace: string) => (await api.list<Pod>('core/pods', namespace)).items;
const running = (pods: Pod[]) => pods.filter((p) => p.status?.phase === 'Running' && p.spec.nodeName && p.status.podIP);

function template(app: string, image: string) {
  return { metadata: { labels: { app } }, spec: { containers: [{ name: 'c', image }] } };
}

async function namespace(name: string): Promise<string> {
  await api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return name;
}

describe('controllers on the pipeline', () => {
  it('gives a ReplicaSet with 3 replicas 3 running pods it owns', async () => {
    const ns = await namespace('rs-three');
    const rs = await api.create({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'web', namespace: ns },
      spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: template('web', 'nginx') },
    } as KubeObject);
    await expect.poll(async () => running(await podsIn(ns)).length, { timeout: 30_000 }).toBe(3);
    const pods = await podsIn(ns);
    expect(pods).toHaveLength(3);
    expect(pods.every((p) => p.metadata.ownerReferences?.[0]?.uid === rs.metadata.uid)).toBe(true);
    await expect.poll(async () => (await api.get<KubeObject & { status?: { readyReplicas?: number } }>('apps/replicasets', ns, 'web'))?.status?.readyReplicas, { timeout: 30_000 }).toBe(3);
  });

  it('rolls a Deployment to a new template and scales the old ReplicaSet to zero', async () => {
    const ns = await namespace('deploy-roll');
    await api.create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'app', namespace: ns },
      spec: { replicas: 3, selector: { matchLabels: { app: 'app' } }, template: template('app', 'nginx:1') },
    } as KubeObject);
    await expect.poll(async () => running(await podsIn(ns)).length, { timeout: 30_000 }).toBe(3);
    // Read-modify-write as kubectl does: the controller writes the Deployment too (annotations, status).
    await retryOnConflict(async () => {
      const d = (await api.get<KubeObject & { spec: { template: ReturnType<typeof template> } }>('apps/deployments', ns, 'app'))!;
      d.spec.template.spec.containers[0].image = 'nginx:2';
      await api.update(d);
    });
    await expect
      .poll(async () => {
        const pods = running(await podsIn(ns));
        return pods.length === 3 && pods.every((p) => p.spec.containers[0].image === 'nginx:2');
      }, { timeout: 60_000 })
      .toBe(true);
    const sets = (await api.list<KubeObject & { spec: { replicas?: number } }>('apps/replicasets', ns)).items;
    expect(sets.map((s) => s.spec.replicas).sort()).toEqual([0, 3]);
  });

  it('deletes the pods of a deleted ReplicaSet (garbage collection)', async () => {
    const ns = await namespace('gc');
    await api.create({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'doomed', namespace: ns },
      spec: { replicas: 2, selector: { matchLabels: { app: 'doomed' } }, template: template('doomed', 'nginx') },
    } as KubeObject);
    await expect.poll(async () => (await podsIn(ns)).length, { timeout: 30_000 }).toBe(2);
    await api.delete({ apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: ns, name: 'doomed' });
    await expect.poll(async () => (await podsIn(ns)).length, { timeout: 30_000 }).toBe(0);
  });
});

describe('applyResult', () => {
  function env(requeued: [ControllerKey, number][]): RunnerEnv {
    return { api, now: () => new Date(), send: async () => {}, requeue: (key, ms) => void requeued.push([key, ms]), logger: silent };
  }

  it('writes the status through the status subresource, records Events and requeues', async () => {
    const ns = await namespace('apply');
    const owner = await api.create({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'owner', namespace: ns },
      spec: { replicas: 0, selector: { matchLabels: { app: 'x' } }, template: template('x', 'nginx') },
    } as KubeObject);
    const requeued: [ControllerKey, number][] = [];
    await applyResult(
      env(requeued),
      {
        actions: [],
        status: { replicas: 0, observedGeneration: 7 },
        events: [{ regarding: { apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: ns, name: 'owner', uid: owner.metadata.uid }, type: 'Normal', reason: 'Tested', message: 'it works' }],
        requeueAfterMs: 1500,
      },
      { controller: 'replicaset', key: `${ns}/owner`, owner },
    );
    const stored = (await api.get<KubeObject & { status?: { observedGeneration?: number } }>('apps/replicasets', ns, 'owner'))!;
    expect(stored.status?.observedGeneration).toBe(7);
    const events = (await api.list<KubeObject & { reason?: string; involvedObject?: { uid?: string; kind?: string } }>('core/events', ns)).items;
    expect(events.map((e) => [e.reason, e.involvedObject?.kind, e.involvedObject?.uid])).toEqual([['Tested', 'ReplicaSet', owner.metadata.uid]]);
    expect(requeued).toEqual([[{ controller: 'replicaset', key: `${ns}/owner` }, 1500]]);
  });

  it('treats deleting an object that is already gone as done', async () => {
    await expect(applyResult(env([]), { actions: [{ type: 'delete', ref: { apiVersion: 'v1', kind: 'Pod', namespace: 'default', name: 'never-was' } }] }, { controller: 'replicaset', key: 'default/x' })).resolves.toBeUndefined();
  });

  it('throws a Conflict when the owner changed since it was read, so the key is reconciled again', async () => {
    const ns = await namespace('apply-conflict');
    const owner = await api.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: ns }, data: { a: '1' } } as KubeObject);
    await api.update({ ...owner, data: { a: '2' } } as KubeObject);
    await expect(applyResult(env([]), { actions: [{ type: 'update', object: { ...owner, data: { a: '3' } } as KubeObject }] }, { controller: 'replicaset', key: `${ns}/cm` })).rejects.toMatchObject({ reason: 'Conflict' });
  });
});

describe('node lifecycle loader', () => {
  it('marks a node whose lease expired Ready=Unknown and taints it unreachable', async () => {
    await api.create(simulatedNode('silent-node', 9));
    const stale = new Date(Date.now() - 120_000).toISOString().replace(/Z$/, '000Z');
    await api.create({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'silent-node', namespace: 'kube-node-lease' }, spec: { holderIdentity: 'silent-node', renewTime: stale } } as KubeObject);
    const requeued: [ControllerKey, number][] = [];
    const env: RunnerEnv = { api, now: () => new Date(), send: async () => {}, requeue: (key, ms) => void requeued.push([key, ms]), logger: silent };
    await nodeLifecycleController({ gracePeriodSeconds: 40 }).load('silent-node', env, { receiveCount: 1 });
    const node = (await api.get<Node>('core/nodes', '', 'silent-node'))!;
    expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('Unknown');
    expect(node.spec?.taints?.map((t) => `${t.key}:${t.effect}`).sort()).toEqual(['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
  });
});
