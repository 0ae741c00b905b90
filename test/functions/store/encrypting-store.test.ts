import { randomBytes } from 'node:crypto';
import { GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { EncryptingStore, kmsDataKeys, localDataKeys, type DataKeyProvider } from '../../../functions/store/encrypting-store.ts';
import type { KubeObject } from '../../../shared/api/object.ts';
import { createTestStore, testDynamoClient } from '../../support/dynamo.ts';

const PLAINTEXT = 'hunter2-very-secret';
const DATA = Buffer.from(PLAINTEXT).toString('base64');

function secret(name: string, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name,
      namespace: 'ns',
      labels: { app: 'web' },
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ data: { password: DATA } }) },
    },
    type: 'Opaque',
    data: { password: DATA },
    ...extra,
  } as KubeObject;
}

/** Every attribute value of every item in both tables, as text: where plaintext would show if it leaked. */
async function rawTableText(tables: { objects: string; changelog: string }): Promise<string> {
  const client = testDynamoClient();
  let text = '';
  for (const TableName of [tables.objects, tables.changelog]) {
    const out = await client.send(new ScanCommand({ TableName, ConsistentRead: true }));
    text += JSON.stringify(out.Items ?? []);
  }
  return text;
}

const localKey = randomBytes(32);
const local = (): DataKeyProvider => localDataKeys(async () => localKey);

describe('Class: EncryptingStore', () => {
  it('stores a Secret sealed: neither the object item nor the change log holds its data or annotations', async () => {
    const inner = await createTestStore();
    const store = new EncryptingStore(inner, { provider: local() });
    const created = await store.create({ resource: 'core/secrets', namespace: 'ns', name: 's1' }, secret('s1'));
    expect(created.ok).toBe(true);

    const raw = await testDynamoClient().send(new GetItemCommand({ TableName: inner.tables.objects, Key: { pk: { S: 'core/secrets' }, sk: { S: 'ns/s1' } }, ConsistentRead: true }));
    const body = raw.Item?.obj?.S ?? '';
    expect(body).toContain('zp:enc:v1:local:');
    expect(body).not.toContain(DATA);
    expect(body).not.toContain('last-applied-configuration');
    const all = await rawTableText(inner.tables);
    expect(all).not.toContain(DATA);
    expect(all).not.toContain(PLAINTEXT);
  });

  it('gives every reader the plain object back: get, list, write results and watch events', async () => {
    const inner = await createTestStore();
    const store = new EncryptingStore(inner, { provider: local() });
    const ref = { resource: 'core/secrets', namespace: 'ns', name: 's1' };
    const from = await store.currentResourceVersion();
    const created = await store.create(ref, secret('s1'));
    if (!created.ok) throw new Error('create failed');
    expect((created.object as { data?: unknown }).data).toEqual({ password: DATA });

    const got = await store.get(ref);
    expect((got as { data?: unknown }).data).toEqual({ password: DATA });
    expect(got?.metadata.resourceVersion).toBe(created.object.metadata.resourceVersion);
    expect(got?.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).toContain(DATA);

    const updated = await store.update(ref, { ...got!, data: { password: 'bmV3' } } as KubeObject, got!.metadata.resourceVersion!);
    if (!updated.ok) throw new Error('update failed');
    expect((updated.object as { data?: unknown }).data).toEqual({ password: 'bmV3' });

    // Label selection still works on the sealed form (the store filters before opening).
    const listed = await store.list('core/secrets', { namespace: 'ns', filter: (o) => o.metadata.labels?.app === 'web' });
    expect(listed.items.map((o) => (o as { data?: unknown }).data)).toEqual([{ password: 'bmV3' }]);

    const abort = new AbortController();
    const start = await store.watch({ resource: 'core/secrets', fromResourceVersion: from, signal: abort.signal });
    if (!start.ok) throw new Error('watch failed');
    const seen: unknown[] = [];
    for await (const ev of start.events) {
      seen.push([ev.type, (ev.object as { data?: unknown }).data, (ev.previous as { data?: unknown } | undefined)?.data]);
      if (seen.length === 2) break;
    }
    abort.abort();
    expect(seen).toEqual([
      ['ADDED', { password: DATA }, undefined],
      ['MODIFIED', { password: 'bmV3' }, { password: DATA }],
    ]);
  });

  it('refuses to open a sealed value moved onto another object (the store key is authenticated)', async () => {
    const inner = await createTestStore();
    const store = new EncryptingStore(inner, { provider: local() });
    const made = await store.create({ resource: 'core/secrets', namespace: 'ns', name: 'a' }, secret('a'));
    if (!made.ok) throw new Error('create failed');
    const sealed = (await inner.get({ resource: 'core/secrets', namespace: 'ns', name: 'a' }))!;
    await inner.create({ resource: 'core/secrets', namespace: 'ns', name: 'b' }, { ...sealed, metadata: { ...sealed.metadata, name: 'b' } });
    await expect(store.get({ resource: 'core/secrets', namespace: 'ns', name: 'b' })).rejects.toThrow(/unable to authenticate|auth/i);
  });

  it('takes metadata changed by a writer without the key (a controller dropping a finalizer) from the readable copy', async () => {
    const inner = await createTestStore();
    const store = new EncryptingStore(inner, { provider: local() });
    const ref = { resource: 'core/secrets', namespace: 'ns', name: 'f' };
    const made = await store.create(ref, { ...secret('f'), metadata: { ...secret('f').metadata, finalizers: ['x'] } } as KubeObject);
    if (!made.ok) throw new Error('create failed');
    const sealed = (await inner.get(ref))!;
    const { finalizers: _dropped, ...meta } = sealed.metadata;
    await inner.update(ref, { ...sealed, metadata: { ...meta, deletionTimestamp: '2026-01-01T00:00:00Z' } }, sealed.metadata.resourceVersion!);
    const opened = (await store.get(ref))!;
    expect(opened.metadata.finalizers).toBeUndefined();
    expect(opened.metadata.deletionTimestamp).toBe('2026-01-01T00:00:00Z');
    expect((opened as { data?: unknown }).data).toEqual({ password: DATA });
  });

  it('leaves other resources and Secrets stored before encryption as they are', async () => {
    const inner = await createTestStore();
    await inner.create({ resource: 'core/secrets', namespace: 'ns', name: 'old' }, secret('old'));
    const store = new EncryptingStore(inner, { provider: local() });
    expect((await store.get({ resource: 'core/secrets', namespace: 'ns', name: 'old' }) as { data?: unknown }).data).toEqual({ password: DATA });
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'ns' }, data: { k: 'v' } } as KubeObject;
    await store.create({ resource: 'core/configmaps', namespace: 'ns', name: 'c' }, cm);
    expect((await inner.get({ resource: 'core/configmaps', namespace: 'ns', name: 'c' }) as { data?: unknown }).data).toEqual({ k: 'v' });
  });
});

