/**
 * The real helm 4 against `zeroplane up`, with a chart of our own (test/fixtures/charts/demo: a ConfigMap, a
 * Service and a Deployment). helm 4 writes every chart object with server-side apply and keeps each release
 * revision in a protobuf-encoded Secret, so this exercises SSA upserts, protobuf bodies and label selectors.
 * No --wait: nothing here runs pods.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startCluster, type LocalCluster } from '../support/cluster.ts';
import { repoRoot, type RunResult } from '../support/tools.ts';

// Real subprocesses (kubectl, helm, the server) are slower than unit tests.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 120_000 });

const chart = join(repoRoot, 'test/fixtures/charts/demo');
let cluster: LocalCluster;

beforeAll(async () => {
  cluster = await startCluster();
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
}, 30_000);

function expectOk(r: RunResult, what = 'command'): RunResult {
  expect(r.code, `${what} failed:\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(0);
  return r;
}

async function getJson(...args: string[]): Promise<any> {
  return JSON.parse(expectOk(await cluster.kubectl('get', ...args, '-o', 'json'), `kubectl get ${args.join(' ')}`).stdout);
}

async function namespace(name: string): Promise<string> {
  const ns = JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  expectOk(await cluster.kubectlWith(['apply', '-f', '-'], { input: ns }), 'kubectl apply namespace');
  return name;
}

interface HistoryEntry {
  revision: number;
  status: string;
  chart: string;
  description: string;
}

async function history(ns: string, release: string): Promise<HistoryEntry[]> {
  return JSON.parse(expectOk(await cluster.helm('history', release, '-n', ns, '-o', 'json'), 'helm history').stdout);
}

async function releaseSecrets(ns: string, release: string): Promise<string[]> {
  const list = await getJson('secrets', '-n', ns, '-l', `owner=helm,name=${release}`);
  return list.items.map((s: any) => s.metadata.name).sort();
}

describe('helm release lifecycle', () => {
  const ns = 'e2e-helm';
  const release = 'demo';

  beforeAll(async () => {
    await namespace(ns);
  }, 60_000);

  it('installs the chart and creates its objects', async () => {
    const out = expectOk(await cluster.helm('install', release, chart, '-n', ns), 'helm install').stdout;
    expect(out).toMatch(/^NAME: demo$/m);
    expect(out).toMatch(new RegExp(`^NAMESPACE: ${ns}$`, 'm'));
    expect(out).toMatch(/^STATUS: deployed$/m);
    expect(out).toMatch(/^REVISION: 1$/m);

    expect((await getJson('configmap', 'demo-config', '-n', ns)).data).toEqual({ message: 'hello' });
    const svc = await getJson('service', 'demo-web', '-n', ns);
    expect(svc.spec.ports[0]).toMatchObject({ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' });
    const deploy = await getJson('deployment', 'demo-web', '-n', ns, '--show-managed-fields');
    expect(deploy.spec.replicas).toBe(1);
    expect(deploy.spec.template.spec.containers[0].image).toBe('nginx:1.27');
    expect(deploy.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'Helm' });
    expect(deploy.metadata.annotations).toMatchObject({ 'meta.helm.sh/release-name': 'demo', 'meta.helm.sh/release-namespace': ns });
    expect(deploy.metadata.managedFields).toEqual(expect.arrayContaining([expect.objectContaining({ manager: 'helm', operation: 'Apply' })]));

    const secret = await getJson('secret', 'sh.helm.release.v1.demo.v1', '-n', ns);
    expect(secret.type).toBe('helm.sh/release.v1');
    expect(secret.metadata.labels).toMatchObject({ name: 'demo', owner: 'helm', status: 'deployed', version: '1' });
  });

  it('upgrades with --set and records a second revision', async () => {
    const out = expectOk(
      await cluster.helm('upgrade', release, chart, '-n', ns, '--set', 'replicas=3', '--set', 'image=nginx:1.28', '--set', 'message=bye'),
      'helm upgrade',
    ).stdout;
    expect(out).toMatch(/^STATUS: deployed$/m);
    expect(out).toMatch(/^REVISION: 2$/m);

    const deploy = await getJson('deployment', 'demo-web', '-n', ns);
    expect(deploy.spec.replicas).toBe(3);
    expect(deploy.spec.template.spec.containers[0].image).toBe('nginx:1.28');
    expect(deploy.metadata.generation).toBe(2);
    expect((await getJson('configmap', 'demo-config', '-n', ns)).data).toEqual({ message: 'bye' });

    const h = await history(ns, release);
    expect(h.map((e) => [e.revision, e.status])).toEqual([
      [1, 'superseded'],
      [2, 'deployed'],
    ]);
    expect(h[1].chart).toBe('demo-0.1.0');
    expect(await releaseSecrets(ns, release)).toEqual(['sh.helm.release.v1.demo.v1', 'sh.helm.release.v1.demo.v2']);
  });

  it('rolls back to the first revision', async () => {
    expect(expectOk(await cluster.helm('rollback', release, '1', '-n', ns), 'helm rollback').stdout).toContain('Rollback was a success!');
    const deploy = await getJson('deployment', 'demo-web', '-n', ns);
    expect(deploy.spec.replicas).toBe(1);
    expect(deploy.spec.template.spec.containers[0].image).toBe('nginx:1.27');
    expect((await getJson('configmap', 'demo-config', '-n', ns)).data).toEqual({ message: 'hello' });

    const h = await history(ns, release);
    expect(h.map((e) => [e.revision, e.status])).toEqual([
      [1, 'superseded'],
      [2, 'superseded'],
      [3, 'deployed'],
    ]);
    expect(h[2].description).toBe('Rollback to 1');
  });

  it('shows the release status', async () => {
    const out = expectOk(await cluster.helm('status', release, '-n', ns), 'helm status').stdout;
    expect(out).toMatch(/^NAME: demo$/m);
    expect(out).toMatch(/^STATUS: deployed$/m);
    expect(out).toMatch(/^REVISION: 3$/m);

    const json = JSON.parse(expectOk(await cluster.helm('status', release, '-n', ns, '-o', 'json'), 'helm status -o json').stdout);
    expect(json).toMatchObject({ name: 'demo', namespace: ns, version: 3, info: { status: 'deployed' } });
  });

  it('lists the release in its namespace and across all namespaces', async () => {
    const inNs = JSON.parse(expectOk(await cluster.helm('list', '-n', ns, '-o', 'json'), 'helm list').stdout);
    expect(inNs).toEqual([expect.objectContaining({ name: 'demo', namespace: ns, revision: '3', status: 'deployed', chart: 'demo-0.1.0', app_version: '1.0.0' })]);

    const other = await namespace('e2e-helm-other');
    expectOk(await cluster.helm('install', 'second', chart, '-n', other), 'helm install second');
    const all = JSON.parse(expectOk(await cluster.helm('list', '-A', '-o', 'json'), 'helm list -A').stdout);
    expect(all.map((r: any) => `${r.namespace}/${r.name}`).sort()).toEqual([`${ns}/demo`, `${other}/second`].sort());
    expect(expectOk(await cluster.helm('list', '-n', ns), 'helm list').stdout).toMatch(/^demo\s+e2e-helm\s+3\s+.*\sdeployed\s+demo-0\.1\.0\s+1\.0\.0\s*$/m);
  });

  it('uninstalls: the objects and the release secrets are gone', async () => {
    expect(expectOk(await cluster.helm('uninstall', release, '-n', ns), 'helm uninstall').stdout).toContain('release "demo" uninstalled');
    for (const [kind, name] of [
      ['configmap', 'demo-config'],
      ['service', 'demo-web'],
      ['deployment', 'demo-web'],
    ]) {
      const r = await cluster.kubectl('get', kind, name, '-n', ns);
      expect(r.code, `${kind}/${name} still exists: ${r.stdout}`).not.toBe(0);
      expect(r.stderr).toContain('NotFound');
    }
    expect(await releaseSecrets(ns, release)).toEqual([]);
    expect(JSON.parse(expectOk(await cluster.helm('list', '-n', ns, '-o', 'json'), 'helm list').stdout)).toEqual([]);
  });
});
