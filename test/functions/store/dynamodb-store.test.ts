import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../../functions/store/item-codec.ts';
import { isStatusError } from '../../../shared/api/status.ts';
import { createTestStore } from '../../support/dynamo.ts';
import { collectWatch, pod, podRef, PODS } from './store-fixtures.ts';

const watches: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(watches.splice(0).map((w) => w.stop()));
});

async function watchFrom(...args: Parameters<typeof collectWatch>) {
  const w = await collectWatch(...args);
  watches.push(w);
  return w;
}

describe('DynamoStore: writes', () => {
  it('creates, reads, updates and deletes an object, stamping a new resourceVersion each time', async () => {
    const store = await createTestStore();
    const created = await store.create(podRef('default', 'a'), pod('default', 'a'));
    expect(created.ok).toBe(true);
    if (!created.ok) return;
    const rv1 = created.object.metadata.resourceVersion!;
    expect(await store.get(podRef('default', 'a'))).toEqual(created.object);

    const updated = await store.update(podRef('default', 'a'), { ...created.object, spec: { nodeName: 'n1' } }, rv1);
    expect(updated.ok).toBe(true);
    if (!updated.ok) return;
    expect(Number(updated.object.metadata.resourceVersion)).toBeGreaterThan(Number(rv1));
    expect((await store.get(podRef('default', 'a')))?.spec).toEqual({ nodeName: 'n1' });

    const deleted = await store.delete(podRef('default', 'a'), updated.object.metadata.resourceVersion!);
    expect(deleted.ok).toBe(true);
    if (!deleted.ok) return;
    expect(Number(deleted.object.metadata.resourceVersion)).toBeGreaterThan(Number(updated.object.metadata.resourceVersion));
    expect(await store.get(podRef('default', 'a'))).toBeUndefined();
  });

  it('refuses a second create of the same name with AlreadyExists', async () => {
    const store = await createTestStore();
    await store.create(podRef('default', 'a'), pod('default', 'a'));
    expect(await store.create(podRef('default', 'a'), pod('default', 'a'))).toEqual({ ok: false, reason: 'AlreadyExists' });
  });

  it('refuses a stale update and a stale delete with Conflict carrying the current object', async () => {
    const store = await createTestStore();
    const v1 = await store.create(podRef('default', 'a'), pod('default', 'a'));
    if (!v1.ok) throw new Error('create failed');
    const v2 = await store.update(podRef('default', 'a'), { ...v1.object, spec: { x: 2 } }, v1.object.metadata.resourceVersion!);
    if (!v2.ok) throw new Error('update failed');

    const stale = await store.update(podRef('default', 'a'), { ...v1.object, spec: { x: 3 } }, v1.object.metadata.resourceVersion!);
    expect(stale).toEqual({ ok: false, reason: 'Conflict', current: v2.object });
    const staleDelete = await store.delete(podRef('default', 'a'), v1.object.metadata.resourceVersion!);
    expect(staleDelete).toEqual({ ok: false, reason: 'Conflict', current: v2.object });
  });

  it('detects a conflict also when another store instance wrote the object (no cached state)', async () => {
    const a = await createTestStore();
    const b = await createTestStore({ tablePrefix: a.tables.objects.replace(/-objects$/, '') });
    const v1 = await a.create(podRef('default', 'a'), pod('default', 'a'));
    if (!v1.ok) throw new Error('create failed');
    const v2 = await b.update(podRef('default', 'a'), { ...v1.object, spec: { x: 2 } }, v1.object.metadata.resourceVersion!);
    expect(v2.ok).toBe(true);
    const stale = await a.update(podRef('default', 'a'), { ...v1.object, spec: { x: 3 } }, v1.object.metadata.resourceVersion!);
    expect(stale.ok === false && stale.reason).toBe('Conflict');
  });

  it('answers NotFound to an update or delete of a missing object', async () => {
    const store = await createTestStore();
    expect(await store.update(podRef('default', 'nope'), pod('default', 'nope'), '1')).toEqual({ ok: false, reason: 'NotFound' });
    expect(await store.delete(podRef('default', 'nope'), '1')).toEqual({ ok: false, reason: 'NotFound' });
  });

  it('hands out unique, increasing resourceVersions and reports them settled', async () => {
    const store = await createTestStore();
    const rvs: number[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await store.create(podRef('default', `p${i}`), pod('default', `p${i}`));
      if (!r.ok) throw new Error('create failed');
      rvs.push(Number(r.object.metadata.resourceVersion));
    }
    // A failed write burns an RV; the order stays strictly increasing.
    await store.create(podRef('default', 'p0'), pod('default', 'p0'));
    const after = await store.create(podRef('default', 'last'), pod('default', 'last'));
    if (!after.ok) throw new Error('create failed');
    rvs.push(Number(after.object.metadata.resourceVersion));
    expect(new Set(rvs).size).toBe(rvs.length);
    expect([...rvs].sort((x, y) => x - y)).toEqual(rvs);
    expect(Number(await store.currentResourceVersion())).toBe(rvs[rvs.length - 1]);
  });

  it('round-trips a large object (stored compressed) and refuses one that cannot fit with 413', async () => {
    const store = await createTestStore();
    const big = pod('default', 'big', { data: { blob: 'x'.repeat(2_000_000) } });
    const created = await store.create(podRef('default', 'big'), big);
    expect(created.ok).toBe(true);
    const stored = (await store.get(podRef('default', 'big'))) as unknown as { data: { blob: string } };
    expect(stored.data.blob).toHaveLength(2_000_000);
    if (!created.ok) return;
    const updated = await store.update(podRef('default', 'big'), { ...created.object, data: { blob: 'y'.repeat(2_000_000) } }, created.object.metadata.resourceVersion!);
    expect(updated.ok).toBe(true);

    const incompressible = pod('default', 'huge', { data: { blob: randomBytes(500_000).toString('base64') } });
    const refused = await store.create(podRef('default', 'huge'), incompressible).catch((err: unknown) => err);
    expect(isStatusError(refused) && refused.code).toBe(413);
    expect(isStatusError(refused) && refused.message).toContain(String(MAX_BODY_BYTES));
    expect(await store.get(podRef('default', 'huge'))).toBeUndefined();
    // The refused write's RV was given back, so the log is settled.
    await expect(store.currentResourceVersion()).resolves.toMatch(/^\d+$/);
  });
});

