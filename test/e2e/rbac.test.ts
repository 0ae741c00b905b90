/**
 * Who may do what, through the real kubectl 1.35 against `zeroplane up`: ServiceAccount tokens from
 * `kubectl create token`, RBAC Roles and bindings with Kubernetes' 403 messages, `kubectl auth can-i` (exit codes),
 * `auth can-i --list`, `auth whoami`, 401 without a token, node credentials limited to their own pods, Secrets
 * sealed in DynamoDB, and the audit log.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { auditLogPath, mintNodeToken } from '../../local/kubeconfig.ts';
import { makeDynamoClient } from '../../local/emulators.ts';
import { createApiClient, startCluster, type LocalCluster } from '../support/cluster.ts';
import type { RunResult } from '../support/tools.ts';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 120_000 });

let cluster: LocalCluster;
let botToken: string;

const k = (...args: string[]) => cluster.kubectl(...args);
const kIn = (input: string, ...args: string[]) => cluster.kubectlWith(args, { input });
/** kubectl as someone else: the admin kubeconfig's cluster, another bearer token. */
const kAs = (token: string, ...args: string[]) => cluster.kubectl('--token', token, ...args);

function expectOk(r: RunResult): RunResult {
  expect(r.code, `kubectl failed:\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(0);
  return r;
}

const apply = (obj: unknown) => kIn(JSON.stringify(obj), 'apply', '-f', '-').then(expectOk);

beforeAll(async () => {
  cluster = await startCluster();
  expectOk(await k('create', 'namespace', 'team'));
  expectOk(await k('create', 'serviceaccount', 'bot', '-n', 'team'));
  await apply({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'pod-reader', namespace: 'team' },
    rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }],
  });
  expectOk(await k('create', 'rolebinding', 'bot-reads-pods', '--role=pod-reader', '--serviceaccount=team:bot', '-n', 'team'));
  botToken = expectOk(await k('create', 'token', 'bot', '-n', 'team', '--duration=1h')).stdout.trim();
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
}, 30_000);

describe('ServiceAccount tokens and RBAC', () => {
  it('kubectl create token prints a JWT for the ServiceAccount', () => {
    expect(botToken.split('.')).toHaveLength(3);
    const claims = JSON.parse(Buffer.from(botToken.split('.')[1], 'base64url').toString('utf8'));
    expect(claims.sub).toBe('system:serviceaccount:team:bot');
    expect(claims.exp - claims.iat).toBe(3600);
  });

  it('lets a ServiceAccount bound to a Role list pods in its namespace', async () => {
    const r = expectOk(await kAs(botToken, 'get', 'pods', '-n', 'team'));
    expect(r.stderr).toContain('No resources found in team namespace.');
  });

  it('forbids everything else with Kubernetes’ message', async () => {
    const other = await kAs(botToken, 'get', 'pods', '-n', 'default');
    expect(other.code).toBe(1);
    expect(other.stderr.trim()).toBe(
      'Error from server (Forbidden): pods is forbidden: User "system:serviceaccount:team:bot" cannot list resource "pods" in API group "" in the namespace "default"',
    );
    const svc = await kAs(botToken, 'get', 'services', '-n', 'team');
    expect(svc.stderr).toContain('services is forbidden: User "system:serviceaccount:team:bot" cannot list resource "services" in API group "" in the namespace "team"');
    const create = await kAs(botToken, 'create', 'configmap', 'c', '-n', 'team', '--from-literal=a=b');
    expect(create.stderr).toContain('configmaps is forbidden: User "system:serviceaccount:team:bot" cannot create resource "configmaps" in API group "" in the namespace "team"');
    const nodes = await kAs(botToken, 'get', 'nodes');
    expect(nodes.stderr).toContain('nodes is forbidden: User "system:serviceaccount:team:bot" cannot list resource "nodes" in API group "" at the cluster scope');
  });

  it('answers kubectl auth can-i with yes (exit 0) and no (exit 1)', async () => {
    const yes = await kAs(botToken, 'auth', 'can-i', 'list', 'pods', '-n', 'team');
    expect([yes.code, yes.stdout.trim()]).toEqual([0, 'yes']);
    const no = await kAs(botToken, 'auth', 'can-i', 'delete', 'pods', '-n', 'team');
    expect([no.code, no.stdout.trim()]).toEqual([1, 'no']);
    const elsewhere = await kAs(botToken, 'auth', 'can-i', 'list', 'pods', '-n', 'default');
    expect([elsewhere.code, elsewhere.stdout.trim()]).toEqual([1, 'no']);
    const admin = await k('auth', 'can-i', 'delete', 'nodes');
    expect([admin.code, admin.stdout.trim()]).toEqual([0, 'yes']);
  });

  it('lets an admin check another user’s permissions by impersonation, and nobody else', async () => {
    const yes = await k('auth', 'can-i', 'list', 'pods', '-n', 'team', '--as=system:serviceaccount:team:bot');
    expect([yes.code, yes.stdout.trim()]).toEqual([0, 'yes']);
    const no = await k('auth', 'can-i', 'delete', 'pods', '-n', 'team', '--as=system:serviceaccount:team:bot');
    expect([no.code, no.stdout.trim()]).toEqual([1, 'no']);
    const denied = await kAs(botToken, 'get', 'pods', '-n', 'team', '--as=zeroplane:admin');
    expect(denied.stderr).toContain('users "zeroplane:admin" is forbidden: User "system:serviceaccount:team:bot" cannot impersonate resource "users" in API group "" at the cluster scope');
  });

  it('lists a ServiceAccount’s rules with kubectl auth can-i --list', async () => {
    const r = expectOk(await kAs(botToken, 'auth', 'can-i', '--list', '-n', 'team'));
    expect(r.stdout).toMatch(/^pods\s+\[\]\s+\[\]\s+\[get list\]$/m);
    expect(r.stdout).toMatch(/selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]/);
  });

  it('tells kubectl auth whoami who the token belongs to', async () => {
    const r = expectOk(await kAs(botToken, 'auth', 'whoami'));
    expect(r.stdout).toMatch(/Username\s+system:serviceaccount:team:bot/);
    expect(r.stdout).toMatch(/Groups\s+\[system:serviceaccounts system:serviceaccounts:team system:authenticated\]/);
    const admin = expectOk(await k('auth', 'whoami'));
    expect(admin.stdout).toMatch(/Username\s+zeroplane:admin/);
  });

  it('answers 401 without a token, or with a token nobody issued', async () => {
    const anon = createApiClient(cluster, { token: null });
    const res = await anon.request('GET', '/api/v1/namespaces');
    anon.close();
    expect(res.status).toBe(401);
    expect(res.json()).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    const bogus = await kAs('not-a-token', 'get', 'pods');
    expect(bogus.stderr).toContain('error: You must be logged in to the server (Unauthorized)');
  });
});

describe('node credentials', () => {
  let nodeToken: string;
  beforeAll(async () => {
    for (const name of ['n1', 'n2']) await apply({ apiVersion: 'v1', kind: 'Node', metadata: { name } });
    for (const [pod, node] of [['on-n1', 'n1'], ['on-n2', 'n2']]) {
      await apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: pod, namespace: 'default' }, spec: { nodeName: node, containers: [{ name: 'c', image: 'zp/busybox:1' }] } });
    }
    nodeToken = await mintNodeToken(cluster.dataDir, 'n1');
  });

  it('reads the pods bound to its own node', async () => {
    const r = expectOk(await kAs(nodeToken, 'get', 'pod', 'on-n1', '-n', 'default', '-o', 'name'));
    expect(r.stdout.trim()).toBe('pod/on-n1');
    const list = expectOk(await kAs(nodeToken, 'get', 'pods', '-A', '--field-selector', 'spec.nodeName=n1', '-o', 'name'));
    expect(list.stdout.trim()).toBe('pod/on-n1');
  });

  it('is forbidden to read another node’s pods', async () => {
    const r = await kAs(nodeToken, 'get', 'pod', 'on-n2', '-n', 'default');
    expect(r.stderr.trim()).toBe(
      `Error from server (Forbidden): pods "on-n2" is forbidden: User "system:node:n1" cannot get resource "pods" in API group "" in the namespace "default": no relationship found between node 'n1' and this object`,
    );
    const list = await kAs(nodeToken, 'get', 'pods', '-A', '--field-selector', 'spec.nodeName=n2');
    expect(list.stderr).toContain('pods is forbidden: User "system:node:n1" cannot list resource "pods" in API group "" at the cluster scope');
  });

  it('may update its own Node and not another', async () => {
    expectOk(await kAs(nodeToken, 'label', 'node', 'n1', 'zp-test=yes'));
    const other = await kAs(nodeToken, 'label', 'node', 'n2', 'zp-test=yes');
    expect(other.stderr).toContain('nodes "n2" is forbidden: User "system:node:n1" cannot');
  });
});

describe('Secrets at rest and the audit log', () => {
  it('stores Secret data sealed in DynamoDB', async () => {
    expectOk(await k('create', 'secret', 'generic', 'db-pass', '-n', 'team', '--from-literal=password=s3cr3t-plaintext-value'));
    const out = expectOk(await k('get', 'secret', 'db-pass', '-n', 'team', '-o', 'jsonpath={.data.password}'));
    expect(Buffer.from(out.stdout, 'base64').toString('utf8')).toBe('s3cr3t-plaintext-value');

    const port = /DynamoDB Local on 127\.0\.0\.1:(\d+)/.exec(cluster.logs())?.[1];
    expect(port, cluster.logs()).toBeDefined();
    const client = makeDynamoClient(`http://127.0.0.1:${port}`);
    try {
      const raw = await client.send(new ScanCommand({ TableName: 'zp-objects', ConsistentRead: true }));
      const item = (raw.Items ?? []).find((i) => i.pk?.S === 'core/secrets' && i.sk?.S === 'team/db-pass');
      const text = JSON.stringify(item);
      expect(text).toContain('zp:enc:v1:local:');
      expect(text).not.toContain(Buffer.from('s3cr3t-plaintext-value').toString('base64'));
      expect(text).not.toContain('s3cr3t-plaintext-value');
    } finally {
      client.destroy();
    }
  });

  it('writes one audit line per mutating request, without Secret values', async () => {
    const log = readFileSync(auditLogPath(cluster.dataDir), 'utf8');
    const lines = log.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toContainEqual(expect.objectContaining({ user: 'zeroplane:admin', verb: 'create', resource: 'secrets', namespace: 'team', name: 'db-pass', code: 201 }));
    expect(lines).toContainEqual(expect.objectContaining({ user: 'zeroplane:admin', verb: 'create', resource: 'serviceaccounts/token', namespace: 'team', name: 'bot', code: 201 }));
    expect(lines).toContainEqual(expect.objectContaining({ user: 'system:serviceaccount:team:bot', verb: 'create', resource: 'configmaps', namespace: 'team', code: 403 }));
    expect(lines.some((l) => l.verb === 'list' || l.verb === 'get' || l.verb === 'watch')).toBe(false);
    expect(log).not.toContain('s3cr3t-plaintext-value');
    expect(log).not.toContain(Buffer.from('s3cr3t-plaintext-value').toString('base64'));
    expect(log).not.toContain(botToken);
  });
});
