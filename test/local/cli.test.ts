/**
 * `zeroplane up` as users run it: a subprocess of bin/zeroplane.mjs, talked to over HTTPS with the kubeconfig it
 * writes, stopped with SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createApiClient, freePort, readKubeconfig } from '../support/cluster.ts';
import { repoRoot } from '../support/tools.ts';

const READY = 'Zeroplane is ready';
const KUBECTL_DISCOVERY_ACCEPT =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

interface Up {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

const started: Up[] = [];
const dirs: string[] = [];

function up(args: string[], env: NodeJS.ProcessEnv = process.env): Up {
  // --no-agent: a node would put its rules in the host namespace (tests make their own namespaces).
  const child = spawn(process.execPath, [join(repoRoot, 'bin/zeroplane.mjs'), 'up', '--no-agent', ...args], {
    cwd: repoRoot,
    env: { ...env, DDB_LOCAL_TELEMETRY: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const handle = { child, output: () => out, exited };
  started.push(handle);
  return handle;
}

async function untilReady(u: Up): Promise<void> {
  await expect.poll(() => u.output().includes(READY) || u.child.exitCode !== null, { timeout: 90_000, interval: 100 }).toBe(true);
  if (!u.output().includes(READY)) throw new Error(`zeroplane up exited before ready:\n${u.output()}`);
}

async function stop(u: Up): Promise<number | null> {
  if (u.child.exitCode === null && u.child.signalCode === null) u.child.kill('SIGTERM');
  return u.exited;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function tempDataDir(): Promise<string> {
  const base = await mkdtemp(join(tmpdir(), 'zp-cli-'));
  dirs.push(base);
  return join(base, 'data');
}

afterAll(async () => {
  for (const u of started) if (u.child.exitCode === null && u.child.signalCode === null) u.child.kill('SIGKILL');
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('zeroplane up', () => {
  it('starts a cluster that answers over HTTPS with the kubeconfig token and CA, refuses a second instance, and stops cleanly', async () => {
    const dataDir = await tempDataDir();
    const port = await freePort();
    const first = up(['--ephemeral', '--data-dir', dataDir, '--port', String(port)]);
    await untilReady(first);

    const out = first.output();
    expect(out).toContain('• starting DynamoDB Local…');
    const ddbPort = Number(/✓ DynamoDB Local on 127\.0\.0\.1:(\d+) \(\d+\.\d s\)/.exec(out)?.[1]);
    expect(ddbPort).toBeGreaterThan(0);
    expect(out.split('\n').filter((l) => l.includes(READY))).toHaveLength(1);
    const kubeconfig = join(dataDir, 'kubeconfig');
    expect(out).toContain(`export KUBECONFIG=${kubeconfig}`);

    const access = readKubeconfig(kubeconfig);
    expect(access.server).toBe(`https://127.0.0.1:${port}`);
    const api = createApiClient(access);
    try {
      const version = await api.request('GET', '/version');
      expect(version.status).toBe(200);
      expect(version.json()).toMatchObject({ major: '1', minor: '35', gitVersion: 'v1.35.0-zeroplane', platform: 'linux/amd64' });

      const discovery = await api.request('GET', '/api', undefined, { accept: KUBECTL_DISCOVERY_ACCEPT });
      expect(discovery.status).toBe(200);
      expect(discovery.headers['content-type']).toBe('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
      expect(discovery.json().items[0].versions[0].resources.map((r: any) => r.resource)).toContain('pods');

      const namespaces = await api.request('GET', '/api/v1/namespaces');
      expect(namespaces.status).toBe(200);
      expect(namespaces.json().items.map((n: any) => n.metadata.name)).toEqual(expect.arrayContaining(['default', 'kube-system']));

      const anonymous = createApiClient(access, { token: null });
      expect((await anonymous.request('GET', '/api/v1/namespaces')).status).toBe(401);
      anonymous.close();
    } finally {
      api.close();
    }

    // A second instance on the same data dir is refused before it starts anything.
    const second = up(['--ephemeral', '--data-dir', dataDir, '--port', String(await freePort())]);
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain(`another zeroplane (pid ${first.child.pid}) is already running on data dir ${dataDir}`);
    expect(second.output()).not.toContain('starting DynamoDB Local');

    expect(await stop(first)).toBe(0);
    expect(await portOpen(port)).toBe(false);
    await expect.poll(() => portOpen(ddbPort), { timeout: 10_000 }).toBe(false);
    expect(existsSync(join(dataDir, 'zeroplane.lock'))).toBe(false);
  }, 180_000);

  it('keeps objects across a restart on the same data dir', async () => {
    const dataDir = await tempDataDir();
    const port = await freePort();
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kept' }, data: { answer: '42' } };

    const first = up(['--data-dir', dataDir, '--port', String(port)]);
    await untilReady(first);
    const api = createApiClient(readKubeconfig(join(dataDir, 'kubeconfig')));
    expect((await api.request('POST', '/api/v1/namespaces/default/configmaps', configMap)).status).toBe(201);
    api.close();
    expect(await stop(first)).toBe(0);

    const second = up(['--data-dir', dataDir, '--port', String(port)]);
    await untilReady(second);
    const again = createApiClient(readKubeconfig(join(dataDir, 'kubeconfig')));
    const got = await again.request('GET', '/api/v1/namespaces/default/configmaps/kept');
    again.close();
    expect(got.status).toBe(200);
    expect(got.json().data).toEqual({ answer: '42' });
    expect(await stop(second)).toBe(0);
  }, 240_000);

  it('says clearly when the port is taken', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const u = up(['--ephemeral', '--data-dir', await tempDataDir(), '--port', String(port)]);
      expect(await u.exited).toBe(1);
      expect(u.output()).toContain(`port ${port} on 127.0.0.1 is already in use`);
    } finally {
      blocker.close();
    }
  }, 60_000);

  it('says how to install Java when it is missing', async () => {
    const u = up(['--ephemeral', '--data-dir', await tempDataDir(), '--port', String(await freePort())], {
      ...process.env,
      PATH: dirname(process.execPath),
      AWS_ENDPOINT_URL: '',
    });
    expect(await u.exited).toBe(1);
    expect(u.output()).toContain('apt-get install -y openjdk-17-jre-headless');
  }, 60_000);
});
