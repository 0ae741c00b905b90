/**
 * The DaemonSet, StatefulSet and CronJob loaders over DynamoDB Local: through the real pipeline (stream →
 * dispatch → queues → controllers, three simulated nodes running the pods), and key by key against a store of
 * their own, where the test decides when a pod is Ready and what time it is.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBootstrapObjects } from '../../../functions/apiserver/bootstrap.ts';
import { createRegistryApi, type ClusterApi } from '../../../functions/controllers/api-port.ts';
import { targetNodeName } from '../../../functions/controllers/daemonset.ts';
import { builtinControllers } from '../../../functions/controllers/handler.ts';
import { CONTROLLER_REVISION_HASH } from '../../../functions/controllers/history.ts';
import { cronJobController } from '../../../functions/controllers/load/cronjob.ts';
import { daemonSetController } from '../../../functions/controllers/load/daemonset.ts';
import { statefulSetController } from '../../../functions/controllers/load/statefulset.ts';
import { controllerReconcilers, type ControllerRegistration, type RunnerEnv } from '../../../functions/controllers/runner.ts';
import type { ReconcileContext } from '../../../functions/pipeline/controller-handler.ts';
import type { ControllerKey } from '../../../functions/pipeline/queue-message.ts';
import type { Job } from '../../../shared/api/kinds/job.ts';
import type { Pod } from '../../../shared/api/kinds/pod.ts';
import type { KubeObject } from '../../../shared/api/object.ts';
import { runningStatus, simulatedNode } from '../../../local/simulated-nodes.ts';
import { createTestStore, uniquePrefix } from '../../support/dynamo.ts';
import { startPipelineCluster, type PipelineCluster } from '../../support/pipeline-cluster.ts';

const silent = pino({ level: 'silent' });

function template(app: string) {
  return { metadata: { labels: { app } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };
}

function daemonSet(ns: string, name: string): KubeObject {
  return { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name, namespace: ns }, spec: { selector: { matchLabels: { app: name } }, template: template(name) } } as KubeObject;
}

function statefulSet(ns: string, name: string, replicas: number): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: ns },
    spec: {
      replicas,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: template(name),
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    },
  } as KubeObject;
}

const names = (objs: KubeObject[]) => objs.map((o) => o.metadata.name).sort();

describe('workload controllers on the pipeline', () => {
  let api: ClusterApi;

  let cluster: PipelineCluster | undefined;

  beforeAll(async () => {
    cluster = await startPipelineCluster({ nodeCount: 3, fieldManager: 'runner-workloads-test' });
    ({ api } = cluster);
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  const podsIn = async (ns: string) => (await api.list<Pod>('core/pods', ns)).items;
  const running = (pods: Pod[]) => pods.filter((p) => p.status?.phase === 'Running' && p.spec.nodeName);

  it('registers the DaemonSet, StatefulSet and CronJob controllers', () => {
    expect(builtinControllers().map((c) => c.name)).toEqual(expect.arrayContaining(['daemonset', 'statefulset', 'cronjob']));
  });

  it('runs one pod of a DaemonSet on each of the 3 nodes', async () => {
    await api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ds-pipeline' } });
    await api.create(daemonSet('ds-pipeline', 'agent'));
    await expect.poll(async () => running(await podsIn('ds-pipeline')).length, { timeout: 30_000 }).toBe(3);
    const pods = await podsIn('ds-pipeline');
    expect(pods.map((p) => p.spec.nodeName).sort()).toEqual(['sim-node-1', 'sim-node-2', 'sim-node-3']);
    await expect
      .poll(async () => (await api.get<KubeObject & { status?: { numberReady?: number } }>('apps/daemonsets', 'ds-pipeline', 'agent'))?.status?.numberReady, { timeout: 30_000 })
      .toBe(3);
  });

  it('brings a StatefulSet of 3 up in order, each pod with its claim', async () => {
    await api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sts-pipeline' } });
    await api.create(statefulSet('sts-pipeline', 'web', 3));
    await expect.poll(async () => running(await podsIn('sts-pipeline')).length, { timeout: 60_000 }).toBe(3);
    const pods = await podsIn('sts-pipeline');
    expect(names(pods)).toEqual(['web-0', 'web-1', 'web-2']);
    const claims = (await api.list('core/persistentvolumeclaims', 'sts-pipeline')).items;
    expect(names(claims)).toEqual(['data-web-0', 'data-web-1', 'data-web-2']);
    // OrderedReady: each pod was created only once its predecessor was Ready.
    const readySince = (p: Pod) => Date.parse(p.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime ?? '');
    const created = (p: Pod) => Date.parse(p.metadata.creationTimestamp ?? '');
    const byName = new Map(pods.map((p) => [p.metadata.name, p]));
    expect(created(byName.get('web-1')!)).toBeGreaterThanOrEqual(readySince(byName.get('web-0')!));
    expect(created(byName.get('web-2')!)).toBeGreaterThanOrEqual(readySince(byName.get('web-1')!));
  });
});

describe('workload loaders, one reconcile at a time', () => {
  let api: ClusterApi;
  let now = new Date();
  const requeued: [ControllerKey, number][] = [];
  const context = {} as ReconcileContext;

  beforeAll(async () => {
    const store = await createTestStore({ tablePrefix: uniquePrefix() });
    await ensureBootstrapObjects(store);
    api = createRegistryApi({ store, fieldManager: 'runner-workloads-test' });
  }, 60_000);

  const env = (): RunnerEnv => ({ api, now: () => now, send: async () => {}, requeue: (key, ms) => void requeued.push([key, ms]), logger: silent });
  /** Through controllerReconcilers, as the queue consumer calls it (conflict and AlreadyExists retries included). */
  const reconcile = async (reg: ControllerRegistration, key: string) => {
    const reconciler = controllerReconcilers(env(), [reg])[reg.name]!;
    await reconciler(key, context);
  };
  const namespace = async (name: string) => {
    await api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    return name;
  };
  const podsIn = async (ns: string) => (await api.list<Pod>('core/pods', ns)).items;

  it('creates one pod per node for a DaemonSet, after its ControllerRevision, and no more on a second reconcile', async () => {
    for (const i of [1, 2, 3]) await api.create(simulatedNode(`node-${i}`, i));
    const ns = await namespace('ds-keys');
    await api.create(daemonSet(ns, 'agent'));
    await reconcile(daemonSetController, `${ns}/agent`);
    await reconcile(daemonSetController, `${ns}/agent`);
    const pods = await podsIn(ns);
    expect(pods.map((p) => targetNodeName(p)).sort()).toEqual(['node-1', 'node-2', 'node-3']);
    const revisions = (await api.list('apps/controllerrevisions', ns)).items;
    expect(revisions).toHaveLength(1);
    expect(new Set(pods.map((p) => `agent-${p.metadata.labels?.[CONTROLLER_REVISION_HASH]}`))).toEqual(new Set(names(revisions)));
  });

  it('creates web-1 of a StatefulSet only once web-0 is Ready, each after its claim', async () => {
    const ns = await namespace('sts-keys');
    await api.create(statefulSet(ns, 'web', 3));
    await reconcile(statefulSetController, `${ns}/web`);
    expect(names(await podsIn(ns))).toEqual(['web-0']);
    expect(names((await api.list('core/persistentvolumeclaims', ns)).items)).toEqual(['data-web-0']);

    // Not Ready yet: a second reconcile waits.
    await reconcile(statefulSetController, `${ns}/web`);
    expect(names(await podsIn(ns))).toEqual(['web-0']);

    const web0 = (await api.get<Pod>('core/pods', ns, 'web-0'))!;
    await api.updateStatus({ ...web0, status: runningStatus(web0, '10.244.1.10', '10.0.0.1') });
    await reconcile(statefulSetController, `${ns}/web`);
    expect(names(await podsIn(ns))).toEqual(['web-0', 'web-1']);
    expect(names((await api.list('core/persistentvolumeclaims', ns)).items)).toEqual(['data-web-0', 'data-web-1']);
    const web1 = (await api.get<Pod>('core/pods', ns, 'web-1'))!;
    expect(web1.spec.volumes).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'data', persistentVolumeClaim: { claimName: 'data-web-1' } })]));
  });

  it('creates one Job for a due CronJob schedule and no duplicate on a second reconcile', async () => {
    const ns = await namespace('cron-keys');
    const cj = await api.create({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'tick', namespace: ns },
      spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } } },
    } as KubeObject);
    // Ten minutes after creation at least one five-minute mark has passed: the schedule is due.
    now = new Date(Date.parse(cj.metadata.creationTimestamp!) + 10 * 60_000);
    requeued.length = 0;
    await reconcile(cronJobController, `${ns}/tick`);
    await reconcile(cronJobController, `${ns}/tick`);
    const jobs = (await api.list<Job>('batch/jobs', ns)).items;
    expect(jobs).toHaveLength(1);
    expect(jobs[0].metadata.ownerReferences?.[0]).toMatchObject({ kind: 'CronJob', name: 'tick', uid: cj.metadata.uid, controller: true });
    const stored = await api.get<KubeObject & { status?: { active?: { name: string }[]; lastScheduleTime?: string } }>('batch/cronjobs', ns, 'tick');
    expect(stored?.status?.active?.map((r) => r.name)).toEqual([jobs[0].metadata.name]);
    // Requeued for the next five-minute mark, at most five minutes away.
    expect(requeued.length).toBeGreaterThan(0);
    for (const [key, ms] of requeued) {
      expect(key).toEqual({ controller: 'cronjob', key: `${ns}/tick` });
      expect(ms).toBeGreaterThan(0);
      expect(ms).toBeLessThanOrEqual(5 * 60_000);
    }
  });
});
