/**
 * Secrets encrypted at rest: an ObjectStore decorator that seals the objects of chosen resources (default
 * `core/secrets`) before they reach the store below, and opens them on the way back (get, list, write results,
 * watch events). What the table and the change log hold is
 *   { apiVersion, kind, metadata: <the fields the store and selectors need>, type, sealed: "zp:enc:v1:<provider>:<wrapped key>:<iv|ciphertext|tag>" }
 * AES-256-GCM over the whole object, with the object's store key as additional authenticated data (as apiserver's
 * aesgcm transformer binds a value to its etcd key), so a sealed value copied onto another object fails to open.
 * Envelope encryption: the data key comes from a DataKeyProvider — a key file in the data dir locally, a KMS data
 * key on AWS (GenerateDataKey once per process per hour; Decrypt of each wrapped key once, then cached).
 * Labels, name, namespace and `type` stay readable, so label and field selectors (and the store's in-list filter)
 * work on sealed objects; annotations go into the sealed part, since `kubectl apply` copies the data there.
 * Objects stored before encryption was turned on are read as they are.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { DecryptCommand, GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { KubeObjectSchema, type KubeObject } from '../../shared/api/object.ts';
import type { ChangeEvent, ListOptions, ListResult, ObjectRef, ObjectStore, ResourceKey, WatchOptions, WatchStart, WriteResult } from './object-store.ts';

export interface DataKey {
  key: Buffer;
  /** How the key is named next to the ciphertext (no ':'): the provider's unwrap takes it back to the key. */
  wrapped: string;
}

export interface DataKeyProvider {
  /** `local`, `kms`: recorded in each envelope so a reader knows who unwraps its key. */
  readonly name: string;
  current(): Promise<DataKey>;
  unwrap(wrapped: string): Promise<Buffer>;
}

export const ENVELOPE_PREFIX = 'zp:enc:v1:';
const SEALED_FIELD = 'sealed';
/** metadata fields kept readable: the store, selectors, GC and namespace deletion read these. */
const CLEAR_METADATA = ['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'finalizers', 'ownerReferences'] as const;

function aad(resource: ResourceKey, namespace: string, name: string): Buffer {
  return Buffer.from(`${resource}/${namespace}/${name}`, 'utf8');
}

export function sealText(plaintext: Buffer, key: DataKey, provider: string, additional: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key.key, iv);
  cipher.setAAD(additional);
  const body = Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return `${ENVELOPE_PREFIX}${provider}:${key.wrapped}:${body.toString('base64')}`;
}

export function parseEnvelope(text: string): { provider: string; wrapped: string; body: Buffer } | undefined {
  if (!text.startsWith(ENVELOPE_PREFIX)) return undefined;
  const [provider, wrapped, body] = text.slice(ENVELOPE_PREFIX.length).split(':');
  if (!provider || !wrapped || !body) return undefined;
  return { provider, wrapped, body: Buffer.from(body, 'base64') };
}

export function openText(body: Buffer, key: Buffer, additional: Buffer): Buffer {
  if (body.length < 12 + 16) throw new Error('sealed value too short');
  const decipher = createDecipheriv('aes-256-gcm', key, body.subarray(0, 12));
  decipher.setAAD(additional);
  decipher.setAuthTag(body.subarray(body.length - 16));
  return Buffer.concat([decipher.update(body.subarray(12, body.length - 16)), decipher.final()]);
}

export interface EncryptingStoreOptions {
  provider: DataKeyProvider;
  /** Resources to seal. Default `core/secrets`. */
  resources?: readonly ResourceKey[];
}

export class EncryptingStore implements ObjectStore {
  private readonly resources: ReadonlySet<ResourceKey>;
  private readonly provider: DataKeyProvider;

  constructor(
    private readonly inner: ObjectStore,
    options: EncryptingStoreOptions,
  ) {
    this.provider = options.provider;
    this.resources = new Set(options.resources ?? ['core/secrets']);
  }

  private async seal(ref: ObjectRef, obj: KubeObject): Promise<KubeObject> {
    if (!this.resources.has(ref.resource)) return obj;
    const key = await this.provider.current();
    const sealed = sealText(Buffer.from(JSON.stringify(obj), 'utf8'), key, this.provider.name, aad(ref.resource, ref.namespace, ref.name));
    const metadata: Record<string, unknown> = {};
    for (const k of CLEAR_METADATA) if (obj.metadata[k] !== undefined) metadata[k] = obj.metadata[k];
    const type = (obj as { type?: unknown }).type;
    return { apiVersion: obj.apiVersion, kind: obj.kind, metadata, ...(type !== undefined ? { type } : {}), [SEALED_FIELD]: sealed } as KubeObject;
  }

  private async open(resource: ResourceKey, obj: KubeObject): Promise<KubeObject> {
    if (!this.resources.has(resource)) return obj;
    const text = (obj as Record<string, unknown>)[SEALED_FIELD];
    if (typeof text !== 'string') return obj;
    const env = parseEnvelope(text);
    if (!env) throw new Error(`${resource} ${obj.metadata.namespace}/${obj.metadata.name}: malformed sealed value`);
    if (env.provider !== this.provider.name) throw new Error(`${resource} ${obj.metadata.namespace}/${obj.metadata.name} was sealed by "${env.provider}", not "${this.provider.name}"`);
    const key = await this.provider.unwrap(env.wrapped);
    const plain = openText(env.body, key, aad(resource, obj.metadata.namespace ?? '', obj.metadata.name ?? ''));
    const full = KubeObjectSchema.parse(JSON.parse(plain.toString('utf8')));
    // The readable metadata is the truth for its fields: the store sets resourceVersion after sealing, and code
    // over the undecorated store (a controller dropping a finalizer, setting deletionTimestamp) can change only them.
    const metadata: Record<string, unknown> = { ...full.metadata };
    for (const k of CLEAR_METADATA) {
      if (obj.metadata[k] === undefined) delete metadata[k];
      else metadata[k] = obj.metadata[k];
    }
    return { ...full, metadata } as KubeObject;
  }

