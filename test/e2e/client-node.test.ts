/**
 * @kubernetes/client-node 2.x against `zeroplane up`: typed calls, errors as ApiException, the default JSON
 * patch, and an informer that must keep a correct cache across watches the server ends and across a 410.
 *
 * The 410 is injected by a loopback proxy between the informer and the server (a fresh ephemeral cluster has
 * compacted nothing, so a real "too old" RV cannot be produced on demand): on request it answers one watch with
 * exactly what apiserver sends for an expired RV, `{"type":"ERROR","object":{Status 410 Expired}}`, then ends
 * the stream. Everything else passes through to the real server.
 */
import {
  ApiException,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  makeInformer,
  setHeaderOptions,
  type V1ConfigMap,
} from '@kubernetes/client-node';
import { createServer, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startCluster, type LocalCluster } from '../support/cluster.ts';

// Real subprocesses (kubectl, helm, the server) are slower than unit tests.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 120_000 });

let cluster: LocalCluster;
let kc: KubeConfig;
let core: CoreV1Api;

beforeAll(async () => {
  cluster = await startCluster();
  kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  core = kc.makeApiClient(CoreV1Api);
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
}, 30_000);

async function namespace(name: string): Promise<string> {
  await core.createNamespace({ body: { metadata: { name } } });
  return name;
}

const configMap = (name: string, data: Record<string, string>, labels?: Record<string, string>): V1ConfigMap => ({
  metadata: { name, labels },
  data,
});

