import { afterEach, describe, expect, it } from 'vitest';
import type { WriteResult } from '../../../functions/store/object-store.ts';
import { createTestStore, uniquePrefix } from '../../support/dynamo.ts';
import { collectWatch, pod, podRef, PODS } from './store-fixtures.ts';

const watches: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(watches.splice(0).map((w) => w.stop()));
});

describe('DynamoStore under concurrency', () => {
  it('lets exactly one of 20 writers with the same expected RV win; the rest get Conflict with the winner', async () => {
    const prefix = uniquePrefix();
    // Separate instances, as separate Lambda invocations would be.
    const stores = await Promise.all(Array.from({ length: 4 }, () => createTestStore({ tablePrefix: prefix })));
    const created = await stores[0].create(podRef('ns', 'hot'), pod('ns', 'hot'));
    if (!created.ok) throw new Error('create failed');
    const rv = created.object.metadata.resourceVersion!;

    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => stores[i % 4].update(podRef('ns', 'hot'), { ...created.object, spec: { writer: i } }, rv)),
    );
    const winners = results.filter((r): r is Extract<WriteResult, { ok: true }> => r.ok);
    expect(winners).toHaveLength(1);
    const losers = results.filter((r) => !r.ok);
    expect(losers).toHaveLength(19);
    for (const loser of losers) expect(loser).toEqual({ ok: false, reason: 'Conflict', current: winners[0].object });
    // Every burned RV was given back: the log settles without waiting for fills.
    expect(Number(await stores[1].currentResourceVersion())).toBeGreaterThanOrEqual(Number(winners[0].object.metadata.resourceVersion));
  });

  it('delivers every change of many writers on many objects to a watcher exactly once, in RV order', async () => {
    const prefix = uniquePrefix();
    const writers = await Promise.all(Array.from({ length: 4 }, () => createTestStore({ tablePrefix: prefix })));
    const watcherStore = await createTestStore({ tablePrefix: prefix });
    const w = await collectWatch(watcherStore, await watcherStore.currentResourceVersion(), { resource: PODS });
    watches.push(w);

    const committed: string[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async (_, worker) => {
        const store = writers[worker % writers.length];
        for (let i = 0; i < 6; i++) {
          const name = `w${worker}-${i % 3}`;
          const current = await store.get(podRef('ns', name));
          const result = current
            ? await store.update(podRef('ns', name), { ...current, spec: { i } }, current.metadata.resourceVersion!)
            : await store.create(podRef('ns', name), pod('ns', name));
          if (result.ok) committed.push(result.object.metadata.resourceVersion!);
        }
      }),
    );
    expect(committed).toHaveLength(48);
    await expect.poll(() => w.events.length, { timeout: 10_000 }).toBe(committed.length);
    const seen = w.events.map((e) => Number(e.resourceVersion));
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(new Set(seen).size).toBe(seen.length);
    expect(new Set(seen)).toEqual(new Set(committed.map(Number)));
  });

  it('fills the RV of a writer that died, so watchers move past it', async () => {
    const store = await createTestStore({ fillDelayMs: 100 });
    const w = await collectWatch(store, await store.currentResourceVersion(), { resource: PODS });
    watches.push(w);
    const dead = await store.log.nextRv(); // taken and never committed
    const after = await store.create(podRef('ns', 'after'), pod('ns', 'after'));
    if (!after.ok) throw new Error('create failed');
    await expect.poll(() => w.events.map((e) => e.resourceVersion)).toEqual([after.object.metadata.resourceVersion]);
    expect(Number(after.object.metadata.resourceVersion)).toBe(dead + 1);
    expect(Number(await store.currentResourceVersion())).toBe(dead + 1);
  });

  it('refuses a late commit at a filled RV and retries it under a new RV, losing nothing', async () => {
    const prefix = uniquePrefix();
    let hold: { rv: number; release: () => void } | undefined;
    let armed = true;
    const slow = await createTestStore({
      tablePrefix: prefix,
      afterRvTaken: async (rv) => {
        if (!armed) return;
        armed = false;
        await new Promise<void>((release) => {
          hold = { rv, release };
        });
      },
    });
    const reader = await createTestStore({ tablePrefix: prefix, fillDelayMs: 100 });
    const w = await collectWatch(reader, await reader.currentResourceVersion(), { resource: PODS });
    watches.push(w);

    const lateWrite = slow.create(podRef('ns', 'late'), pod('ns', 'late'));
    await expect.poll(() => hold).toBeDefined();
    const stuckRv = hold!.rv;
    const other = await reader.create(podRef('ns', 'other'), pod('ns', 'other'));
    if (!other.ok) throw new Error('create failed');
    // The reader waits, fills stuckRv, and delivers the later change.
    await expect.poll(() => w.events.map((e) => e.object.metadata.name)).toEqual(['other']);

    hold!.release();
    const late = await lateWrite;
    if (!late.ok) throw new Error('late write failed');
    const lateRv = Number(late.object.metadata.resourceVersion);
    expect(lateRv).toBeGreaterThan(Number(other.object.metadata.resourceVersion));
    await expect.poll(() => w.events.map((e) => [e.object.metadata.name, Number(e.resourceVersion)])).toEqual([
      ['other', stuckRv + 1],
      ['late', lateRv],
    ]);
    expect(await reader.get(podRef('ns', 'late'))).toEqual(late.object);
  });
});
