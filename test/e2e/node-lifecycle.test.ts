/**
 * Nodes going away, end to end with the real kubectl against `zeroplane up --simulated-nodes 3`: cordon, drain
 * through the eviction subresource within PodDisruptionBudgets, uncordon; and a node whose kubelet falls silent
 * (its Lease expires) becoming Ready=Unknown, tainted unreachable, its pods evicted after their toleration and
 * replaced on the other nodes. The cluster runs with a short grace period and default toleration so this takes
 * seconds rather than Kubernetes' 40 s + 300 s.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startCluster, type LocalCluster } from '../support/cluster.ts';
import type { RunResult } from '../support/tools.ts';

vi.setConfig({ testTimeout: 150_000, hookTimeout: 120_000 });

const GRACE_SECONDS = 6;
const TOLERATION_SECONDS = 4;

let cluster: LocalCluster;

beforeAll(async () => {
  cluster = await startCluster({
    args: [
      '--simulated-nodes', '3',
      '--node-monitor-grace-period', String(GRACE_SECONDS),
      '--default-unreachable-toleration-seconds', String(TOLERATION_SECONDS),
      '--default-not-ready-toleration-seconds', String(TOLERATION_SECONDS),
    ],
  });
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

function deployment(ns: string, name: string, replicas: number): string {
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'web', image: 'nginx', resources: { requests: { cpu: '100m', memory: '64Mi' } } }] },
      },
    },
  });
}

function budget(ns: string, name: string, spec: Record<string, unknown>): string {
  return JSON.stringify({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name, namespace: ns }, spec: { selector: { matchLabels: { app: name } }, ...spec } });
}

/** `name node` of the Running pods of an app. */
async function runningPods(ns: string, app: string): Promise<Array<{ name: string; node: string }>> {
  const text = await out('get', 'pods', '-n', ns, '-l', `app=${app}`, '-o', 'jsonpath={range .items[?(@.status.phase=="Running")]}{.metadata.name} {.spec.nodeName}{"\\n"}{end}');
  return text.split('\n').filter(Boolean).map((l) => {
    const [name, node] = l.split(' ');
    return { name, node };
  });
}

async function deploy(ns: string, app: string, replicas: number): Promise<void> {
  await k('create', 'namespace', ns);
  await kIn(deployment(ns, app, replicas), 'apply', '-f', '-');
  await k('rollout', 'status', '-n', ns, `deployment/${app}`, '--timeout=90s');
}

