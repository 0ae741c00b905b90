/**
 * Concurrency through the real HTTPS path of `zeroplane up` (design invariant 1): optimistic concurrency on
 * resourceVersion, and a watch that sees every change exactly once, in increasing RV order, under many writers.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApiClient, startCluster, type ApiClient, type LocalCluster } from '../support/cluster.ts';

// Real subprocesses (kubectl, helm, the server) are slower than unit tests.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 120_000 });

let cluster: LocalCluster;
let api: ApiClient;

beforeAll(async () => {
  cluster = await startCluster();
  api = cluster.api();
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
}, 30_000);

async function namespace(name: string): Promise<string> {
  const r = await api.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  expect(r.status, r.text).toBe(201);
  return name;
}

const cmPath = (ns: string, name = '') => `/api/v1/namespaces/${ns}/configmaps${name ? `/${name}` : ''}`;

describe('optimistic concurrency', () => {
  it('lets exactly one of 20 concurrent PUTs with the same resourceVersion win; the rest get 409 Conflict', async () => {
    const ns = await namespace('cc-put');
    const created = await api.request('POST', cmPath(ns), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'race' }, data: { winner: 'none' } });
    expect(created.status, created.text).toBe(201);
    const base = created.json();

    // One connection per client, so the PUTs really are in flight together.
    const clients = Array.from({ length: 20 }, () => createApiClient({ server: cluster.server, ca: cluster.ca, token: cluster.token }, { maxSockets: 1 }));
    try {
      // Warm each connection (TLS handshake) so the PUTs start together.
      await Promise.all(clients.map((c) => c.request('GET', '/version')));
      const replies = await Promise.all(
        clients.map((c, i) => c.request('PUT', cmPath(ns, 'race'), { ...base, data: { winner: `client-${i}` } })),
      );
      const statuses = replies.map((r) => r.status);
      expect(statuses.filter((s) => s === 200), `statuses: ${statuses.join(',')}`).toHaveLength(1);
      expect(statuses.filter((s) => s === 409), `statuses: ${statuses.join(',')}`).toHaveLength(19);
      for (const r of replies.filter((x) => x.status === 409)) {
        expect(r.json()).toMatchObject({
          kind: 'Status',
          reason: 'Conflict',
          code: 409,
          message: 'Operation cannot be fulfilled on configmaps "race": the object has been modified; please apply your changes to the latest version and try again',
        });
      }
      const winner = replies.findIndex((r) => r.status === 200);
      const stored = (await api.request('GET', cmPath(ns, 'race'))).json();
      expect(stored.data).toEqual({ winner: `client-${winner}` });
      expect(stored.metadata.resourceVersion).toBe(replies[winner].json().metadata.resourceVersion);
      expect(Number(stored.metadata.resourceVersion)).toBeGreaterThan(Number(base.metadata.resourceVersion));
    } finally {
      for (const c of clients) c.close();
    }
  });
});

describe('watch under concurrent writers', () => {
  it('delivers every change exactly once, in increasing resourceVersion order', async () => {
    const ns = await namespace('cc-watch');
    const listed = await api.request('GET', cmPath(ns));
    expect(listed.status).toBe(200);
    const rv = listed.json().metadata.resourceVersion;
    const watch = api.watch(`${cmPath(ns)}?watch=true&resourceVersion=${rv}&timeoutSeconds=120`);

    const writers = 8;
    const objectsPerWriter = 5;
    const patchesPerObject = 3;
    type Write = { type: 'ADDED' | 'MODIFIED' | 'DELETED'; name: string; rv?: string };
    const writes: Write[] = [];
    const clients = Array.from({ length: writers }, () => createApiClient({ server: cluster.server, ca: cluster.ca, token: cluster.token }, { maxSockets: 2 }));
    try {
      await Promise.all(
        clients.map(async (c, w) => {
          for (let o = 0; o < objectsPerWriter; o++) {
            const name = `w${w}-o${o}`;
            const r = await c.request('POST', cmPath(ns), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { n: '0' } });
            expect(r.status, r.text).toBe(201);
            writes.push({ type: 'ADDED', name, rv: r.json().metadata.resourceVersion });
          }
          for (let p = 1; p <= patchesPerObject; p++) {
            for (let o = 0; o < objectsPerWriter; o++) {
              const name = `w${w}-o${o}`;
              const r = await c.request('PATCH', cmPath(ns, name), { data: { n: String(p) } }, { 'content-type': 'application/merge-patch+json' });
              expect(r.status, r.text).toBe(200);
              writes.push({ type: 'MODIFIED', name, rv: r.json().metadata.resourceVersion });
            }
          }
          for (const o of [0, 1]) {
            const name = `w${w}-o${o}`;
            const r = await c.request('DELETE', cmPath(ns, name));
            expect(r.status, r.text).toBe(200);
            writes.push({ type: 'DELETED', name });
          }
        }),
      );

      const live = () => watch.events().filter((e) => e.type !== 'BOOKMARK');
      await expect.poll(() => live().length, { timeout: 30_000 }).toBeGreaterThanOrEqual(writes.length);
      const events = live();
      expect(events.filter((e) => e.type === 'ERROR')).toEqual([]);
      expect(events).toHaveLength(writes.length);

      const rvs = events.map((e) => Number(e.object.metadata.resourceVersion));
      const outOfOrder = rvs.flatMap((v, i) => (i > 0 && v <= rvs[i - 1] ? [`${rvs[i - 1]} then ${v}`] : []));
      expect(outOfOrder).toEqual([]);
      expect(rvs[0]).toBeGreaterThan(Number(rv));

      const seen = events.map((e) => `${e.type} ${e.object.metadata.name}${e.type === 'DELETED' ? '' : ` ${e.object.metadata.resourceVersion}`}`).sort();
      const expected = writes.map((w) => `${w.type} ${w.name}${w.rv ? ` ${w.rv}` : ''}`).sort();
      expect(seen).toEqual(expected);

      // Per object, the watch shows its history in order: ADDED, MODIFIED x3, then DELETED for the deleted ones.
      const history = new Map<string, string[]>();
      for (const e of events) history.set(e.object.metadata.name, [...(history.get(e.object.metadata.name) ?? []), e.type]);
      expect(history.get('w3-o0')).toEqual(['ADDED', 'MODIFIED', 'MODIFIED', 'MODIFIED', 'DELETED']);
      expect(history.get('w3-o4')).toEqual(['ADDED', 'MODIFIED', 'MODIFIED', 'MODIFIED']);
      expect(events.find((e) => e.object.metadata.name === 'w5-o2' && e.type === 'MODIFIED' && e.object.data.n === '3')).toBeTruthy();
    } finally {
      watch.close();
      for (const c of clients) c.close();
    }
  }, 120_000);
});
