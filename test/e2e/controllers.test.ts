/**
 * Controllers and scheduler end to end: the real kubectl against `zeroplane up --simulated-nodes 3`, where the
 * stream → dispatch → SQS → controllers/scheduler pipeline and the simulated nodes run pods to Running.
 * One cluster for the file; every test works in its own namespace.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startCluster, type LocalCluster } from '../support/cluster.ts';
import type { RunResult } from '../support/tools.ts';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

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
const kIn = async (input: string, ...args: string[]) => expectOk(await cluster.kubectlWith(args, { input }));
const out = async (...args: string[]) => (await k(...args)).stdout.trim();

async function namespace(name: string): Promise<string> {
  await k('create', 'namespace', name);
  return name;
}

function deployment(ns: string, name: string, replicas: number, image: string): string {
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'web', image, resources: { requests: { cpu: '100m', memory: '64Mi' } } }] },
      },
    },
  });
}

interface PodView {
  metadata: { name: string; deletionTimestamp?: string };
  status?: { conditions?: { type: string; status: string }[] };
}
const isReady = (p: PodView) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

describe('zeroplane up --simulated-nodes 3', () => {
  it('registers three Ready nodes spread over zones, with leases', async () => {
    expect(await out('get', 'nodes', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.status.conditions[?(@.type=="Ready")].status} {.metadata.labels.topology\\.kubernetes\\.io/zone}{"\\n"}{end}')).toBe(
      'sim-node-1 True zone-a\nsim-node-2 True zone-b\nsim-node-3 True zone-c',
    );
    expect(await out('get', 'leases', '-n', 'kube-node-lease', '-o', 'name')).toContain('lease.coordination.k8s.io/sim-node-1');
  });

  it('rolls a Deployment of 10 out, rolls it to a new image within maxSurge/maxUnavailable, and undoes it', async () => {
    const ns = await namespace('rollout');
    await kIn(deployment(ns, 'web', 10, 'nginx:1.27'), 'apply', '-f', '-');
    await k('rollout', 'status', '-n', ns, 'deployment/web', '--timeout=90s');
    await k('wait', '-n', ns, '--for=condition=Available', 'deployment/web', '--timeout=30s');
    const running = await out('get', 'pods', '-n', ns, '-o', 'jsonpath={range .items[*]}{.status.phase} {.status.podIP} {.spec.nodeName}{"\\n"}{end}');
    const lines = running.split('\n');
    expect(lines).toHaveLength(10);
    expect(lines.every((l) => /^Running 10\.244\.\d+\.\d+ sim-node-\d$/.test(l))).toBe(true);
    expect(new Set(lines.map((l) => l.split(' ')[1])).size).toBe(10);
    expect(new Set(lines.map((l) => l.split(' ')[2])).size).toBe(3);

    // Every watch event is an instant of the rollout: never more than 11 pods, never fewer than 10 ready.
    const pods = new Map<string, PodView>();
    const violations: string[] = [];
    const watch = cluster.api().watch(`/api/v1/namespaces/${ns}/pods?watch=true`);
    watch.onEvent((ev) => {
      const pod = ev.object as PodView;
      if (ev.type === 'DELETED') pods.delete(pod.metadata.name);
      else if (ev.type === 'ADDED' || ev.type === 'MODIFIED') pods.set(pod.metadata.name, pod);
      else return;
      const live = [...pods.values()].filter((p) => !p.metadata.deletionTimestamp);
      if (pods.size >= 10 && (live.length > 11 || live.filter(isReady).length < 10)) violations.push(`${live.length} pods, ${live.filter(isReady).length} ready`);
    });
    await watch.status;
    await vi.waitFor(() => expect(pods.size).toBe(10));
    await k('set', 'image', '-n', ns, 'deployment/web', 'web=nginx:1.28');
    await k('rollout', 'status', '-n', ns, 'deployment/web', '--timeout=90s');
    watch.close();
    expect(violations).toEqual([]);
    expect(await out('get', 'pods', '-n', ns, '-o', 'jsonpath={.items[*].spec.containers[0].image}')).toBe(Array(10).fill('nginx:1.28').join(' '));

    const history = await out('rollout', 'history', '-n', ns, 'deployment/web');
    expect(history).toMatch(/^1\s/m);
    expect(history).toMatch(/^2\s/m);
    await k('rollout', 'undo', '-n', ns, 'deployment/web', '--to-revision=1');
    await k('rollout', 'status', '-n', ns, 'deployment/web', '--timeout=90s');
    expect(await out('get', 'deployment', '-n', ns, 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image}')).toBe('nginx:1.27');
    await expect.poll(async () => out('get', 'pods', '-n', ns, '-o', 'jsonpath={.items[*].spec.containers[0].image}'), { timeout: 30_000 }).toBe(Array(10).fill('nginx:1.27').join(' '));
  });

  it('scales a Deployment and replaces a deleted pod', async () => {
    const ns = await namespace('scale');
    await kIn(deployment(ns, 'app', 2, 'nginx'), 'apply', '-f', '-');
    await k('rollout', 'status', '-n', ns, 'deployment/app', '--timeout=60s');
    await k('scale', '-n', ns, 'deployment/app', '--replicas=5');
    await k('rollout', 'status', '-n', ns, 'deployment/app', '--timeout=60s');
    expect(await out('get', 'deployment', '-n', ns, 'app', '-o', 'jsonpath={.status.readyReplicas}')).toBe('5');

    const victim = (await out('get', 'pods', '-n', ns, '-o', 'name')).split('\n')[0];
    await k('delete', '-n', ns, victim);
    await expect
      .poll(async () => {
        const names = (await out('get', 'pods', '-n', ns, '-o', 'jsonpath={range .items[?(@.status.phase=="Running")]}{.metadata.name}{"\\n"}{end}')).split('\n').filter(Boolean);
        return names.length === 5 && !names.includes(victim.replace('pod/', ''));
      }, { timeout: 30_000 })
      .toBe(true);
  });

  it('runs a Job with completions 3 and parallelism 2 to Complete', async () => {
    const ns = await namespace('jobs');
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'work', namespace: ns },
      spec: { completions: 3, parallelism: 2, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'w', image: 'busybox', command: ['true'] }] } } },
    };
    await kIn(JSON.stringify(job), 'apply', '-f', '-');
    await k('wait', '-n', ns, '--for=condition=Complete', 'job/work', '--timeout=60s');
    expect(await out('get', 'job', '-n', ns, 'work', '-o', 'jsonpath={.status.succeeded}')).toBe('3');
    expect(await out('get', 'pods', '-n', ns, '-o', 'jsonpath={.items[*].status.phase}')).toBe('Succeeded Succeeded Succeeded');
  });

  it.each([
    ['background', []],
    ['foreground', ['--cascade=foreground']],
  ])('deletes a Deployment with its ReplicaSets and pods (%s)', async (mode, flags) => {
    const ns = await namespace(`cascade-${mode}`);
    await kIn(deployment(ns, 'gone', 3, 'nginx'), 'apply', '-f', '-');
    await k('rollout', 'status', '-n', ns, 'deployment/gone', '--timeout=60s');
    await k('delete', '-n', ns, 'deployment/gone', ...flags, '--timeout=60s');
    await expect.poll(async () => out('get', 'replicasets,pods', '-n', ns, '-o', 'name'), { timeout: 30_000 }).toBe('');
    expect((await cluster.kubectl('get', '-n', ns, 'deployment/gone')).code).not.toBe(0);
  });

  it('orphans the ReplicaSet and pods with --cascade=orphan', async () => {
    const ns = await namespace('cascade-orphan');
    await kIn(deployment(ns, 'kept', 2, 'nginx'), 'apply', '-f', '-');
    await k('rollout', 'status', '-n', ns, 'deployment/kept', '--timeout=60s');
    await k('delete', '-n', ns, 'deployment/kept', '--cascade=orphan', '--timeout=60s');
    await expect.poll(async () => (await cluster.kubectl('get', '-n', ns, 'deployment/kept')).code, { timeout: 30_000 }).not.toBe(0);
    expect(await out('get', 'replicasets', '-n', ns, '-o', 'jsonpath={.items[*].metadata.ownerReferences}')).toBe('');
    expect((await out('get', 'pods', '-n', ns, '-o', 'name')).split('\n')).toHaveLength(2);
  });

  it('deletes a namespace with everything in it', async () => {
    const ns = await namespace('doomed');
    await kIn(deployment(ns, 'a', 2, 'nginx'), 'apply', '-f', '-');
    await k('rollout', 'status', '-n', ns, 'deployment/a', '--timeout=60s');
    await k('delete', 'namespace', ns, '--timeout=60s');
    expect((await cluster.kubectl('get', 'namespace', ns)).code).not.toBe(0);
  });

  it('shows why a pod cannot be scheduled in kubectl describe', async () => {
    const ns = await namespace('unschedulable');
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'huge', namespace: ns },
      spec: { containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu: '64' } } }] },
    };
    await kIn(JSON.stringify(pod), 'apply', '-f', '-');
    await expect.poll(async () => out('describe', 'pod', '-n', ns, 'huge'), { timeout: 30_000 }).toMatch(/FailedScheduling\s+\S+\s+default-scheduler\s+0\/3 nodes are available: 3 Insufficient cpu\./);
    expect(await out('get', 'pod', '-n', ns, 'huge', '-o', 'jsonpath={.status.conditions[?(@.type=="PodScheduled")].reason}')).toBe('Unschedulable');
  });
});
