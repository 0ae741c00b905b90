import { beforeAll, describe, expect, it } from 'vitest';
import { createTestStore } from '../../support/dynamo.ts';
import { configMap, createHarness, ns, type Harness } from './api-harness.ts';

const WAIT_MS = 300;
const CM = '/api/v1/namespaces/rv/configmaps';

let api: Harness;

async function currentRv(h: Harness = api): Promise<number> {
  return Number((await h.call('GET', CM)).json.metadata.resourceVersion);
}

function names(list: { items: { metadata: { name: string } }[] }): string[] {
  return list.items.map((i) => i.metadata.name);
}

beforeAll(async () => {
  api = await createHarness({ resourceVersionWaitMs: WAIT_MS });
  await api.call('POST', '/api/v1/namespaces', { body: ns('rv') });
  await api.call('POST', CM, { body: configMap('base', { k: 'v' }) });
});

describe('list resourceVersion semantics', () => {
  it('serves the most recent data without a resourceVersion, and any (the latest) with resourceVersion=0', async () => {
    const latest = await api.call('GET', CM);
    expect(latest.status).toBe(200);
    expect(names(latest.json)).toContain('base');
    const any = await api.call('GET', `${CM}?resourceVersion=0`);
    expect(any.status).toBe(200);
    expect(names(any.json)).toContain('base');
    expect(Number(any.json.metadata.resourceVersion)).toBeGreaterThanOrEqual(Number(latest.json.metadata.resourceVersion));
  });

  it.each(['resourceVersionMatch=NotOlderThan&', ''])('serves data at least as new as a reached RV (%s)', async (match) => {
    const rv = await currentRv();
    const res = await api.call('GET', `${CM}?${match}resourceVersion=${rv}`);
    expect(res.status).toBe(200);
    expect(Number(res.json.metadata.resourceVersion)).toBeGreaterThanOrEqual(rv);
  });

  it('answers 504 Too large resource version after the wait when the RV is never reached', async () => {
    const rv = await currentRv();
    const asked = rv + 1000;
    const started = Date.now();
    const res = await api.call('GET', `${CM}?resourceVersionMatch=NotOlderThan&resourceVersion=${asked}`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(WAIT_MS - 5);
    expect(res.status).toBe(504);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.json).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Timeout',
      code: 504,
      details: { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 },
    });
    expect(res.json.message).toMatch(new RegExp(`^Timeout: Too large resource version: ${asked}, current: \\d+$`));
    expect(Number(/current: (\d+)$/.exec(res.json.message)![1])).toBeGreaterThanOrEqual(rv);
  });

  it('waits for a future RV and answers once a write reaches it', async () => {
    const patient = await createHarness({ store: api.store, resourceVersionWaitMs: 20_000 }, { bootstrap: false });
    const rv = await currentRv();
    const pending = patient.call('GET', `${CM}?resourceVersionMatch=NotOlderThan&resourceVersion=${rv + 1}`);
    const created = await api.call('POST', CM, { body: configMap('late') });
    expect(created.status).toBe(201);
    const res = await pending;
    expect(res.status).toBe(200);
    expect(Number(res.json.metadata.resourceVersion)).toBeGreaterThanOrEqual(rv + 1);
    expect(names(res.json)).toContain('late');
  });

  it('refuses resourceVersionMatch=Exact without a resourceVersion, or with 0, with apiserver’s 422', async () => {
    const missing = await api.call('GET', `${CM}?resourceVersionMatch=Exact`);
    expect(missing.status).toBe(422);
    expect(missing.json).toMatchObject({
      reason: 'Invalid',
      message: 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided',
      details: { kind: 'ListOptions', group: 'meta.k8s.io', causes: [{ reason: 'FieldValueForbidden', field: 'resourceVersionMatch' }] },
    });
    const zero = await api.call('GET', `${CM}?resourceVersionMatch=Exact&resourceVersion=0`);
    expect(zero.status).toBe(422);
    expect(zero.json.message).toBe('ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"');
  });

  it('refuses a resourceVersion together with continue (400) and resourceVersionMatch with continue (422)', async () => {
    const page = await api.call('GET', `${CM}?limit=1`);
    expect(page.json.metadata.continue).toBeTruthy();
    const token = encodeURIComponent(page.json.metadata.continue);
    const withRv = await api.call('GET', `${CM}?limit=1&continue=${token}&resourceVersion=${page.json.metadata.resourceVersion}`);
    expect(withRv.status).toBe(400);
    expect(withRv.json).toMatchObject({ reason: 'BadRequest', message: 'specifying resource version is not allowed when using continue' });
    const withZero = await api.call('GET', `${CM}?limit=1&continue=${token}&resourceVersion=0`);
    expect(withZero.status).toBe(200);
    const withMatch = await api.call('GET', `${CM}?limit=1&continue=${token}&resourceVersionMatch=NotOlderThan`);
    expect(withMatch.status).toBe(422);
    expect(withMatch.json.details.causes.map((c: { message: string }) => c.message)).toEqual([
      'Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided',
      'Forbidden: resourceVersionMatch is forbidden when continue is provided',
    ]);
  });

  it('refuses resourceVersionMatch on a watch without sendInitialEvents with 422', async () => {
    const res = await api.call('GET', `${CM}?watch=true&resourceVersion=1&resourceVersionMatch=NotOlderThan`);
    expect(res.status).toBe(422);
    expect(res.json.message).toBe(
      'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided',
    );
  });

  it('answers 400 for a resourceVersion that is not a number', async () => {
    const res = await api.call('GET', `${CM}?resourceVersion=abc`);
    expect(res.status).toBe(400);
    expect(res.json.message).toBe('invalid resource version: abc');
  });
});

