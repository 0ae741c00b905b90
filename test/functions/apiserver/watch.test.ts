import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestStore } from '../../support/dynamo.ts';
import { configMap, createHarness, ns, pod, type Harness } from './api-harness.ts';

let api: Harness;
const CM = '/api/v1/namespaces/watch/configmaps';
const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

beforeAll(async () => {
  api = await createHarness({ bookmarkIntervalMs: 200 });
  await api.call('POST', '/api/v1/namespaces', { body: ns('watch') });
});

describe('watch', () => {
  it('replays current state as ADDED when no resourceVersion is given, then streams changes one JSON per line', async () => {
    await api.call('POST', CM, { body: configMap('w1') });
    const w = await api.watch(`${CM}?watch=true`);
    expect(w.status).toBe(200);
    await vi.waitFor(() => expect(w.events.map((e) => `${e.type}/${e.object.metadata.name}`)).toContain('ADDED/w1'));
    await api.call('POST', CM, { body: configMap('w2') });
    await api.call('PATCH', `${CM}/w2`, { contentType: 'application/merge-patch+json', body: { data: { a: 'b' } } });
    await api.call('DELETE', `${CM}/w2`);
    await vi.waitFor(() =>
      expect(w.events.map((e) => `${e.type}/${e.object.metadata.name}`)).toEqual(expect.arrayContaining(['ADDED/w2', 'MODIFIED/w2', 'DELETED/w2'])),
    );
    w.stop();
    await w.ended;
    const text = w.chunks.join('');
    expect(text.endsWith('\n')).toBe(true);
    for (const line of text.trimEnd().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('starts after the given resourceVersion without replay', async () => {
    const list = await api.call('GET', CM);
    const w = await api.watch(`${CM}?watch=true&resourceVersion=${list.json.metadata.resourceVersion}`);
    await api.call('POST', CM, { body: configMap('after') });
    await vi.waitFor(() => expect(w.events.length).toBeGreaterThan(0));
    expect(w.events[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'after' } } });
    w.stop();
  });

  it('turns objects leaving and entering the label selector into DELETED and ADDED', async () => {
    await api.call('POST', CM, { body: configMap('sel', {}, { app: 'web' }) });
    const w = await api.watch(`${CM}?watch=true&labelSelector=app%3Dweb`);
    await vi.waitFor(() => expect(w.events.map((e) => e.type)).toEqual(['ADDED']));
    await api.call('PATCH', `${CM}/sel`, { contentType: 'application/merge-patch+json', body: { metadata: { labels: { app: 'db' } } } });
    await vi.waitFor(() => expect(w.events.map((e) => e.type)).toEqual(['ADDED', 'DELETED']));
    await api.call('PATCH', `${CM}/sel`, { contentType: 'application/merge-patch+json', body: { metadata: { labels: { app: 'web' } } } });
    await vi.waitFor(() => expect(w.events.map((e) => e.type)).toEqual(['ADDED', 'DELETED', 'ADDED']));
    w.stop();
  });

  it('sends initial events then the initial-events-end bookmark for watch-list', async () => {
    await api.call('POST', CM, { body: configMap('wl') });
    const w = await api.watch(
      `${CM}?allowWatchBookmarks=true&fieldSelector=metadata.name%3Dwl&resourceVersionMatch=NotOlderThan&sendInitialEvents=true&timeoutSeconds=30&watch=true`,
    );
    await vi.waitFor(() => expect(w.events.length).toBeGreaterThanOrEqual(2));
    expect(w.events[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'wl' } } });
    expect(w.events[1]).toMatchObject({
      type: 'BOOKMARK',
      object: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { annotations: { 'k8s.io/initial-events-end': 'true' } } },
    });
    expect(Number(w.events[1].object.metadata.resourceVersion)).toBeGreaterThanOrEqual(Number(w.events[0].object.metadata.resourceVersion));
    w.stop();
  });

  it('rejects sendInitialEvents without resourceVersionMatch=NotOlderThan with 422', async () => {
    const res = await api.call('GET', `${CM}?watch=true&sendInitialEvents=true`);
    expect(res.status).toBe(422);
    // apiserver files this one under resourceVersionMatch (validateWatchOptions).
    expect(res.json.details.causes[0]).toMatchObject({
      field: 'resourceVersionMatch',
      message: 'Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan',
    });
  });

  it('sends periodic bookmarks when allowed', async () => {
    const w = await api.watch(`${CM}?watch=true&allowWatchBookmarks=true&resourceVersion=0`);
    await vi.waitFor(() => expect(w.events.some((e) => e.type === 'BOOKMARK')).toBe(true), { timeout: 5000 });
    w.stop();
  });

  it('sends Table events with column definitions only in the first', async () => {
    await api.call('POST', '/api/v1/namespaces/watch/pods', { body: pod('tp') });
    const w = await api.watch('/api/v1/namespaces/watch/pods?watch=true', { accept: TABLE_ACCEPT });
    expect(w.headers['content-type']).toContain('as=Table');
    await api.call('PATCH', '/api/v1/namespaces/watch/pods/tp', { contentType: 'application/merge-patch+json', body: { metadata: { labels: { a: 'b' } } } });
    await vi.waitFor(() => expect(w.events.length).toBe(2));
    expect(w.events[0].object.kind).toBe('Table');
    expect(w.events[0].object.columnDefinitions.length).toBeGreaterThan(0);
    expect(w.events[0].object.rows[0].cells[0]).toBe('tp');
    expect(w.events[1].object.columnDefinitions ?? []).toEqual([]);
    expect(w.events[1].type).toBe('MODIFIED');
    w.stop();
  });

  it('ends the stream after timeoutSeconds', async () => {
    const w = await api.watch(`${CM}?watch=true&timeoutSeconds=1&resourceVersion=0`);
    await w.ended;
    expect(w.events.every((e) => e.type === 'ADDED')).toBe(true);
  });

  it('answers an ERROR event with a 410 Expired Status for a compacted resourceVersion', async () => {
    let clock = Date.now();
    const store = await createTestStore({ now: () => clock, retention: { maxAgeMs: 10, maxEntries: 1, minAgeMs: 5 }, writerDeadlineMs: 1, compactEveryWrites: 0 });
    const small = await createHarness({ store });
    await small.call('POST', '/api/v1/namespaces', { body: ns('watch') });
    for (const n of ['a', 'b', 'c']) await small.call('POST', CM, { body: configMap(n) });
    clock += 60_000;
    await store.compact();
    const w = await small.watch(`${CM}?watch=true&resourceVersion=1`);
    await w.ended;
    expect(w.status).toBe(200);
    expect(w.events).toEqual([
      { type: 'ERROR', object: expect.objectContaining({ kind: 'Status', status: 'Failure', reason: 'Expired', code: 410 }) },
    ]);
  });
});
