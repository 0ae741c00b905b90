/**
 * The real kubectl 1.35 against `zeroplane up`. Assertions are on what a user sees: the text kubectl prints,
 * its exit code and its error messages. One cluster for the file; every test works in its own namespace.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { startCluster, createApiClient, type LocalCluster } from '../support/cluster.ts';
import { ensureTools, repoRoot, run, type RunResult } from '../support/tools.ts';

// Real subprocesses (kubectl, helm, the server) are slower than unit tests.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 120_000 });

const manifests = join(repoRoot, 'test/fixtures/manifests');
const manifest = (file: string) => readFileSync(join(manifests, file), 'utf8');

let cluster: LocalCluster;

beforeAll(async () => {
  cluster = await startCluster();
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
}, 30_000);

/** Fails with kubectl's own output, so a broken server shows what the user would have seen. */
function expectOk(r: RunResult): RunResult {
  expect(r.code, `kubectl failed:\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(0);
  return r;
}

function expectFail(r: RunResult): RunResult {
  expect(r.code, `kubectl unexpectedly succeeded:\n${r.stdout}`).not.toBe(0);
  return r;
}

const k = (...args: string[]) => cluster.kubectl(...args);
const kIn = (input: string, ...args: string[]) => cluster.kubectlWith(args, { input });

async function namespace(name: string): Promise<string> {
  expectOk(await kIn(JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }), 'apply', '-f', '-'));
  return name;
}

async function getJson(...args: string[]): Promise<any> {
  return JSON.parse(expectOk(await k('get', ...args, '-o', 'json')).stdout);
}

/** `-o name` output as a sorted list of names. */
function names(r: RunResult): string[] {
  return expectOk(r)
    .stdout.split('\n')
    .map((l) => l.trim().replace(/^[^/]+\//, ''))
    .filter(Boolean)
    .sort();
}

/** Splits a kubectl table into header cells and rows of cells (columns are separated by 2+ spaces). */
function table(text: string): { header: string[]; rows: string[][] } {
  const lines = text.split('\n').filter((l) => l.trim());
  const split = (l: string) => l.trim().split(/\s{2,}/);
  return { header: split(lines[0] ?? ''), rows: lines.slice(1).map(split) };
}

function secret(name: string, labels: Record<string, string>) {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, labels }, stringData: { k: name } };
}

/** Several objects as one multi-document YAML stream of JSON documents (JSON keeps `yes` a string, which YAML
 *  1.1, kubectl's dialect, would read as a boolean); kubectl splits it and sends one request per object. */
const list = (items: unknown[]) => items.map((i) => JSON.stringify(i)).join('\n---\n');

describe('every kind the API serves', () => {
  const kinds = [
    { file: 'pod.yaml', resource: 'pods', printed: 'pod', name: 'web-pod', kind: 'Pod', apiVersion: 'v1' },
    { file: 'service.yaml', resource: 'services', printed: 'service', name: 'web-svc', kind: 'Service', apiVersion: 'v1' },
    { file: 'endpoints.yaml', resource: 'endpoints', printed: 'endpoints', name: 'web-manual', kind: 'Endpoints', apiVersion: 'v1' },
    { file: 'configmap.yaml', resource: 'configmaps', printed: 'configmap', name: 'settings', kind: 'ConfigMap', apiVersion: 'v1' },
    { file: 'secret.yaml', resource: 'secrets', printed: 'secret', name: 'credentials', kind: 'Secret', apiVersion: 'v1' },
    { file: 'event.yaml', resource: 'events', printed: 'event', name: 'web-pod.fixture', kind: 'Event', apiVersion: 'v1' },
    { file: 'serviceaccount.yaml', resource: 'serviceaccounts', printed: 'serviceaccount', name: 'builder', kind: 'ServiceAccount', apiVersion: 'v1' },
    { file: 'persistentvolumeclaim.yaml', resource: 'persistentvolumeclaims', printed: 'persistentvolumeclaim', name: 'data', kind: 'PersistentVolumeClaim', apiVersion: 'v1' },
    { file: 'deployment.yaml', resource: 'deployments.apps', printed: 'deployment.apps', name: 'web', kind: 'Deployment', apiVersion: 'apps/v1' },
    { file: 'replicaset.yaml', resource: 'replicasets.apps', printed: 'replicaset.apps', name: 'standalone-rs', kind: 'ReplicaSet', apiVersion: 'apps/v1' },
    { file: 'daemonset.yaml', resource: 'daemonsets.apps', printed: 'daemonset.apps', name: 'agent', kind: 'DaemonSet', apiVersion: 'apps/v1' },
    { file: 'statefulset.yaml', resource: 'statefulsets.apps', printed: 'statefulset.apps', name: 'db', kind: 'StatefulSet', apiVersion: 'apps/v1' },
    { file: 'controllerrevision.yaml', resource: 'controllerrevisions.apps', printed: 'controllerrevision.apps', name: 'db-rev-1', kind: 'ControllerRevision', apiVersion: 'apps/v1' },
    { file: 'job.yaml', resource: 'jobs.batch', printed: 'job.batch', name: 'once', kind: 'Job', apiVersion: 'batch/v1' },
    { file: 'cronjob.yaml', resource: 'cronjobs.batch', printed: 'cronjob.batch', name: 'nightly', kind: 'CronJob', apiVersion: 'batch/v1' },
    { file: 'horizontalpodautoscaler.yaml', resource: 'horizontalpodautoscalers.autoscaling', printed: 'horizontalpodautoscaler.autoscaling', name: 'web', kind: 'HorizontalPodAutoscaler', apiVersion: 'autoscaling/v2' },
    { file: 'lease.yaml', resource: 'leases.coordination.k8s.io', printed: 'lease.coordination.k8s.io', name: 'leader', kind: 'Lease', apiVersion: 'coordination.k8s.io/v1' },
    { file: 'endpointslice.yaml', resource: 'endpointslices.discovery.k8s.io', printed: 'endpointslice.discovery.k8s.io', name: 'web-svc-abc12', kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1' },
    { file: 'poddisruptionbudget.yaml', resource: 'poddisruptionbudgets.policy', printed: 'poddisruptionbudget.policy', name: 'web', kind: 'PodDisruptionBudget', apiVersion: 'policy/v1' },
    { file: 'role.yaml', resource: 'roles.rbac.authorization.k8s.io', printed: 'role.rbac.authorization.k8s.io', name: 'reader', kind: 'Role', apiVersion: 'rbac.authorization.k8s.io/v1' },
    { file: 'rolebinding.yaml', resource: 'rolebindings.rbac.authorization.k8s.io', printed: 'rolebinding.rbac.authorization.k8s.io', name: 'read-pods', kind: 'RoleBinding', apiVersion: 'rbac.authorization.k8s.io/v1' },
  ];
  const clusterKinds = [
    { file: 'namespace.yaml', resource: 'namespaces', printed: 'namespace', name: 'fixture-ns', kind: 'Namespace', apiVersion: 'v1' },
    { file: 'node.yaml', resource: 'nodes', printed: 'node', name: 'fixture-node-1', kind: 'Node', apiVersion: 'v1' },
    { file: 'clusterrole.yaml', resource: 'clusterroles.rbac.authorization.k8s.io', printed: 'clusterrole.rbac.authorization.k8s.io', name: 'fixture-node-reader', kind: 'ClusterRole', apiVersion: 'rbac.authorization.k8s.io/v1' },
    { file: 'clusterrolebinding.yaml', resource: 'clusterrolebindings.rbac.authorization.k8s.io', printed: 'clusterrolebinding.rbac.authorization.k8s.io', name: 'fixture-read-nodes', kind: 'ClusterRoleBinding', apiVersion: 'rbac.authorization.k8s.io/v1' },
  ];
  const ns = 'e2e-kinds'; // the Event fixture's involvedObject.namespace names it

  beforeAll(async () => {
    await namespace(ns);
  }, 60_000);

  it.each(kinds)('creates and reads back a $kind from its manifest', async (t) => {
    const created = expectOk(await k('create', '-n', ns, '-f', join(manifests, t.file)));
    expect(created.stdout.trim()).toBe(`${t.printed}/${t.name} created`);

    const obj = await getJson(t.resource, t.name, '-n', ns);
    expect(obj).toMatchObject({ kind: t.kind, apiVersion: t.apiVersion, metadata: { name: t.name, namespace: ns } });
    expect(obj.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(obj.metadata.resourceVersion).toMatch(/^\d+$/);
    expect(obj.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    const printed = table(expectOk(await k('get', t.resource, '-n', ns)).stdout);
    expect(printed.header[0]).toBe(t.kind === 'Event' ? 'LAST SEEN' : 'NAME');
    expect(printed.rows.some((row) => row.includes(t.name) || row.some((c) => c.endsWith(`/${t.name.split('.')[0]}`)))).toBe(true);
  });

  it.each(clusterKinds)('creates and reads back a cluster-scoped $kind from its manifest', async (t) => {
    const created = expectOk(await k('create', '-f', join(manifests, t.file)));
    expect(created.stdout.trim()).toBe(`${t.printed}/${t.name} created`);

    const obj = await getJson(t.resource, t.name);
    expect(obj).toMatchObject({ kind: t.kind, apiVersion: t.apiVersion, metadata: { name: t.name } });
    expect(obj.metadata.namespace).toBeUndefined();

    const printed = table(expectOk(await k('get', t.resource)).stdout);
    expect(printed.header[0]).toBe('NAME');
    expect(printed.rows.map((r) => r[0])).toContain(t.name);
  });

  it('keeps the fields a manifest set, with defaults filled in', async () => {
    const pod = await getJson('pod', 'web-pod', '-n', ns);
    const c = pod.spec.containers[0];
    expect(c).toMatchObject({ name: 'web', image: 'nginx:1.27', env: [{ name: 'MODE', value: 'fixture' }] });
    expect(c.ports).toEqual([{ containerPort: 80, protocol: 'TCP' }]);
    expect(c.imagePullPolicy).toBe('IfNotPresent');
    expect(pod.spec.restartPolicy).toBe('Always');
    expect(pod.status.phase).toBe('Pending');

    const secret = await getJson('secret', 'credentials', '-n', ns);
    // stringData is folded into data (base64) and never stored as such.
    expect(secret.data).toEqual({ username: Buffer.from('admin').toString('base64'), password: 'czNjcjN0' });
    expect(secret.stringData).toBeUndefined();

    const svc = await getJson('service', 'web-svc', '-n', ns);
    expect(svc.spec.type).toBe('ClusterIP');
    expect(svc.spec.clusterIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(svc.spec.ports[0]).toMatchObject({ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' });
  });
});

describe('kubectl get', () => {
  const ns = 'e2e-get';

  beforeAll(async () => {
    await namespace(ns);
    expectOk(await k('apply', '-n', ns, '-f', join(manifests, 'pod.yaml')));
    const items = [
      secret('sa', { env: 'prod', tier: 'fe', rank: '3' }),
      secret('sb', { env: 'dev', tier: 'be', rank: '1' }),
      secret('sc', { env: 'staging', rank: '2' }),
      secret('sd', {}),
    ];
    expectOk(await kIn(list(items), 'apply', '-n', ns, '-f', '-'));
  }, 60_000);

  it('prints the pod table with the columns kubectl users expect', async () => {
    const { header, rows } = table(expectOk(await k('get', 'pods', '-n', ns)).stdout);
    expect(header).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    expect(rows).toHaveLength(1);
    expect(rows[0].slice(0, 4)).toEqual(['web-pod', '0/1', 'Pending', '0']);
    expect(rows[0][4]).toMatch(/^\d+(s|m)$/);
  });

  it('adds the priority-1 columns with -o wide', async () => {
    const { header } = table(expectOk(await k('get', 'pods', '-n', ns, '-o', 'wide')).stdout);
    expect(header).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']);
  });

  it('prints yaml, json and jsonpath', async () => {
    const yaml = parseYaml(expectOk(await k('get', 'pod', 'web-pod', '-n', ns, '-o', 'yaml')).stdout);
    expect(yaml).toMatchObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-pod', labels: { app: 'web' } } });
    const json = await getJson('pods', '-n', ns);
    expect(json.kind).toBe('List');
    expect(json.items.map((i: any) => i.metadata.name)).toEqual(['web-pod']);
    const jp = expectOk(await k('get', 'secrets', '-n', ns, '-o', 'jsonpath={.items[*].metadata.name}'));
    expect(jp.stdout.split(' ').sort()).toEqual(['sa', 'sb', 'sc', 'sd']);
    const image = expectOk(await k('get', 'pod', 'web-pod', '-n', ns, '-o', 'jsonpath={.spec.containers[0].image}'));
    expect(image.stdout).toBe('nginx:1.27');
  });

  it('shows labels with --show-labels', async () => {
    const { header, rows } = table(expectOk(await k('get', 'pods', '-n', ns, '--show-labels')).stdout);
    expect(header.at(-1)).toBe('LABELS');
    expect(rows[0].at(-1)).toBe('app=web,tier=frontend');
  });

  it.each([
    ['env=prod', ['sa']],
    ['env==prod', ['sa']],
    ['env!=prod', ['sb', 'sc', 'sd']],
    ['env in (prod,dev)', ['sa', 'sb']],
    ['env notin (prod,dev)', ['sc', 'sd']],
    ['tier', ['sa', 'sb']],
    ['!tier', ['sc', 'sd']],
    ['env=prod,tier=fe', ['sa']],
    ['tier,env!=dev', ['sa']],
  ])('selects with -l %s', async (selector, expected) => {
    expect(names(await k('get', 'secrets', '-n', ns, '-l', selector, '-o', 'name'))).toEqual(expected);
  });

  it.each([
    ['metadata.name=sb', ['sb']],
    ['metadata.name!=sb', ['sa', 'sc', 'sd']],
    [`metadata.namespace=${ns}`, ['sa', 'sb', 'sc', 'sd']],
  ])('selects with --field-selector %s', async (selector, expected) => {
    expect(names(await k('get', 'secrets', '-n', ns, '--field-selector', selector, '-o', 'name'))).toEqual(expected);
  });

  it('lists across namespaces with -A and prints the NAMESPACE column', async () => {
    const other = await namespace('e2e-get-other');
    expectOk(await kIn(list([secret('so', { spread: 'yes' })]), 'apply', '-n', other, '-f', '-'));
    expectOk(await kIn(list([secret('sx', { spread: 'yes' })]), 'apply', '-n', ns, '-f', '-'));
    const { header, rows } = table(expectOk(await k('get', 'secrets', '-A', '-l', 'spread=yes')).stdout);
    expect(header).toEqual(['NAMESPACE', 'NAME', 'TYPE', 'DATA', 'AGE']);
    expect(rows.map((r) => `${r[0]}/${r[1]}`).sort()).toEqual([`${ns}/sx`, `${other}/so`].sort());
  });

  it('sorts with --sort-by on a label', async () => {
    const out = expectOk(await k('get', 'secrets', '-n', ns, '-l', 'rank', '--sort-by', '.metadata.labels.rank'));
    expect(table(out.stdout).rows.map((r) => r[0])).toEqual(['sb', 'sc', 'sa']);
  });

  it('says so when nothing matches', async () => {
    const r = expectOk(await k('get', 'secrets', '-n', ns, '-l', 'env=none'));
    expect(r.stderr.trim()).toBe(`No resources found in ${ns} namespace.`);
  });
});

describe('kubectl describe', () => {
  const ns = 'e2e-describe';

  beforeAll(async () => {
    await namespace(ns);
    for (const f of ['pod.yaml', 'deployment.yaml', 'service.yaml']) expectOk(await k('apply', '-n', ns, '-f', join(manifests, f)));
    expectOk(await kIn(manifest('node.yaml').replaceAll('fixture-node-1', 'describe-node'), 'apply', '-f', '-'));
  }, 60_000);

  it('describes a pod', async () => {
    const out = expectOk(await k('describe', 'pod', 'web-pod', '-n', ns)).stdout;
    expect(out).toMatch(/^Name:\s+web-pod$/m);
    expect(out).toMatch(new RegExp(`^Namespace:\\s+${ns}$`, 'm'));
    expect(out).toMatch(/^Status:\s+Pending$/m);
    expect(out).toMatch(/^\s+Image:\s+nginx:1\.27$/m);
    expect(out).toMatch(/^\s+Port:\s+80\/TCP$/m);
    expect(out).toMatch(/^\s+MODE:\s+fixture$/m);
    expect(out).toMatch(/^Events:/m);
  });

  it('describes a deployment', async () => {
    const out = expectOk(await k('describe', 'deployment', 'web', '-n', ns)).stdout;
    expect(out).toMatch(/^Name:\s+web$/m);
    expect(out).toMatch(/^Selector:\s+app=web$/m);
    expect(out).toMatch(/^Replicas:\s+2 desired/m);
    expect(out).toMatch(/^StrategyType:\s+RollingUpdate$/m);
    expect(out).toMatch(/^RollingUpdateStrategy:\s+25% max unavailable, 25% max surge$/m);
  });

  it('describes a service', async () => {
    const out = expectOk(await k('describe', 'service', 'web-svc', '-n', ns)).stdout;
    expect(out).toMatch(/^Type:\s+ClusterIP$/m);
    expect(out).toMatch(/^Port:\s+http\s+80\/TCP$/m);
    expect(out).toMatch(/^TargetPort:\s+8080\/TCP$/m);
    expect(out).toMatch(/^IP:\s+\d+\.\d+\.\d+\.\d+$/m);
  });

  it('describes a node', async () => {
    const out = expectOk(await k('describe', 'node', 'describe-node')).stdout;
    expect(out).toMatch(/^Name:\s+describe-node$/m);
    expect(out).toMatch(/kubernetes\.io\/os=linux/);
    expect(out).toMatch(/^PodCIDR:\s+10\.244\.9\.0\/24$/m);
    expect(out).toMatch(/^Non-terminated Pods:/m);
  });
});

describe('kubectl label and annotate', () => {
  it('adds, refuses to silently overwrite, overwrites and removes a label', async () => {
    const ns = await namespace('e2e-label');
    expectOk(await k('apply', '-n', ns, '-f', join(manifests, 'configmap.yaml')));

    expect(expectOk(await k('label', '-n', ns, 'configmap', 'settings', 'color=red')).stdout.trim()).toBe('configmap/settings labeled');
    const refused = expectFail(await k('label', '-n', ns, 'configmap', 'settings', 'color=green'));
    expect(refused.stderr).toContain("'color' already has a value (red), and --overwrite is false");
    expectOk(await k('label', '-n', ns, 'configmap', 'settings', 'color=green', '--overwrite'));
    expect((await getJson('configmap', 'settings', '-n', ns)).metadata.labels).toEqual({ app: 'web', color: 'green' });
    expectOk(await k('label', '-n', ns, 'configmap', 'settings', 'color-'));
    expect((await getJson('configmap', 'settings', '-n', ns)).metadata.labels).toEqual({ app: 'web' });
  });

  it('annotates, overwrites and removes an annotation', async () => {
    const ns = await namespace('e2e-annotate');
    expectOk(await k('apply', '-n', ns, '-f', join(manifests, 'configmap.yaml')));
    expect(expectOk(await k('annotate', '-n', ns, 'cm', 'settings', 'owner=alice')).stdout.trim()).toBe('configmap/settings annotated');
    expectFail(await k('annotate', '-n', ns, 'cm', 'settings', 'owner=bob'));
    expectOk(await k('annotate', '-n', ns, 'cm', 'settings', 'owner=bob', '--overwrite'));
    expect((await getJson('cm', 'settings', '-n', ns)).metadata.annotations.owner).toBe('bob');
    expectOk(await k('annotate', '-n', ns, 'cm', 'settings', 'owner-'));
    expect((await getJson('cm', 'settings', '-n', ns)).metadata.annotations?.owner).toBeUndefined();
  });

  it('labels every object a selector matches', async () => {
    const ns = await namespace('e2e-label-many');
    expectOk(await kIn(list([secret('l1', { group: 'g' }), secret('l2', { group: 'g' }), secret('l3', {})]), 'apply', '-n', ns, '-f', '-'));
    expectOk(await k('label', '-n', ns, 'secrets', '-l', 'group=g', 'marked=yes'));
    expect(names(await k('get', 'secrets', '-n', ns, '-l', 'marked=yes', '-o', 'name'))).toEqual(['l1', 'l2']);
  });
});

describe('kubectl apply', () => {
  it('applies a kind: List, as `kubectl get -o yaml` prints several objects', async () => {
    const ns = await namespace('e2e-apply-list');
    const asList = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [secret('list-a', {}), secret('list-b', {})] });
    const out = expectOk(await kIn(asList, 'apply', '-n', ns, '-f', '-')).stdout;
    expect(out.trim().split('\n').sort()).toEqual(['secret/list-a created', 'secret/list-b created']);
  });

  it('patches on the second apply: ports and env survive, generation bumps on spec changes only', async () => {
    const ns = await namespace('e2e-apply');
    const first = manifest('deployment.yaml');
    expect(expectOk(await kIn(first, 'apply', '-n', ns, '-f', '-')).stdout.trim()).toBe('deployment.apps/web created');
    expect((await getJson('deploy', 'web', '-n', ns)).metadata.generation).toBe(1);

    expect(expectOk(await kIn(first, 'apply', '-n', ns, '-f', '-')).stdout.trim()).toBe('deployment.apps/web unchanged');
    expect((await getJson('deploy', 'web', '-n', ns)).metadata.generation).toBe(1);

    // The re-apply is a strategic merge patch naming only the changed image: a server that treats it as a JSON
    // merge patch would replace the container list and lose ports and env.
    const newImage = first.replace('nginx:1.27', 'nginx:1.28');
    expect(expectOk(await kIn(newImage, 'apply', '-n', ns, '-f', '-')).stdout.trim()).toBe('deployment.apps/web configured');
    const after = await getJson('deploy', 'web', '-n', ns);
    expect(after.metadata.generation).toBe(2);
    const c = after.spec.template.spec.containers;
    expect(c).toHaveLength(1);
    expect(c[0]).toMatchObject({ name: 'web', image: 'nginx:1.28', env: [{ name: 'GREETING', value: 'hello' }] });
    expect(c[0].ports).toEqual([{ containerPort: 80, protocol: 'TCP' }]);

    const labelOnly = newImage.replace('  labels:\n    app: web\nspec:', '  labels:\n    app: web\n    release: stable\nspec:');
    expect(labelOnly).not.toBe(newImage);
    expect(expectOk(await kIn(labelOnly, 'apply', '-n', ns, '-f', '-')).stdout.trim()).toBe('deployment.apps/web configured');
    const labelled = await getJson('deploy', 'web', '-n', ns);
    expect(labelled.metadata.labels).toEqual({ app: 'web', release: 'stable' });
    expect(labelled.metadata.generation).toBe(2);
  });

  it('keeps fields another writer added to a list item when re-applying (strategic merge, not JSON merge)', async () => {
    const ns = await namespace('e2e-apply-smp');
    expectOk(await kIn(manifest('deployment.yaml'), 'apply', '-n', ns, '-f', '-'));
    // Another writer (not in last-applied) sets an extra env var on the same container.
    expectOk(await k('set', 'env', '-n', ns, 'deployment/web', 'EXTRA=1'));
    expectOk(await kIn(manifest('deployment.yaml').replace('nginx:1.27', 'nginx:1.29'), 'apply', '-n', ns, '-f', '-'));
    const c = (await getJson('deploy', 'web', '-n', ns)).spec.template.spec.containers[0];
    expect(c.image).toBe('nginx:1.29');
    expect(c.env).toEqual([{ name: 'GREETING', value: 'hello' }, { name: 'EXTRA', value: '1' }]);
    expect(c.ports).toEqual([{ containerPort: 80, protocol: 'TCP' }]);
  });

  it('applies server-side, creating and then updating the object with managedFields', async () => {
    const ns = await namespace('e2e-ssa');
    const cm = (v: string) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa' }, data: { v } });
    expect(expectOk(await kIn(cm('1'), 'apply', '--server-side', '-n', ns, '-f', '-')).stdout.trim()).toBe('configmap/ssa serverside-applied');
    expect(expectOk(await kIn(cm('2'), 'apply', '--server-side', '-n', ns, '-f', '-')).stdout.trim()).toBe('configmap/ssa serverside-applied');
    const got = await getJson('cm', 'ssa', '-n', ns, '--show-managed-fields');
    expect(got.data).toEqual({ v: '2' });
    expect(got.metadata.managedFields).toEqual(
      expect.arrayContaining([expect.objectContaining({ manager: 'kubectl', operation: 'Apply' })]),
    );
  });
});

describe('kubectl replace', () => {
  it('refuses a stale object with 409 "the object has been modified"', async () => {
    const ns = await namespace('e2e-replace');
    expectOk(await k('apply', '-n', ns, '-f', join(manifests, 'configmap.yaml')));
    const stale = await getJson('cm', 'settings', '-n', ns);
    expectOk(await k('label', '-n', ns, 'cm', 'settings', 'bump=1'));
    stale.data.color = 'stale';
    const r = expectFail(await kIn(JSON.stringify(stale), 'replace', '-n', ns, '-f', '-'));
    expect(r.stderr).toContain(
      'Error from server (Conflict): error when replacing "STDIN": Operation cannot be fulfilled on configmaps "settings": the object has been modified; please apply your changes to the latest version and try again',
    );

    const fresh = await getJson('cm', 'settings', '-n', ns);
    fresh.data.color = 'fresh';
    expect(expectOk(await kIn(JSON.stringify(fresh), 'replace', '-n', ns, '-f', '-')).stdout.trim()).toBe('configmap/settings replaced');
    expect((await getJson('cm', 'settings', '-n', ns)).data.color).toBe('fresh');
  });
});

describe('kubectl delete', () => {
  it('deletes by name, by label selector and by file', async () => {
    const ns = await namespace('e2e-delete');
    expectOk(await kIn(list([secret('d1', {}), secret('d2', { gone: 'yes' }), secret('d3', { gone: 'yes' }), secret('d4', {})]), 'apply', '-n', ns, '-f', '-'));
    expectOk(await k('apply', '-n', ns, '-f', join(manifests, 'configmap.yaml')));

    expect(expectOk(await k('delete', '-n', ns, 'secret', 'd1')).stdout).toMatch(/^secret "d1" deleted/m);
    const byLabel = expectOk(await k('delete', '-n', ns, 'secrets', '-l', 'gone=yes')).stdout;
    expect(byLabel).toMatch(/^secret "d2" deleted/m);
    expect(byLabel).toMatch(/^secret "d3" deleted/m);
    expect(expectOk(await k('delete', '-n', ns, '-f', join(manifests, 'configmap.yaml'))).stdout).toMatch(/^configmap "settings" deleted/m);

    expect(names(await k('get', 'secrets', '-n', ns, '-o', 'name'))).toEqual(['d4']);
    const missing = expectFail(await k('get', 'cm', 'settings', '-n', ns));
    expect(missing.stderr.trim()).toBe('Error from server (NotFound): configmaps "settings" not found');
  });

  it('deletes a pod that no node runs without hanging', async () => {
    const ns = await namespace('e2e-delete-pod');
    expectOk(await k('apply', '-n', ns, '-f', join(manifests, 'pod.yaml')));
    expect(expectOk(await k('delete', '-n', ns, 'pod', 'web-pod', '--timeout=30s')).stdout).toMatch(/^pod "web-pod" deleted/m);
    expectFail(await k('get', '-n', ns, 'pod', 'web-pod'));
  });

  it('deletes a namespace together with its content', async () => {
    const ns = await namespace('e2e-delete-ns');
    expectOk(await k('apply', '-n', ns, '-f', join(manifests, 'configmap.yaml')));
    expectOk(await k('apply', '-n', ns, '-f', join(manifests, 'deployment.yaml')));
    const r = expectOk(await cluster.kubectlWith(['delete', 'namespace', ns, '--timeout=50s'], { timeoutMs: 58_000 }));
    expect(r.stdout).toMatch(new RegExp(`^namespace "${ns}" deleted`, 'm'));
    await expect
      .poll(async () => (await k('get', 'namespace', ns)).stderr.trim(), { timeout: 30_000, interval: 250 })
      .toBe(`Error from server (NotFound): namespaces "${ns}" not found`);
    // Its objects are gone too: recreating the namespace shows it empty.
    await namespace(ns);
    expect(expectOk(await k('get', 'cm,deploy', '-n', ns, '-o', 'name')).stdout.split('\n').filter((l) => l.includes('settings') || l.includes('/web'))).toEqual([]);
  }, 120_000);
});

describe('kubectl get -w', () => {
  it('prints ADDED, MODIFIED and DELETED as they happen', async () => {
    const ns = await namespace('e2e-watch');
    expectOk(await kIn(list([secret('sentinel', {})]), 'apply', '-n', ns, '-f', '-'));
    const watch = cluster.kubectlBackground('get', 'secrets', '-n', ns, '-w', '--output-watch-events');
    try {
      // The sentinel's line means the LIST is printed and the watch is running from its RV.
      await expect.poll(() => watch.lines().some((l) => /^ADDED\s+sentinel\s/.test(l)), { timeout: 20_000 }).toBe(true);
      expectOk(await kIn(list([secret('w1', {})]), 'apply', '-n', ns, '-f', '-'));
      expectOk(await k('label', '-n', ns, 'secret', 'w1', 'changed=yes'));
      expectOk(await k('delete', '-n', ns, 'secret', 'w1'));
      await expect
        .poll(() => watch.lines().filter((l) => /\sw1\s/.test(l)).map((l) => l.split(/\s+/)[0]), { timeout: 20_000 })
        .toEqual(['ADDED', 'MODIFIED', 'DELETED']);
      expect(watch.lines()[0].split(/\s{2,}/)).toEqual(['EVENT', 'NAME', 'TYPE', 'DATA', 'AGE']);
    } finally {
      await watch.stop();
    }
  });

  it('waits for a deletion and for a jsonpath condition (watch-list)', async () => {
    const ns = await namespace('e2e-wait');
    expectOk(await kIn(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'w' }, data: { ready: 'no' } }), 'apply', '-n', ns, '-f', '-'));
    const cond = cluster.kubectlBackground('wait', '-n', ns, 'configmap/w', '--for=jsonpath={.data.ready}=yes', '--timeout=30s');
    const gone = cluster.kubectlBackground('wait', '-n', ns, 'configmap/w', '--for=delete', '--timeout=30s');
    try {
      expectOk(await k('patch', '-n', ns, 'configmap', 'w', '--type=merge', '-p', '{"data":{"ready":"yes"}}'));
      expect(await cond.exited, cond.stderr()).toBe(0);
      expect(cond.lines()).toContain('configmap/w condition met');
      expectOk(await k('delete', '-n', ns, 'configmap', 'w'));
      expect(await gone.exited, gone.stderr()).toBe(0);
    } finally {
      await cond.stop();
      await gone.stop();
    }
  });
});

describe('discovery and server info', () => {
  it('lists every served kind with its short names in api-resources', async () => {
    const { header, rows } = table(expectOk(await k('api-resources')).stdout);
    expect(header).toEqual(['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND']);
    const byKey = new Map<string, string[]>();
    for (const r of rows) {
      // SHORTNAMES may be empty, which collapses a column: normalise to 5 cells.
      const cells = r.length === 4 ? [r[0], '', ...r.slice(1)] : r;
      byKey.set(`${cells[0]}@${cells[2]}`, cells);
    }
    const expected: Array<[string, string, string, string, string]> = [
      ['namespaces', 'ns', 'v1', 'false', 'Namespace'],
      ['pods', 'po', 'v1', 'true', 'Pod'],
      ['services', 'svc', 'v1', 'true', 'Service'],
      ['endpoints', 'ep', 'v1', 'true', 'Endpoints'],
      ['configmaps', 'cm', 'v1', 'true', 'ConfigMap'],
      ['secrets', '', 'v1', 'true', 'Secret'],
      ['nodes', 'no', 'v1', 'false', 'Node'],
      ['events', 'ev', 'v1', 'true', 'Event'],
      ['serviceaccounts', 'sa', 'v1', 'true', 'ServiceAccount'],
      ['persistentvolumeclaims', 'pvc', 'v1', 'true', 'PersistentVolumeClaim'],
      ['deployments', 'deploy', 'apps/v1', 'true', 'Deployment'],
      ['replicasets', 'rs', 'apps/v1', 'true', 'ReplicaSet'],
      ['daemonsets', 'ds', 'apps/v1', 'true', 'DaemonSet'],
      ['statefulsets', 'sts', 'apps/v1', 'true', 'StatefulSet'],
      ['controllerrevisions', '', 'apps/v1', 'true', 'ControllerRevision'],
      ['jobs', '', 'batch/v1', 'true', 'Job'],
      ['cronjobs', 'cj', 'batch/v1', 'true', 'CronJob'],
      ['horizontalpodautoscalers', 'hpa', 'autoscaling/v2', 'true', 'HorizontalPodAutoscaler'],
      ['leases', '', 'coordination.k8s.io/v1', 'true', 'Lease'],
      ['endpointslices', '', 'discovery.k8s.io/v1', 'true', 'EndpointSlice'],
      ['poddisruptionbudgets', 'pdb', 'policy/v1', 'true', 'PodDisruptionBudget'],
      ['roles', '', 'rbac.authorization.k8s.io/v1', 'true', 'Role'],
      ['clusterroles', '', 'rbac.authorization.k8s.io/v1', 'false', 'ClusterRole'],
      ['rolebindings', '', 'rbac.authorization.k8s.io/v1', 'true', 'RoleBinding'],
      ['clusterrolebindings', '', 'rbac.authorization.k8s.io/v1', 'false', 'ClusterRoleBinding'],
    ];
    const missing = expected.filter(([name, short, gv, namespaced, kind]) => {
      const row = byKey.get(`${name}@${gv}`);
      return !row || row[1] !== short || row[3] !== namespaced || row[4] !== kind;
    });
    expect(missing, `rows:\n${[...byKey.values()].map((r) => r.join(' | ')).join('\n')}`).toEqual([]);
  });

  it('resolves short names', async () => {
    const ns = await namespace('e2e-short');
    for (const short of ['po', 'svc', 'cm', 'deploy', 'rs', 'ds', 'sts', 'cj', 'hpa', 'pdb', 'sa', 'pvc', 'ep', 'ev']) {
      const r = await k('get', short, '-n', ns);
      expect(r.code, `kubectl get ${short}: ${r.stderr}`).toBe(0);
    }
  });

  it('reports client and server versions', async () => {
    const v = JSON.parse(expectOk(await k('version', '-o', 'json')).stdout);
    expect(v.clientVersion.gitVersion).toMatch(/^v1\.35\./);
    expect(v.serverVersion.gitVersion).toMatch(/^v1\.\d+\.\d+/);
    expect(v.serverVersion.major).toBe('1');
  });

  it('explains a field from the OpenAPI schema', async () => {
    const out = expectOk(await k('explain', 'deployment.spec.replicas')).stdout;
    expect(out).toMatch(/^GROUP:\s+apps$/m);
    expect(out).toMatch(/^KIND:\s+Deployment$/m);
    expect(out).toMatch(/^FIELD:\s+replicas <integer>$/m);
  });
});

describe('errors kubectl shows', () => {
  it('shows the 422 field error of an invalid manifest', async () => {
    const ns = await namespace('e2e-invalid');
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bad' }, spec: { containers: [{ name: 'c' }] } };
    const r = expectFail(await kIn(JSON.stringify(pod), 'create', '-n', ns, '-f', '-'));
    expect(r.stderr).toContain('The Pod "bad" is invalid: spec.containers[0].image: Required value');
  });

  it('rejects an unknown field with fieldValidation=Strict', async () => {
    const ns = await namespace('e2e-strict');
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'strict' }, data: {}, bogus: 1 };
    const r = expectFail(await kIn(JSON.stringify(cm), 'create', '-n', ns, '-f', '-'));
    expect(r.stderr).toContain('unknown field "bogus"');
  });

  it('says the namespace does not exist (404)', async () => {
    const r = expectFail(await kIn(manifest('configmap.yaml'), 'create', '-n', 'nope', '-f', '-'));
    expect(r.stderr).toContain('Error from server (NotFound): error when creating "STDIN": namespaces "nope" not found');
  });

  it('says an object already exists (409)', async () => {
    const ns = await namespace('e2e-dup');
    expectOk(await kIn(manifest('configmap.yaml'), 'create', '-n', ns, '-f', '-'));
    const r = expectFail(await kIn(manifest('configmap.yaml'), 'create', '-n', ns, '-f', '-'));
    expect(r.stderr).toContain('Error from server (AlreadyExists): error when creating "STDIN": configmaps "settings" already exists');
  });

  it('says you must be logged in with a wrong token, and answers 401 Unauthorized without one', async () => {
    // kubectl with no credentials at all prompts for a username, so the kubectl case uses a wrong token.
    const kc = parseYaml(readFileSync(cluster.kubeconfig, 'utf8'));
    for (const u of kc.users ?? []) u.user.token = 'not-the-token';
    const wrongConfig = join(cluster.dataDir, '..', 'wrong-token.kubeconfig');
    writeFileSync(wrongConfig, toYaml(kc));
    const { kubectl } = await ensureTools();
    const r = expectFail(
      await run(kubectl, ['--kubeconfig', wrongConfig, '--cache-dir', join(cluster.dataDir, '..', 'wrong-cache'), 'get', 'pods'], {
        env: { KUBECONFIG: wrongConfig },
      }),
    );
    expect(r.stderr).toContain('error: You must be logged in to the server');

    const anonymous = createApiClient({ server: cluster.server, ca: cluster.ca }, { token: null });
    const wrong = createApiClient({ server: cluster.server, ca: cluster.ca }, { token: 'not-the-token' });
    try {
      const reply = await anonymous.request('GET', '/api/v1/namespaces/default/pods');
      expect(reply.status).toBe(401);
      expect(reply.json()).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Unauthorized', code: 401 });
      expect((await wrong.request('GET', '/api/v1/namespaces')).status).toBe(401);
    } finally {
      anonymous.close();
      wrong.close();
    }
  });

  it('says a named object is not found', async () => {
    const r = expectFail(await k('get', 'deployment', 'nosuch', '-n', 'default'));
    expect(r.stderr.trim()).toBe('Error from server (NotFound): deployments.apps "nosuch" not found');
  });
});

describe('kubectl create (protobuf bodies)', () => {
  it('creates a namespace, a configmap, a secret and a deployment', async () => {
    expect(expectOk(await k('create', 'namespace', 'e2e-pb')).stdout.trim()).toBe('namespace/e2e-pb created');
    const ns = 'e2e-pb';
    expect(expectOk(await k('create', 'configmap', 'pbcm', '-n', ns, '--from-literal=a=1', '--from-literal=b=two')).stdout.trim()).toBe('configmap/pbcm created');
    expect(expectOk(await k('create', 'secret', 'generic', 'pbsecret', '-n', ns, '--from-literal=pw=s3cr3t')).stdout.trim()).toBe('secret/pbsecret created');
    expect(expectOk(await k('create', 'deployment', 'pbdeploy', '-n', ns, '--image=nginx:1.27', '--replicas=3', '--port=8080')).stdout.trim()).toBe('deployment.apps/pbdeploy created');

    expect((await getJson('cm', 'pbcm', '-n', ns)).data).toEqual({ a: '1', b: 'two' });
    const s = await getJson('secret', 'pbsecret', '-n', ns);
    expect(s.type).toBe('Opaque');
    expect(Buffer.from(s.data.pw, 'base64').toString()).toBe('s3cr3t');
    const d = await getJson('deploy', 'pbdeploy', '-n', ns);
    expect(d.spec.replicas).toBe(3);
    expect(d.spec.selector).toEqual({ matchLabels: { app: 'pbdeploy' } });
    expect(d.spec.template.spec.containers).toEqual([
      expect.objectContaining({ name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: 8080, protocol: 'TCP' }] }),
    ]);
    // Go zero-values from protobuf must not appear as set fields.
    expect(d.spec.paused).toBeUndefined();
    expect((await getJson('ns', ns)).status.phase).toBe('Active');
  });
});

describe('workload commands', () => {
  const ns = 'e2e-workloads';

  beforeAll(async () => {
    await namespace(ns);
    expectOk(await k('apply', '-n', ns, '-f', join(manifests, 'deployment.yaml')));
    expectOk(await k('apply', '-n', ns, '-f', join(manifests, 'service.yaml')));
    expectOk(await k('apply', '-n', ns, '-f', join(manifests, 'cronjob.yaml')));
  }, 60_000);

  it('scales a deployment through the scale subresource', async () => {
    expect(expectOk(await k('scale', '-n', ns, 'deployment', 'web', '--replicas=5')).stdout.trim()).toBe('deployment.apps/web scaled');
    expect((await getJson('deploy', 'web', '-n', ns)).spec.replicas).toBe(5);
  });

  it('lists the "all" category', async () => {
    const out = expectOk(await k('get', 'all', '-n', ns)).stdout;
    expect(out).toMatch(/^service\/web-svc\s/m);
    expect(out).toMatch(/^deployment\.apps\/web\s/m);
    expect(out).toMatch(/^cronjob\.batch\/nightly\s/m);
  });
});