describe('list resourceVersionMatch=Exact', () => {
  const SNAP = '/api/v1/namespaces/snap/configmaps';

  it('serves the snapshot at N: later creates, updates and deletes undone', async () => {
    await api.call('POST', '/api/v1/namespaces', { body: ns('snap') });
    await api.call('POST', SNAP, { body: configMap('a', { v: 'old' }) });
    await api.call('POST', SNAP, { body: configMap('b', { v: 'b' }) });
    const before = await api.call('GET', SNAP);
    const n = before.json.metadata.resourceVersion as string;
    const aBefore = before.json.items.find((i: { metadata: { name: string } }) => i.metadata.name === 'a');

    const a = await api.call('GET', `${SNAP}/a`);
    expect((await api.call('PUT', `${SNAP}/a`, { body: { ...a.json, data: { v: 'new' } } })).status).toBe(200);
    expect((await api.call('DELETE', `${SNAP}/b`)).status).toBe(200);
    expect((await api.call('POST', SNAP, { body: configMap('c') })).status).toBe(201);

    const latest = await api.call('GET', SNAP);
    expect(names(latest.json)).toEqual(['a', 'c']);
    expect(latest.json.items[0].data).toEqual({ v: 'new' });

    const exact = await api.call('GET', `${SNAP}?resourceVersionMatch=Exact&resourceVersion=${n}`);
    expect(exact.status).toBe(200);
    expect(exact.json.metadata.resourceVersion).toBe(n);
    expect(names(exact.json)).toEqual(['a', 'b']);
    expect(exact.json.items[0]).toEqual(aBefore);

    // apiserver's legacy rule: a resourceVersion with a limit and no match is exact too; later pages stay at N.
    const first = await api.call('GET', `${SNAP}?resourceVersion=${n}&limit=1`);
    expect(first.status).toBe(200);
    expect(first.json.metadata.resourceVersion).toBe(n);
    expect(first.json.items).toEqual([aBefore]);
    const second = await api.call('GET', `${SNAP}?limit=1&continue=${encodeURIComponent(first.json.metadata.continue)}`);
    expect(second.json.metadata.resourceVersion).toBe(n);
    expect(names(second.json)).toEqual(['b']);
    expect(second.json.metadata.continue).toBeUndefined();
  });

  it('answers 504 after the wait for an exact RV above the current one', async () => {
    const asked = (await currentRv()) + 500;
    const res = await api.call('GET', `${CM}?resourceVersionMatch=Exact&resourceVersion=${asked}`);
    expect(res.status).toBe(504);
    expect(res.json.details.causes[0].reason).toBe('ResourceVersionTooLarge');
  });

  it('answers 410 Expired for an RV the change log was compacted past', async () => {
    let clock = Date.now();
    const store = await createTestStore({ now: () => clock, retention: { maxAgeMs: 10, maxEntries: 1, minAgeMs: 5 }, writerDeadlineMs: 1, compactEveryWrites: 0 });
    const small = await createHarness({ store, resourceVersionWaitMs: WAIT_MS });
    await small.call('POST', '/api/v1/namespaces', { body: ns('rv') });
    await small.call('POST', CM, { body: configMap('a') });
    const n = await currentRv(small);
    for (const name of ['b', 'c', 'd']) await small.call('POST', CM, { body: configMap(name) });
    const served = await small.call('GET', `${CM}?resourceVersionMatch=Exact&resourceVersion=${n}`);
    expect(names(served.json)).toEqual(['a']);

    clock += 60_000;
    const { compactedThrough } = await store.compact();
    expect(compactedThrough).toBeGreaterThan(n);
    const res = await small.call('GET', `${CM}?resourceVersionMatch=Exact&resourceVersion=${n}`);
    expect(res.status).toBe(410);
    expect(res.json).toMatchObject({ kind: 'Status', reason: 'Expired', code: 410, message: 'The resourceVersion for the provided list is too old.' });
    // Not-older-than reads of the same RV still work: the latest data is newer.
    expect((await small.call('GET', `${CM}?resourceVersion=${n}`)).status).toBe(200);
  });
});

describe('get resourceVersion semantics', () => {
  it('serves the latest object without a resourceVersion, with 0, and with a reached RV', async () => {
    const latest = await api.call('GET', `${CM}/base`);
    expect(latest.status).toBe(200);
    const rv = await currentRv();
    for (const q of ['?resourceVersion=0', `?resourceVersion=${rv}`, `?resourceVersion=${latest.json.metadata.resourceVersion}`]) {
      const res = await api.call('GET', `${CM}/base${q}`);
      expect(res.status).toBe(200);
      expect(res.json).toEqual(latest.json);
    }
  });

  it('answers 504 Too large resource version after the wait for an RV never reached', async () => {
    const asked = (await currentRv()) + 1000;
    const res = await api.call('GET', `${CM}/base?resourceVersion=${asked}`);
    expect(res.status).toBe(504);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.json.message).toMatch(new RegExp(`^Timeout: Too large resource version: ${asked}, current: \\d+$`));
  });
});