describe('typed calls', () => {
  it('creates, lists and reads objects', async () => {
    const ns = await namespace('cn-crud');
    const created = await core.createNamespacedConfigMap({ namespace: ns, body: configMap('one', { a: '1' }, { app: 'x' }) });
    expect(created.metadata?.uid).toBeTruthy();
    expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);
    await core.createNamespacedConfigMap({ namespace: ns, body: configMap('two', { b: '2' }) });

    const all = await core.listNamespacedConfigMap({ namespace: ns });
    expect(all.metadata?.resourceVersion).toMatch(/^\d+$/);
    expect(all.items.map((i) => i.metadata?.name).filter((n) => n !== 'kube-root-ca.crt').sort()).toEqual(['one', 'two']);
    const selected = await core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'app=x' });
    expect(selected.items.map((i) => i.metadata?.name)).toEqual(['one']);

    const read = await core.readNamespacedConfigMap({ namespace: ns, name: 'one' });
    expect(read.data).toEqual({ a: '1' });
    expect(read.metadata?.resourceVersion).toBe(created.metadata?.resourceVersion);
  });

  it('throws ApiException with code 404 and the Status body for a missing object', async () => {
    const ns = await namespace('cn-404');
    const err = await core.readNamespacedConfigMap({ namespace: ns, name: 'nosuch' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApiException);
    const apiErr = err as ApiException<string>;
    expect(apiErr.code).toBe(404);
    expect(JSON.parse(apiErr.body)).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'NotFound',
      code: 404,
      message: 'configmaps "nosuch" not found',
      details: { name: 'nosuch', kind: 'configmaps' },
    });
  });

  it('throws ApiException 409 on a duplicate create', async () => {
    const ns = await namespace('cn-409');
    await core.createNamespacedConfigMap({ namespace: ns, body: configMap('dup', {}) });
    await expect(core.createNamespacedConfigMap({ namespace: ns, body: configMap('dup', {}) })).rejects.toMatchObject({ code: 409 });
  });

  it('patches with the default JSON patch and with a merge patch', async () => {
    const ns = await namespace('cn-patch');
    await core.createNamespacedConfigMap({ namespace: ns, body: configMap('p', { color: 'blue', size: 'l' }) });

    const jsonPatched = await core.patchNamespacedConfigMap({
      namespace: ns,
      name: 'p',
      body: [
        { op: 'replace', path: '/data/color', value: 'red' },
        { op: 'remove', path: '/data/size' },
        { op: 'add', path: '/metadata/labels', value: { patched: 'json' } },
      ],
    });
    expect(jsonPatched.data).toEqual({ color: 'red' });
    expect(jsonPatched.metadata?.labels).toEqual({ patched: 'json' });

    const merged = await core.patchNamespacedConfigMap(
      { namespace: ns, name: 'p', body: { data: { shape: 'round', color: null } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(merged.data).toEqual({ shape: 'round' });

    // A failing JSON patch test op is a 422, not a silent success.
    await expect(
      core.patchNamespacedConfigMap({ namespace: ns, name: 'p', body: [{ op: 'test', path: '/data/shape', value: 'square' }] }),
    ).rejects.toMatchObject({ code: 422 });
  });
});

/** A loopback HTTP proxy in front of the HTTPS API that can answer the next watch with a 410 Expired event. */
interface ExpiringProxy {
  url: string;
  expireNextWatch(): void;
  expiredWatches(): number;
  close(): Promise<void>;
}

async function startExpiringProxy(target: LocalCluster): Promise<ExpiringProxy> {
  const upstream = new URL(target.server);
  let expireNext = false;
  let expired = 0;
  const server: Server = createServer((req, res) => {
    if (expireNext && /[?&]watch=true/.test(req.url ?? '')) {
      expireNext = false;
      expired++;
      res.writeHead(200, { 'content-type': 'application/json' });
      const status = {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'too old resource version: 1 (2)',
        reason: 'Expired',
        code: 410,
      };
      res.end(JSON.stringify({ type: 'ERROR', object: status }) + '\n');
      return;
    }
    const headers = { ...req.headers, host: upstream.host };
    const up = httpsRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, ca: target.ca, rejectUnauthorized: !!target.ca },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('proxy did not bind');
  return {
    url: `http://127.0.0.1:${addr.port}`,
    expireNextWatch: () => (expireNext = true),
    expiredWatches: () => expired,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe('informer', () => {
  let proxy: ExpiringProxy;

  beforeAll(async () => {
    proxy = await startExpiringProxy(cluster);
  });

  afterAll(async () => {
    await proxy?.close();
  });

  it('keeps a correct cache across watches the server ends and across a 410 relist', async () => {
    const ns = await namespace('cn-informer');
    await core.createNamespacedConfigMap({ namespace: ns, body: configMap('a', { v: '1' }, { informed: 'yes' }) });
    await core.createNamespacedConfigMap({ namespace: ns, body: configMap('b', { v: '1' }, { informed: 'yes' }) });

    const viaProxy = new KubeConfig();
    viaProxy.loadFromOptions({
      clusters: [{ name: 'proxy', server: proxy.url, skipTLSVerify: true }],
      users: [{ name: 'u', token: cluster.token }],
      contexts: [{ name: 'c', cluster: 'proxy', user: 'u' }],
      currentContext: 'c',
    });
    const proxied = viaProxy.makeApiClient(CoreV1Api);
    let lists = 0;
    let connects = 0;
    const errors: unknown[] = [];
    // timeoutSeconds in the path: client-node keeps the query string and adds watch/resourceVersion to it, so
    // every watch is ended by the server after 1 s and the informer has to re-watch from its last RV.
    const informer = makeInformer<V1ConfigMap>(
      viaProxy,
      `/api/v1/namespaces/${ns}/configmaps?timeoutSeconds=1`,
      () => {
        lists++;
        return proxied.listNamespacedConfigMap({ namespace: ns, labelSelector: 'informed=yes' });
      },
      'informed=yes',
    );
    informer.on('connect', () => connects++);
    informer.on('error', (e) => errors.push(e));
    const cache = () =>
      Object.fromEntries(
        informer
          .list(ns)
          .map((o) => [o.metadata!.name!, o.data?.v ?? ''] as const)
          .sort(([x], [y]) => x.localeCompare(y)),
      );

    await informer.start();
    try {
      expect(cache()).toEqual({ a: '1', b: '1' });
      expect(lists).toBe(1);

      // Two watches ended by the server, each followed by a re-watch (a connect) without a relist.
      await expect.poll(() => connects, { timeout: 20_000 }).toBeGreaterThanOrEqual(3);
      await core.createNamespacedConfigMap({ namespace: ns, body: configMap('c', { v: '1' }, { informed: 'yes' }) });
      await core.patchNamespacedConfigMap({ namespace: ns, name: 'a', body: [{ op: 'replace', path: '/data/v', value: '2' }] });
      await core.deleteNamespacedConfigMap({ namespace: ns, name: 'b' });
      await expect.poll(cache, { timeout: 20_000 }).toEqual({ a: '2', c: '1' });
      expect(lists).toBe(1);

      // The next watch answers 410 Expired: the informer must relist, then keep following live changes.
      proxy.expireNextWatch();
      await expect.poll(() => proxy.expiredWatches(), { timeout: 40_000 }).toBe(1);
      await expect.poll(() => lists, { timeout: 20_000 }).toBe(2);
      await core.deleteNamespacedConfigMap({ namespace: ns, name: 'a' });
      await core.createNamespacedConfigMap({ namespace: ns, body: configMap('d', { v: '1' }, { informed: 'yes' }) });
      await core.createNamespacedConfigMap({ namespace: ns, body: configMap('ignored', { v: '1' }) });
      await expect.poll(cache, { timeout: 20_000 }).toEqual({ c: '1', d: '1' });
      expect(errors).toEqual([]);
    } finally {
      await informer.stop();
    }
  }, 120_000);

  it('answers a watch from an ancient resourceVersion with well-formed events or a 410 Expired, nothing else', async () => {
    // A watch from RV 1 on a cluster that has compacted nothing may legitimately succeed (the log still holds
    // it); if the server answers 410 instead it must be a well-formed Expired event or status client-node acts on.
    const ns = await namespace('cn-old-rv');
    const reply = await cluster.api().request('GET', `/api/v1/namespaces/${ns}/configmaps?watch=true&resourceVersion=1&timeoutSeconds=1`);
    if (reply.status === 410) {
      expect(reply.json()).toMatchObject({ kind: 'Status', reason: 'Expired', code: 410 });
    } else {
      expect(reply.status).toBe(200);
      for (const line of reply.text.split('\n').filter(Boolean)) {
        const ev = JSON.parse(line);
        expect(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']).toContain(ev.type);
        if (ev.type === 'ERROR') expect(ev.object).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
      }
    }
  });
});