describe('DynamoStore: large objects', () => {
  it('keeps only the selector view of a previous object that does not fit beside the new one', async () => {
    const store = await createTestStore();
    const blob = () => randomBytes(210_000).toString('base64');
    const v1 = await store.create(podRef('ns', 'wide'), pod('ns', 'wide', { spec: { nodeName: 'n1' }, data: { blob: blob() } }));
    if (!v1.ok) throw new Error('create failed');
    const w = await watchFrom(store, v1.object.metadata.resourceVersion!, { resource: PODS });
    const v2 = await store.update(podRef('ns', 'wide'), { ...v1.object, spec: { nodeName: 'n2' }, data: { blob: blob() } }, v1.object.metadata.resourceVersion!);
    expect(v2.ok).toBe(true);
    await expect.poll(() => w.events.length).toBe(1);
    expect(w.events[0].previous).toMatchObject({ metadata: { name: 'wide', labels: { app: 'wide' } }, spec: { nodeName: 'n1' } });
    expect(w.events[0].previous).not.toHaveProperty('data');
    expect(w.events[0].object).toEqual(v2.ok && v2.object);
  });
});

describe('DynamoStore: list', () => {
  it('lists every namespace or one, at a snapshot RV', async () => {
    const store = await createTestStore();
    for (const [ns, name] of [['a', 'x'], ['a', 'y'], ['b', 'x']]) await store.create(podRef(ns, name), pod(ns, name));
    await store.create({ resource: 'core/namespaces', namespace: '', name: 'a' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a' } });

    const all = await store.list(PODS);
    expect(all.items.map((p) => `${p.metadata.namespace}/${p.metadata.name}`)).toEqual(['a/x', 'a/y', 'b/x']);
    expect(all.resourceVersion).toBe(await store.currentResourceVersion());
    const inA = await store.list(PODS, { namespace: 'a' });
    expect(inA.items.map((p) => p.metadata.name)).toEqual(['x', 'y']);
    const namespaces = await store.list('core/namespaces');
    expect(namespaces.items.map((n) => n.metadata.name)).toEqual(['a']);
  });

  it('pages with limit and continue, later pages showing the state at the first page RV', async () => {
    const store = await createTestStore();
    const created = new Map<string, string>();
    for (let i = 0; i < 7; i++) {
      const r = await store.create(podRef('ns', `p${i}`), pod('ns', `p${i}`));
      if (r.ok) created.set(`p${i}`, r.object.metadata.resourceVersion!);
    }
    const page1 = await store.list(PODS, { limit: 3 });
    expect(page1.items.map((p) => p.metadata.name)).toEqual(['p0', 'p1', 'p2']);
    expect(page1.continue).toBeDefined();

    // Changes between pages: an update, a delete and a create inside the remaining range.
    await store.update(podRef('ns', 'p4'), { ...pod('ns', 'p4'), spec: { changed: true } }, created.get('p4')!);
    await store.delete(podRef('ns', 'p5'), created.get('p5')!);
    await store.create(podRef('ns', 'p3a'), pod('ns', 'p3a'));

    const page2 = await store.list(PODS, { limit: 3, continue: page1.continue });
    expect(page2.resourceVersion).toBe(page1.resourceVersion);
    expect(page2.items.map((p) => p.metadata.name)).toEqual(['p3', 'p4', 'p5']);
    expect(page2.items[1].spec).not.toEqual({ changed: true });
    const page3 = await store.list(PODS, { limit: 3, continue: page2.continue });
    expect(page3.items.map((p) => p.metadata.name)).toEqual(['p6']);
    expect(page3.continue).toBeUndefined();
  });

  it('applies the filter before paging', async () => {
    const store = await createTestStore();
    for (let i = 0; i < 10; i++) await store.create(podRef('ns', `p${i}`), pod('ns', `p${i}`, { metadata: { name: `p${i}`, namespace: 'ns', labels: { even: String(i % 2 === 0) } } }));
    const filter = (o: { metadata: { labels?: Record<string, string> } }) => o.metadata.labels?.even === 'true';
    const page1 = await store.list(PODS, { limit: 2, filter });
    expect(page1.items.map((p) => p.metadata.name)).toEqual(['p0', 'p2']);
    const page2 = await store.list(PODS, { limit: 10, filter, continue: page1.continue });
    expect(page2.items.map((p) => p.metadata.name)).toEqual(['p4', 'p6', 'p8']);
    expect(page2.continue).toBeUndefined();
  });
});

describe('DynamoStore: watch', () => {
  it('sees every change after a list RV exactly once, in order, with previous objects', async () => {
    const store = await createTestStore();
    const before = await store.create(podRef('ns', 'old'), pod('ns', 'old'));
    const listed = await store.list(PODS);
    const w = await watchFrom(store, listed.resourceVersion, { resource: PODS });

    const a = await store.create(podRef('ns', 'a'), pod('ns', 'a'));
    if (!a.ok || !before.ok) throw new Error('create failed');
    const a2 = await store.update(podRef('ns', 'a'), { ...a.object, metadata: { ...a.object.metadata, labels: { app: 'b' } } }, a.object.metadata.resourceVersion!);
    if (!a2.ok) throw new Error('update failed');
    const gone = await store.delete(podRef('ns', 'old'), before.object.metadata.resourceVersion!);
    if (!gone.ok) throw new Error('delete failed');

    await expect.poll(() => w.events.length).toBe(3);
    expect(w.events.map((e) => [e.type, e.object.metadata.name, e.resourceVersion])).toEqual([
      ['ADDED', 'a', a.object.metadata.resourceVersion],
      ['MODIFIED', 'a', a2.object.metadata.resourceVersion],
      ['DELETED', 'old', gone.object.metadata.resourceVersion],
    ]);
    expect(w.events[1].previous?.metadata.labels).toEqual({ app: 'a' });
    expect(w.events[2].object.metadata.resourceVersion).toBe(gone.object.metadata.resourceVersion);
    expect(w.events[2].previous?.metadata.resourceVersion).toBe(before.object.metadata.resourceVersion);
  });

  it('filters by resource and namespace', async () => {
    const store = await createTestStore();
    const from = await store.currentResourceVersion();
    const w = await watchFrom(store, from, { resource: PODS, namespace: 'one' });
    await store.create(podRef('two', 'x'), pod('two', 'x'));
    await store.create({ resource: 'core/configmaps', namespace: 'one', name: 'x' }, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'one' } });
    await store.create(podRef('one', 'y'), pod('one', 'y'));
    await expect.poll(() => w.events.map((e) => e.object.metadata.name)).toEqual(['y']);
  });

  it('lets a watch started from an old RV catch up from the table, then go live', async () => {
    const store = await createTestStore({ bufferEntries: 2 });
    const from = await store.currentResourceVersion();
    for (let i = 0; i < 6; i++) await store.create(podRef('ns', `p${i}`), pod('ns', `p${i}`));
    const w = await watchFrom(store, from, { resource: PODS });
    await store.create(podRef('ns', 'live'), pod('ns', 'live'));
    await expect.poll(() => w.events.map((e) => e.object.metadata.name)).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'live']);
  });

  it('refuses a watch from before the compacted RV with Expired, and keeps serving newer ones', async () => {
    let now = Date.now();
    const store = await createTestStore({ now: () => now, retention: { maxAgeMs: 60_000, minAgeMs: 50_000, maxEntries: 1_000 }, writerDeadlineMs: 10_000 });
    const start = await store.currentResourceVersion();
    for (let i = 0; i < 3; i++) await store.create(podRef('ns', `p${i}`), pod('ns', `p${i}`));
    const mid = await store.currentResourceVersion();
    now += 120_000;
    await store.create(podRef('ns', 'fresh'), pod('ns', 'fresh'));
    const result = await store.compact();
    expect(result.compactedThrough).toBe(Number(mid));

    const refused = await store.watch({ fromResourceVersion: start, signal: new AbortController().signal });
    expect(refused).toEqual({ ok: false, reason: 'Expired', oldest: mid });
    const w = await watchFrom(store, mid, { resource: PODS });
    await expect.poll(() => w.events.map((e) => e.object.metadata.name)).toEqual(['fresh']);
  });
});