describe('kmsDataKeys', () => {
  const kms = mockClient(KMSClient);
  afterEach(() => kms.reset());
  const plainKey = randomBytes(32);
  const wrapped = Buffer.from('wrapped-by-kms');

  it('seals with one generated data key, and a reader without it unwraps through KMS Decrypt once', async () => {
    kms.on(GenerateDataKeyCommand).resolves({ Plaintext: plainKey, CiphertextBlob: wrapped, KeyId: 'k' });
    kms.on(DecryptCommand).resolves({ Plaintext: plainKey, KeyId: 'k' });
    const inner = await createTestStore();
    const writer = new EncryptingStore(inner, { provider: kmsDataKeys(new KMSClient({ region: 'us-east-1' }), 'alias/zp') });
    await writer.create({ resource: 'core/secrets', namespace: 'ns', name: 'a' }, secret('a'));
    await writer.create({ resource: 'core/secrets', namespace: 'ns', name: 'b' }, secret('b'));
    expect(kms.commandCalls(GenerateDataKeyCommand)).toHaveLength(1);
    expect(kms.commandCalls(GenerateDataKeyCommand)[0].args[0].input).toEqual({ KeyId: 'alias/zp', KeySpec: 'AES_256', EncryptionContext: { purpose: 'zeroplane-secrets' } });
    expect(await rawTableText(inner.tables)).not.toContain(DATA);
    expect(await rawTableText(inner.tables)).toContain(`zp:enc:v1:kms:${wrapped.toString('base64')}:`);

    // Another process (a cold Lambda) has only the wrapped key.
    const reader = new EncryptingStore(inner, { provider: kmsDataKeys(new KMSClient({ region: 'us-east-1' }), 'alias/zp') });
    const listed = await reader.list('core/secrets', { namespace: 'ns' });
    expect(listed.items.map((o) => (o as { data?: unknown }).data)).toEqual([{ password: DATA }, { password: DATA }]);
    expect(kms.commandCalls(DecryptCommand)).toHaveLength(1);
    expect(kms.commandCalls(DecryptCommand)[0].args[0].input).toEqual({ CiphertextBlob: wrapped, KeyId: 'alias/zp', EncryptionContext: { purpose: 'zeroplane-secrets' } });
  });

  it('generates a new data key after the rotation period', async () => {
    kms.on(GenerateDataKeyCommand).resolves({ Plaintext: plainKey, CiphertextBlob: wrapped });
    let t = 0;
    const provider = kmsDataKeys(new KMSClient({ region: 'us-east-1' }), 'k', { rotateAfterMs: 1000, now: () => t });
    await provider.current();
    t = 999;
    await provider.current();
    t = 1000;
    await provider.current();
    expect(kms.commandCalls(GenerateDataKeyCommand)).toHaveLength(2);
  });
});
