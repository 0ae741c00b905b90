/**
 * The workload controllers that test/e2e/controllers.test.ts does not cover, end to end with the real kubectl
 * against `zeroplane up --simulated-nodes 3`: the default ServiceAccount of a fresh namespace, DaemonSets
 * following nodes (one added at runtime the way kwok adds one: a Node carrying the simulated annotation) and
 * rolling, StatefulSets keeping ordinal identity and claims, CronJobs creating Jobs.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startCluster, type LocalCluster } from '../support/cluster.ts';
import type { RunResult } from '../support/tools.ts';

vi.setConfig({ testTimeout: 150_000, hookTimeout: 120_000 });

let cluster: LocalCluster;

beforeAll(async () => {
  cluster = await startCluster({ args: ['--simulated-nodes', '3'] });
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
}, 30_000);

function expectOk(r: RunResult): RunResult {
  expect(r.code, `kubectl failed:\nstdout: ${r.stdout}\nstderr: ${r.stderr}\nserver: ${cluster.logs().slice(-3000)}`).toBe(0);
  return r;
}

const k = async (...args: string[]) => expectOk(await cluster.kubectl(...args));
const kIn = async (input: unknown, ...args: string[]) => expectOk(await cluster.kubectlWith(args, { input: JSON.stringify(input) }));
const out = async (...args: string[]) => (await k(...args)).stdout.trim();
const lines = (text: string) => text.split('\n').filter(Boolean);

describe('workloads on simulated nodes', () => {
  it('gives every namespace a default ServiceAccount, which pods use, and brings it back when deleted', async () => {
    await k('create', 'namespace', 'fresh');
    await expect.poll(async () => (await cluster.kubectl('get', 'serviceaccount', 'default', '-n', 'fresh', '-o', 'name')).stdout.trim(), { timeout: 30_000 }).toBe('serviceaccount/default');
    for (const ns of ['default', 'kube-system']) {
      await expect.poll(async () => (await cluster.kubectl('get', 'sa', 'default', '-n', ns, '-o', 'name')).stdout.trim(), { timeout: 30_000 }).toBe('serviceaccount/default');
    }

    await k('create', 'deployment', 'web', '--image=nginx', '--replicas=2', '-n', 'fresh');
    await k('rollout', 'status', 'deployment/web', '-n', 'fresh', '--timeout=60s');
    expect(await out('get', 'pods', '-n', 'fresh', '-o', 'jsonpath={.items[*].spec.serviceAccountName}')).toBe('default default');

    const uid = await out('get', 'sa', 'default', '-n', 'fresh', '-o', 'jsonpath={.metadata.uid}');
    await k('delete', 'sa', 'default', '-n', 'fresh');
    await expect.poll(async () => (await cluster.kubectl('get', 'sa', 'default', '-n', 'fresh', '-o', 'jsonpath={.metadata.uid}')).stdout.trim(), { timeout: 30_000 }).toMatch(/^(?!$)/);
    expect(await out('get', 'sa', 'default', '-n', 'fresh', '-o', 'jsonpath={.metadata.uid}')).not.toBe(uid);
  });

  it('runs a DaemonSet pod on every node, on a node added later, and rolls it to a new template', async () => {
    await k('create', 'namespace', 'daemons');
    const ds = (image: string) => ({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent', namespace: 'daemons' },
      spec: {
        selector: { matchLabels: { app: 'agent' } },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
        template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'agent', image, resources: { requests: { cpu: '50m' } } }] } },
      },
    });
    const placement = async () =>
      lines(await out('get', 'pods', '-n', 'daemons', '-o', 'jsonpath={range .items[?(@.status.phase=="Running")]}{.spec.nodeName} {.spec.containers[0].image}{"\\n"}{end}')).sort();

    await kIn(ds('busybox:1'), 'apply', '-f', '-');
    await k('rollout', 'status', 'daemonset/agent', '-n', 'daemons', '--timeout=60s');
    expect(await placement()).toEqual(['sim-node-1 busybox:1', 'sim-node-2 busybox:1', 'sim-node-3 busybox:1']);

    // A fourth node joins: the simulated nodes adopt a Node created with their annotation, as kwok does.
    await kIn({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'sim-node-4', annotations: { 'zeroplane.dev/simulated': 'true' } } }, 'apply', '-f', '-');
    await k('wait', '--for=condition=Ready', 'node/sim-node-4', '--timeout=30s');
    await expect.poll(placement, { timeout: 30_000 }).toEqual(['sim-node-1 busybox:1', 'sim-node-2 busybox:1', 'sim-node-3 busybox:1', 'sim-node-4 busybox:1']);
    expect(await out('get', 'daemonset', 'agent', '-n', 'daemons', '-o', 'jsonpath={.status.desiredNumberScheduled} {.status.numberReady}')).toBe('4 4');

    await k('set', 'image', 'daemonset/agent', 'agent=busybox:2', '-n', 'daemons');
    await k('rollout', 'status', 'daemonset/agent', '-n', 'daemons', '--timeout=90s');
    await expect.poll(placement, { timeout: 30_000 }).toEqual(['sim-node-1 busybox:2', 'sim-node-2 busybox:2', 'sim-node-3 busybox:2', 'sim-node-4 busybox:2']);
    expect(lines(await out('rollout', 'history', 'daemonset/agent', '-n', 'daemons')).filter((l) => /^\d+\s/.test(l))).toHaveLength(2);

    // The extra node leaves again so the other tests see three.
    await k('delete', 'namespace', 'daemons', '--timeout=60s');
    await k('delete', 'node', 'sim-node-4');
  });

  it('creates StatefulSet ordinals in order, scales down from the highest, keeps claims and names', async () => {
    await k('create', 'namespace', 'stateful');
    const events: string[] = [];
    const readyAtCreate: Record<string, string[]> = {};
    const ready = new Set<string>();
    const watch = cluster.api().watch('/api/v1/namespaces/stateful/pods?watch=true');
    watch.onEvent((ev) => {
      const name: string = ev.object.metadata.name;
      const isReady = (ev.object.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True');
      if (ev.type === 'ADDED') {
        events.push(`+${name}`);
        readyAtCreate[name] = [...ready].sort();
      } else if (ev.type === 'DELETED') {
        events.push(`-${name}`);
        ready.delete(name);
      }
      if (ev.type !== 'DELETED' && isReady) ready.add(name);
    });
    await watch.status;

    await kIn({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'stateful' }, spec: { clusterIP: 'None', selector: { app: 'web' }, ports: [{ port: 80 }] } }, 'apply', '-f', '-');
    await kIn(
      {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: 'web', namespace: 'stateful' },
        spec: {
          serviceName: 'web',
          replicas: 3,
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx', volumeMounts: [{ name: 'www', mountPath: '/usr/share/nginx/html' }] }] } },
          volumeClaimTemplates: [{ metadata: { name: 'www' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
        },
      },
      'apply', '-f', '-',
    );
    await k('rollout', 'status', 'statefulset/web', '-n', 'stateful', '--timeout=90s');
    expect(events).toEqual(['+web-0', '+web-1', '+web-2']);
    // OrderedReady: each ordinal is created only once every lower one is Ready.
    expect(readyAtCreate).toEqual({ 'web-0': [], 'web-1': ['web-0'], 'web-2': ['web-0', 'web-1'] });
    expect(await out('get', 'pvc', '-n', 'stateful', '-o', 'name')).toBe('persistentvolumeclaim/www-web-0\npersistentvolumeclaim/www-web-1\npersistentvolumeclaim/www-web-2');
    expect(await out('get', 'pod', 'web-1', '-n', 'stateful', '-o', 'jsonpath={.spec.hostname}.{.spec.subdomain} {.spec.volumes[?(@.name=="www")].persistentVolumeClaim.claimName}')).toBe('web-1.web www-web-1');

    await k('scale', 'statefulset/web', '--replicas=1', '-n', 'stateful');
    await expect.poll(async () => out('get', 'pods', '-n', 'stateful', '-o', 'name'), { timeout: 60_000 }).toBe('pod/web-0');
    expect(events.filter((e) => e.startsWith('-'))).toEqual(['-web-2', '-web-1']);
    expect(lines(await out('get', 'pvc', '-n', 'stateful', '-o', 'name'))).toHaveLength(3);

    const uid = await out('get', 'pod', 'web-0', '-n', 'stateful', '-o', 'jsonpath={.metadata.uid}');
    await k('delete', 'pod', 'web-0', '-n', 'stateful');
    await expect.poll(async () => (await cluster.kubectl('get', 'pod', 'web-0', '-n', 'stateful', '-o', 'jsonpath={.status.phase} {.metadata.uid}')).stdout.trim(), { timeout: 30_000 }).toMatch(/^Running (?!$)/);
    expect(await out('get', 'pod', 'web-0', '-n', 'stateful', '-o', 'jsonpath={.metadata.uid}')).not.toBe(uid);
    expect(await out('get', 'pod', 'web-0', '-n', 'stateful', '-o', 'jsonpath={.spec.volumes[?(@.name=="www")].persistentVolumeClaim.claimName}')).toBe('www-web-0');
    watch.close();
  });

  it('creates Jobs from a CronJob, on its schedule and with kubectl create job --from', async () => {
    await k('create', 'namespace', 'cron');
    await k('create', 'cronjob', 'tick', '--image=busybox', '--schedule=* * * * *', '-n', 'cron', '--', 'true');
    await k('create', 'job', 'tick-manual', '--from=cronjob/tick', '-n', 'cron');
    await k('wait', '--for=condition=complete', 'job/tick-manual', '-n', 'cron', '--timeout=60s');
    expect(await out('get', 'job', 'tick-manual', '-n', 'cron', '-o', 'jsonpath={.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name} {.status.succeeded}')).toBe('CronJob/tick 1');

    // The schedule fires within a minute: a Job named after its scheduled time, which completes.
    await expect.poll(async () => lines(await out('get', 'jobs', '-n', 'cron', '-o', 'name')).filter((n) => /^job\.batch\/tick-\d+$/.test(n)), { timeout: 75_000, interval: 2_000 }).toHaveLength(1);
    const scheduled = lines(await out('get', 'jobs', '-n', 'cron', '-o', 'name')).find((n) => /tick-\d+$/.test(n))!;
    await k('wait', '--for=condition=complete', scheduled, '-n', 'cron', '--timeout=60s');
    await expect.poll(async () => out('get', 'cronjob', 'tick', '-n', 'cron', '-o', 'jsonpath={.status.lastScheduleTime}'), { timeout: 30_000 }).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:00Z$/);
    expect(await out('get', 'cronjob', 'tick', '-n', 'cron')).toMatch(/^tick\s+\* \* \* \* \*\s+<none>\s+False\s+\d+\s+\S+\s+\S+/m);
  });
});