describe('node lifecycle on simulated nodes', () => {
  it('drains a node within a PodDisruptionBudget: evictions wait for replacements, then the node is uncordoned', async () => {
    await deploy('drain', 'web', 6);
    await kIn(budget('drain', 'web', { maxUnavailable: 1 }), 'apply', '-f', '-');
    await expect.poll(async () => out('get', 'pdb', '-n', 'drain', 'web', '-o', 'jsonpath={.status.disruptionsAllowed} {.status.currentHealthy} {.status.desiredHealthy} {.status.expectedPods}'), { timeout: 30_000 }).toBe('1 6 5 6');
    expect(await out('get', 'pdb', '-n', 'drain', 'web')).toMatch(/^web\s+N\/A\s+1\s+1\s+/m);

    const before = await runningPods('drain', 'web');
    const onNode1 = before.filter((p) => p.node === 'sim-node-1').map((p) => p.name);
    // The scheduler spreads one owner's replicas, so the drained node holds two and the budget allows one at a time.
    expect(onNode1.length).toBeGreaterThanOrEqual(2);

    await k('cordon', 'sim-node-1');
    expect(await out('get', 'node', 'sim-node-1')).toMatch(/sim-node-1\s+Ready,SchedulingDisabled\s/);
    const drained = await k('drain', 'sim-node-1', '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=90s');
    const printed = drained.stdout + drained.stderr;
    for (const name of onNode1) {
      expect(printed).toContain(`evicting pod drain/${name}`);
      expect(printed).toContain(`pod/${name} evicted`);
    }
    expect(printed).toMatch(/error when evicting pods\/"web-[a-z0-9-]+" -n "drain" \(will retry after 5s\): Cannot evict pod as it would violate the pod's disruption budget\./);
    expect(printed).toContain('node/sim-node-1 drained');

    // Replaced elsewhere, never on the cordoned node.
    await expect.poll(async () => {
      const pods = await runningPods('drain', 'web');
      return pods.length === 6 && pods.every((p) => p.node !== 'sim-node-1' && !onNode1.includes(p.name));
    }, { timeout: 30_000 }).toBe(true);
    expect(await out('get', 'node', 'sim-node-1')).toMatch(/sim-node-1\s+Ready,SchedulingDisabled\s/);
    await expect.poll(async () => out('get', 'pdb', '-n', 'drain', 'web', '-o', 'jsonpath={.status.disruptionsAllowed}'), { timeout: 30_000 }).toBe('1');

    await k('uncordon', 'sim-node-1');
    expect(await out('get', 'node', 'sim-node-1')).toMatch(/sim-node-1\s+Ready\s/);
    await k('delete', 'namespace', 'drain', '--timeout=60s');
  });

  it('keeps a pod whose budget allows no disruption: kubectl drain retries until it times out', async () => {
    await deploy('guarded', 'db', 2);
    await kIn(budget('guarded', 'db', { minAvailable: 2 }), 'apply', '-f', '-');
    await expect.poll(async () => out('get', 'pdb', '-n', 'guarded', 'db', '-o', 'jsonpath={.status.disruptionsAllowed}/{.status.currentHealthy}/{.status.conditions[0].reason}'), { timeout: 30_000 }).toBe('0/2/InsufficientPods');
    const [victim] = await runningPods('guarded', 'db');

    const r = await cluster.kubectl('drain', victim.node, '--ignore-daemonsets', '--pod-selector', 'app=db', '--timeout=12s');
    const printed = r.stdout + r.stderr;
    expect(r.code).not.toBe(0);
    expect(printed).toContain(`evicting pod guarded/${victim.name}`);
    expect(printed).toContain(`error when evicting pods/"${victim.name}" -n "guarded" (will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget.`);
    expect(await runningPods('guarded', 'db')).toContainEqual(victim);

    await k('uncordon', victim.node);
    await k('delete', 'namespace', 'guarded', '--timeout=60s');
  });

  it('marks a node whose lease expired Unknown and unreachable, evicts its pods after their toleration and replaces them', async () => {
    await deploy('heal', 'app', 6);
    const tolerations = await out('get', 'pods', '-n', 'heal', '-o', 'jsonpath={.items[0].spec.tolerations[?(@.key=="node.kubernetes.io/unreachable")].tolerationSeconds}');
    expect(tolerations).toBe(String(TOLERATION_SECONDS));
    const before = await runningPods('heal', 'app');
    const lost = before.filter((p) => p.node === 'sim-node-3').map((p) => p.name);
    expect(lost.length).toBeGreaterThan(0);

    // The simulated kubelet of sim-node-3 stops: no more lease renewals.
    await k('annotate', 'node', 'sim-node-3', 'zeroplane.dev/simulated-stopped=true');
    await expect.poll(async () => out('get', 'node', 'sim-node-3', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status} {.status.conditions[?(@.type=="Ready")].reason}'), { timeout: 30_000 }).toBe('Unknown NodeStatusUnknown');
    expect(await out('get', 'node', 'sim-node-3', '-o', 'jsonpath={range .spec.taints[*]}{.key}:{.effect}{"\\n"}{end}')).toBe(
      'node.kubernetes.io/unreachable:NoSchedule\nnode.kubernetes.io/unreachable:NoExecute',
    );
    expect(await out('get', 'node', 'sim-node-3')).toMatch(/sim-node-3\s+NotReady\s/);

    await expect.poll(async () => {
      const pods = await runningPods('heal', 'app');
      return pods.length === 6 && pods.every((p) => p.node !== 'sim-node-3' && !lost.includes(p.name));
    }, { timeout: 60_000 }).toBe(true);
    expect(await out('get', 'pods', '-n', 'heal', '--field-selector', 'spec.nodeName=sim-node-3', '-o', 'name')).toBe('');

    // The kubelet comes back: Ready again, taints gone.
    await k('annotate', 'node', 'sim-node-3', 'zeroplane.dev/simulated-stopped-');
    await expect.poll(async () => out('get', 'node', 'sim-node-3', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}/{.spec.taints}'), { timeout: 30_000 }).toBe('True/');
  });
});