  private async openResult(resource: ResourceKey, res: WriteResult): Promise<WriteResult> {
    if (res.ok) return { ok: true, object: await this.open(resource, res.object) };
    if (res.reason === 'Conflict') return { ...res, current: await this.open(resource, res.current) };
    return res;
  }

  async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    const obj = await this.inner.get(ref);
    return obj && this.open(ref.resource, obj);
  }

  async list(resource: ResourceKey, options?: ListOptions): Promise<ListResult> {
    const page = await this.inner.list(resource, options);
    return { ...page, items: await Promise.all(page.items.map((o) => this.open(resource, o))) };
  }

  async create(ref: ObjectRef, object: KubeObject): Promise<WriteResult> {
    return this.openResult(ref.resource, await this.inner.create(ref, await this.seal(ref, object)));
  }

  async update(ref: ObjectRef, object: KubeObject, expectedRv: string): Promise<WriteResult> {
    return this.openResult(ref.resource, await this.inner.update(ref, await this.seal(ref, object), expectedRv));
  }

  async delete(ref: ObjectRef, expectedRv: string): Promise<WriteResult> {
    return this.openResult(ref.resource, await this.inner.delete(ref, expectedRv));
  }

  async watch(options: WatchOptions): Promise<WatchStart> {
    const start = await this.inner.watch(options);
    if (!start.ok) return start;
    const open = async (ev: ChangeEvent): Promise<ChangeEvent> => {
      if (!this.resources.has(ev.resource)) return ev;
      return { ...ev, object: await this.open(ev.resource, ev.object), ...(ev.previous ? { previous: await this.open(ev.resource, ev.previous) } : {}) };
    };
    const events = start.events;
    return {
      ok: true,
      events: {
        async *[Symbol.asyncIterator]() {
          for await (const ev of events) yield await open(ev);
        },
      },
    };
  }

  currentResourceVersion(): Promise<string> {
    return this.inner.currentResourceVersion();
  }
}

/** A store that seals `core/secrets` with `provider`. */
export function encryptSecrets(store: ObjectStore, provider: DataKeyProvider): ObjectStore {
  return new EncryptingStore(store, { provider });
}

// ---------------------------------------------------------------------------------------------------------------
// Data key providers

/** The local provider: one key (a file in the data dir, see signing-key.ts `fileKey`), named by its fingerprint. */
export function localDataKeys(key: () => Promise<Buffer>): DataKeyProvider {
  const fingerprint = (k: Buffer) => createHash('sha256').update(k).digest('hex').slice(0, 16);
  return {
    name: 'local',
    async current() {
      const k = await key();
      return { key: k, wrapped: fingerprint(k) };
    },
    async unwrap(wrapped) {
      const k = await key();
      if (fingerprint(k) !== wrapped) throw new Error(`sealed with local key ${wrapped}, but the data dir holds key ${fingerprint(k)}`);
      return k;
    },
  };
}

export interface KmsDataKeyOptions {
  /** How long one data key seals new writes before another is generated. Default 1 h. */
  rotateAfterMs?: number;
  /** Bound on remembered unwrapped keys. Default 256. */
  cacheSize?: number;
  now?: () => number;
}

/** KMS envelope keys: GenerateDataKey (AES_256) under `keyId`, Decrypt to unwrap; both bound to an encryption
 *  context naming the purpose, so the wrapped keys are useless to any other caller of the same KMS key. */
export function kmsDataKeys(client: KMSClient, keyId: string, options: KmsDataKeyOptions = {}): DataKeyProvider {
  const context = { purpose: 'zeroplane-secrets' };
  const rotateAfterMs = options.rotateAfterMs ?? 3600_000;
  const cacheSize = options.cacheSize ?? 256;
  const now = options.now ?? (() => Date.now());
  const unwrapped = new Map<string, Promise<Buffer>>();
  let current: { key: Promise<DataKey>; at: number } | undefined;

  const remember = (wrapped: string, key: Promise<Buffer>) => {
    unwrapped.set(wrapped, key);
    key.catch(() => unwrapped.delete(wrapped));
    if (unwrapped.size > cacheSize) unwrapped.delete(unwrapped.keys().next().value!);
  };

  return {
    name: 'kms',
    current() {
      if (!current || now() - current.at >= rotateAfterMs) {
        const key = (async (): Promise<DataKey> => {
          const out = await client.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: context }));
          if (!out.Plaintext || !out.CiphertextBlob) throw new Error('KMS GenerateDataKey returned no key');
          const wrapped = Buffer.from(out.CiphertextBlob).toString('base64');
          const plain = Buffer.from(out.Plaintext);
          remember(wrapped, Promise.resolve(plain));
          return { key: plain, wrapped };
        })();
        current = { key, at: now() };
        key.catch(() => {
          if (current?.key === key) current = undefined;
        });
      }
      return current.key;
    },
    unwrap(wrapped) {
      const hit = unwrapped.get(wrapped);
      if (hit) return hit;
      const key = (async () => {
        const out = await client.send(new DecryptCommand({ CiphertextBlob: Buffer.from(wrapped, 'base64'), KeyId: keyId, EncryptionContext: context }));
        if (!out.Plaintext) throw new Error('KMS Decrypt returned no key');
        return Buffer.from(out.Plaintext);
      })();
      remember(wrapped, key);
      return key;
    },
  };
}
