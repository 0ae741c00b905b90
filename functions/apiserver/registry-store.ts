/**
 * The generic registry (apiserver's genericregistry.Store): the Kubernetes semantics of every verb for every kind,
 * over the ObjectStore port. It owns uid, timestamps, generation, finalizers, graceful-deletion bookkeeping,
 * the status split, namespace lifecycle checks and Service allocations; the kinds' strategies own defaulting and
 * validation. It knows nothing of HTTP: core.ts maps requests to these calls and results to responses.
 */
import { randomInt, randomUUID } from 'node:crypto';
import type { ObjectRef, ObjectStore } from '../store/object-store.ts';
import { resourceKey, type KubeObject } from '../../shared/api/object.ts';
import { apiVersionOf, type FieldError, type ResourceType } from '../../shared/api/resource-type.ts';
import { errors, successStatus, type ResourceRef, type StatusBody } from '../../shared/api/status.ts';
import { canonicalJson, fieldErrors } from '../../shared/api/validation.ts';
import type { Allocators } from './allocators.ts';
import type { PatchType } from './content.ts';
import { enforceFieldValidation, type FieldValidation } from './field-validation.ts';
import { knownFieldNames } from './known-field-names.ts';
import { applyPatch, applyToMissing, recordManager } from './patching.ts';
import type { ResourceTypes } from './resource-types.ts';
import { allocateService, releaseService } from './service-allocation.ts';

export interface RegistryDeps {
  store: ObjectStore;
  types: ResourceTypes;
  allocators: Allocators;
  now: () => Date;
}

/** Per-request write options (query parameters). Warnings collected here become `Warning` headers. */
export interface WriteOptions {
  dryRun: boolean;
  fieldManager?: string;
  fieldValidation: FieldValidation;
  force?: boolean;
  warnings: string[];
}

export interface DeleteOptions {
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface WriteOutcome {
  /** 200 or 201 (created). */
  code: number;
  body: KubeObject | StatusBody;
}

const NAMESPACES = 'core/namespaces';
const MAX_RETRIES = 8;
/** Kinds whose PUT of a missing object creates it (apiserver's AllowCreateOnUpdate). */
const CREATE_ON_UPDATE = new Set(['core/events', 'core/endpoints', 'coordination.k8s.io/leases', 'discovery.k8s.io/endpointslices']);
/** Kinds whose DELETE answers with the deleted object rather than a Success Status (ReturnDeletedObject). */
const RETURNS_DELETED_OBJECT = new Set(['core/pods', 'core/namespaces']);
const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function refOf(type: ResourceType, namespace: string | undefined, name: string): ObjectRef {
  return { resource: resourceKey(type), namespace: type.namespaced ? namespace ?? '' : '', name };
}

export function grOf(type: ResourceType): ResourceRef {
  return { group: type.group, resource: type.resource };
}

export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function randomSuffix(): string {
  let s = '';
  for (let i = 0; i < 5; i++) s += NAME_ALPHABET[randomInt(NAME_ALPHABET.length)];
  return s;
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

function field(obj: KubeObject, key: string): unknown {
  return (obj as Record<string, unknown>)[key];
}

function setField(obj: KubeObject, key: string, value: unknown): void {
  if (value === undefined) delete (obj as Record<string, unknown>)[key];
  else (obj as Record<string, unknown>)[key] = value;
}

/** The object without its resourceVersion, canonical: two updates that change nothing compare equal. */
function sameContent(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject) => ({ ...o, metadata: { ...o.metadata, resourceVersion: undefined, managedFields: undefined } });
  return canonicalJson(strip(a)) === canonicalJson(strip(b));
}

function isTerminating(ns: KubeObject): boolean {
  return Boolean(ns.metadata.deletionTimestamp) || (field(ns, 'status') as { phase?: string } | undefined)?.phase === 'Terminating';
}

/** Throws 400 when a decoded body is not an object of this type (kind or apiVersion mismatch). */
function checkTypeMeta(type: ResourceType, obj: Record<string, unknown>, expected: { kind: string; apiVersion: string } = { kind: type.kind, apiVersion: apiVersionOf(type) }): void {
  if (typeof obj.apiVersion === 'string' && obj.apiVersion !== '' && obj.apiVersion !== expected.apiVersion) {
    throw errors.badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${expected.apiVersion})`);
  }
  if (typeof obj.kind === 'string' && obj.kind !== '' && obj.kind !== expected.kind) {
    throw errors.badRequest(`the kind in the data (${obj.kind}) does not match the expected kind (${expected.kind})`);
  }
  if (obj.metadata !== undefined && (obj.metadata === null || typeof obj.metadata !== 'object' || Array.isArray(obj.metadata))) {
    throw errors.badRequest(`${expected.kind} in version "${type.version}" cannot be handled as a ${expected.kind}: metadata must be an object`);
  }
}

export class Registry {
  /** Every Kubernetes field name we know: unknown-field checks never flag these (field-validation.ts). */
  private readonly vocabulary: ReadonlySet<string>;

  constructor(private readonly deps: RegistryDeps) {
    this.vocabulary = knownFieldNames(deps.types.all);
  }

  private get store(): ObjectStore {
    return this.deps.store;
  }

  // ------------------------------------------------------------------------------------------------------------
  // Decoding: turn a request body into a typed object of `type`.

  /**
   * Validates the request body against the kind's schema: unknown fields per fieldValidation, then a zod parse
   * (type mismatches are 400s, as Go's decoder fails them). Returns the parsed object.
   */
  decode(type: ResourceType, body: Record<string, unknown>, opts: WriteOptions): KubeObject {
    checkTypeMeta(type, body);
    const obj = clone(body);
    obj.apiVersion = apiVersionOf(type);
    obj.kind = type.kind;
    obj.metadata ??= {};
    const { warnings } = enforceFieldValidation(opts.fieldValidation, type.schema, obj, type.kind, type.version, this.vocabulary);
    opts.warnings.push(...warnings);
    return this.parse(type, obj);
  }

  private parse(type: ResourceType, obj: unknown): KubeObject {
    const parsed = type.schema.safeParse(obj);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
      throw errors.badRequest(`${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}: ${path ? `${path}: ` : ''}${issue.message}`);
    }
    return parsed.data as KubeObject;
  }

  // ------------------------------------------------------------------------------------------------------------
  // Reads

  async get(type: ResourceType, namespace: string | undefined, name: string): Promise<KubeObject> {
    const obj = await this.store.get(refOf(type, namespace, name));
    if (!obj) throw errors.notFound(grOf(type), name);
    return obj;
  }

  // ------------------------------------------------------------------------------------------------------------
  // Create

  private async checkNamespace(type: ResourceType, namespace: string, name: string): Promise<void> {
    if (!type.namespaced) return;
    const ns = await this.store.get({ resource: NAMESPACES, namespace: '', name: namespace });
    if (!ns) throw errors.namespaceNotFound(namespace);
    if (isTerminating(ns)) {
      throw errors.forbiddenBy(grOf(type), name, `unable to create new content in namespace ${namespace} because it is being terminated`);
    }
  }

  private placeNamespace(type: ResourceType, obj: KubeObject, namespace: string | undefined): void {
    if (!type.namespaced) {
      delete obj.metadata.namespace;
      return;
    }
    if (namespace === undefined || namespace === '') throw errors.noRoute();
    if (obj.metadata.namespace && obj.metadata.namespace !== namespace) {
      throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    obj.metadata.namespace = namespace;
  }

  private validate(type: ResourceType, obj: KubeObject, old?: KubeObject): void {
    type.strategy.applyDefaults(obj);
    const errs: FieldError[] = [...type.strategy.validate(obj, old)];
    if (old?.metadata.deletionTimestamp) {
      const before = new Set(old.metadata.finalizers ?? []);
      if ((obj.metadata.finalizers ?? []).some((f) => !before.has(f))) {
        errs.push(fieldErrors.forbidden('metadata.finalizers', 'no new finalizers can be added if the object is being deleted'));
      }
    }
    if (errs.length) throw errors.invalid(type.kind, type.group, obj.metadata.name ?? '', errs);
  }

  /** Creates `obj` (already decoded). Allocates Service IPs/ports. */
  async create(type: ResourceType, namespace: string | undefined, input: KubeObject, opts: WriteOptions): Promise<WriteOutcome> {
    const obj = clone(input);
    this.placeNamespace(type, obj, namespace);
    const meta = obj.metadata;
    if (!meta.name && !meta.generateName) {
      throw errors.invalid(type.kind, type.group, '', [fieldErrors.required('metadata.name', 'name or generateName is required')]);
    }
    const generated = !meta.name;
    await this.checkNamespace(type, meta.namespace ?? '', meta.name || meta.generateName || '');
    const now = this.deps.now();
    for (const k of ['uid', 'resourceVersion', 'deletionTimestamp', 'deletionGracePeriodSeconds'] as const) delete meta[k];
    meta.uid = randomUUID();
    meta.creationTimestamp = rfc3339(now);
    meta.generation = 1;
    if (generated) meta.name = meta.generateName + randomSuffix();
    recordManager(obj, undefined, { type, fieldManager: opts.fieldManager, now });
    this.validate(type, obj);

    for (let attempt = 0; ; attempt++) {
      const ref = refOf(type, meta.namespace, meta.name ?? '');
      if (opts.dryRun) {
        if (await this.store.get(ref)) throw errors.alreadyExists(grOf(type), ref.name);
        return { code: 201, body: obj };
      }
      const allocation = type.group === '' && type.resource === 'services' ? await allocateService(this.deps.allocators, obj) : undefined;
      if (allocation?.errors.length) throw errors.invalid(type.kind, type.group, ref.name, allocation.errors);
      const res = await this.store.create(ref, obj).catch(async (err: unknown) => {
        await allocation?.rollback();
        throw err;
      });
      if (res.ok) return { code: 201, body: res.object };
      await allocation?.rollback();
      // A generated name that collided gets another suffix, as apiserver retries.
      if (res.reason === 'AlreadyExists' && generated && attempt < 3) {
        meta.name = meta.generateName + randomSuffix();
        continue;
      }
      throw errors.alreadyExists(grOf(type), ref.name);
    }
  }

  // ------------------------------------------------------------------------------------------------------------
  // Update, the common path of PUT, PATCH, status and scale writes.

  /**
   * Builds the object to store from the caller's desired object and the current one: immutable metadata kept,
   * the status split applied, generation bumped on spec change, defaults and validation run.
   */
  private prepareUpdate(type: ResourceType, current: KubeObject, desired: KubeObject, subresource: string | undefined, opts: WriteOptions): KubeObject {
    let next: KubeObject;
    if (subresource === 'status') {
      // A status write changes status only (apps and core status strategies reset spec and metadata).
      next = clone(current);
      setField(next, 'status', clone(field(desired, 'status')));
    } else {
      next = clone(desired);
      if (type.strategy.hasStatusSubresource) setField(next, 'status', clone(field(current, 'status')));
    }
    next.apiVersion = apiVersionOf(type);
    next.kind = type.kind;
    const meta = next.metadata;
    const cur = current.metadata;
    if (meta.uid && meta.uid !== cur.uid) {
      throw errors.conflict(grOf(type), cur.name ?? '', `Precondition failed: UID in precondition: ${meta.uid}, UID in object meta: ${cur.uid}`);
    }
    meta.name = cur.name;
    if (type.namespaced) meta.namespace = cur.namespace;
    else delete meta.namespace;
    meta.uid = cur.uid;
    meta.creationTimestamp = cur.creationTimestamp;
    meta.resourceVersion = cur.resourceVersion;
    delete meta.generateName;
    if (cur.generateName) meta.generateName = cur.generateName;
    for (const k of ['deletionTimestamp', 'deletionGracePeriodSeconds'] as const) {
      if (cur[k] === undefined) delete meta[k];
      else (meta as Record<string, unknown>)[k] = cur[k];
    }
    if (meta.managedFields === undefined && cur.managedFields !== undefined) meta.managedFields = cur.managedFields;
    meta.generation = cur.generation ?? 1;
    recordManager(next, current, { type, fieldManager: opts.fieldManager, now: this.deps.now(), subresource });
    this.validate(type, next, current);
    const specChanged = type.strategy.specChanged
      ? type.strategy.specChanged(next, current)
      : canonicalJson(field(next, 'spec') ?? null) !== canonicalJson(field(current, 'spec') ?? null);
    if (specChanged && subresource !== 'status') meta.generation = (cur.generation ?? 1) + 1;
    return next;
  }

  /**
   * Writes `next` over `current` (RV-conditional). Returns undefined on a Conflict so the caller can retry.
   * Deletes the object instead when an update removes the last finalizer of an object being deleted.
   */
  private async commitUpdate(type: ResourceType, current: KubeObject, next: KubeObject, opts: WriteOptions): Promise<KubeObject | undefined> {
    const ref = refOf(type, current.metadata.namespace, current.metadata.name ?? '');
    const rv = current.metadata.resourceVersion ?? '';
    if (next.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0) {
      if (opts.dryRun) return next;
      const res = await this.store.delete(ref, rv);
      if (!res.ok) {
        if (res.reason === 'NotFound') throw errors.notFound(grOf(type), ref.name);
        return undefined;
      }
      await this.afterDelete(type, res.object);
      return res.object;
    }
    if (sameContent(next, current)) return current;
    if (opts.dryRun) return next;
    const isService = type.group === '' && type.resource === 'services';
    const allocation = isService ? await allocateService(this.deps.allocators, next, current) : undefined;
    if (allocation?.errors.length) throw errors.invalid(type.kind, type.group, ref.name, allocation.errors);
    const res = await this.store.update(ref, next, rv).catch(async (err: unknown) => {
      await allocation?.rollback();
      throw err;
    });
    if (!res.ok) {
      await allocation?.rollback();
      if (res.reason === 'NotFound') throw errors.notFound(grOf(type), ref.name);
      if (res.reason === 'AlreadyExists') throw errors.alreadyExists(grOf(type), ref.name);
      return undefined;
    }
    await allocation?.commit();
    return res.object;
  }

  /**
   * Read-modify-write with retries on Conflict (apiserver's GuaranteedUpdate). `mutate` gets the current object and
   * returns the desired one; it may throw a StatusError to stop.
   */
  async guaranteedUpdate(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    opts: WriteOptions,
    mutate: (current: KubeObject) => KubeObject | Promise<KubeObject>,
    subresource?: string,
  ): Promise<KubeObject> {
    for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
      const current = await this.get(type, namespace, name);
      const desired = await mutate(clone(current));
      const next = this.prepareUpdate(type, current, desired, subresource, opts);
      const written = await this.commitUpdate(type, current, next, opts);
      if (written) return written;
    }
    throw errors.conflict(grOf(type), name);
  }

  /** PUT: a conditional update when the body carries a resourceVersion, unconditional otherwise. */
  async update(type: ResourceType, namespace: string | undefined, name: string, input: KubeObject, opts: WriteOptions, subresource?: string): Promise<WriteOutcome> {
    if (input.metadata.name && input.metadata.name !== name) {
      throw errors.badRequest(`the name of the object (${input.metadata.name}) does not match the name on the URL (${name})`);
    }
    if (type.namespaced && input.metadata.namespace && input.metadata.namespace !== namespace) {
      throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    const wantedRv = input.metadata.resourceVersion;
    for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
      const current = await this.store.get(refOf(type, namespace, name));
      if (!current) {
        if (!subresource && CREATE_ON_UPDATE.has(resourceKey(type)) && !wantedRv) {
          return this.create(type, namespace, { ...input, metadata: { ...input.metadata, name } }, opts);
        }
        throw errors.notFound(grOf(type), name);
      }
      if (wantedRv && wantedRv !== current.metadata.resourceVersion) throw errors.conflict(grOf(type), name);
      const next = this.prepareUpdate(type, current, input, subresource, opts);
      const written = await this.commitUpdate(type, current, next, opts);
      if (written) return { code: 200, body: written };
      if (wantedRv) throw errors.conflict(grOf(type), name);
    }
    throw errors.conflict(grOf(type), name);
  }

  // ------------------------------------------------------------------------------------------------------------
  // Patch

  async patch(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    patchType: PatchType,
    patch: unknown,
    opts: WriteOptions,
    subresource?: string,
  ): Promise<WriteOutcome> {
    if (patchType === 'apply') {
      if (!opts.fieldManager) throw errors.badRequest('PATCH /apply requires fieldManager to be set');
      if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) throw errors.badRequest('apply patch must be an object');
      checkTypeMeta(type, patch as Record<string, unknown>);
    }
    const patchOpts = { type, fieldManager: opts.fieldManager, force: opts.force ?? false, now: this.deps.now(), subresource };
    // Server-side apply records its own managedFields entry (an Apply); the write after it must not add an Update.
    const writeOpts: WriteOptions = patchType === 'apply' ? { ...opts, fieldManager: undefined, warnings: opts.warnings } : opts;
    const validatePatched = (obj: KubeObject): KubeObject => {
      const { warnings } = enforceFieldValidation(opts.fieldValidation, type.schema, obj, type.kind, type.version, this.vocabulary);
      for (const w of warnings) if (!opts.warnings.includes(w)) opts.warnings.push(w);
      return this.parse(type, obj);
    };
    for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
      const current = await this.store.get(refOf(type, namespace, name));
      if (!current) {
        if (patchType !== 'apply' || subresource) throw errors.notFound(grOf(type), name);
        const created = validatePatched(applyToMissing(patch, patchOpts));
        if (created.metadata.name && created.metadata.name !== name) {
          throw errors.badRequest(`the name of the object (${created.metadata.name}) does not match the name on the URL (${name})`);
        }
        created.apiVersion = apiVersionOf(type);
        created.kind = type.kind;
        created.metadata.name = name;
        try {
          return await this.create(type, namespace, created, writeOpts);
        } catch (err) {
          // Someone created it between our read and our create: patch the object that now exists.
          if ((err as { reason?: string }).reason === 'AlreadyExists' && attempt + 1 < MAX_RETRIES) continue;
          throw err;
        }
      }
      const patched = validatePatched(applyPatch(patchType, current, patch, patchOpts));
      if (patched.metadata.name !== undefined && patched.metadata.name !== name) {
        throw errors.badRequest(`the name of the object (${patched.metadata.name}) does not match the name on the URL (${name})`);
      }
      // A patch that sets metadata.resourceVersion is a precondition, like a PUT's.
      const wantedRv = patched.metadata.resourceVersion;
      if (wantedRv && wantedRv !== current.metadata.resourceVersion) throw errors.conflict(grOf(type), name);
      const next = this.prepareUpdate(type, current, patched, subresource, writeOpts);
      const written = await this.commitUpdate(type, current, next, writeOpts);
      if (written) return { code: 200, body: written };
    }
    throw errors.conflict(grOf(type), name);
  }

  // ------------------------------------------------------------------------------------------------------------
  // Delete

  private async afterDelete(type: ResourceType, obj: KubeObject): Promise<void> {
    if (type.group === '' && type.resource === 'services') await releaseService(this.deps.allocators, obj);
  }

  private deletedBody(type: ResourceType, obj: KubeObject): KubeObject | StatusBody {
    if (RETURNS_DELETED_OBJECT.has(resourceKey(type))) return obj;
    return successStatus(grOf(type), obj.metadata.name ?? '', obj.metadata.uid);
  }

  async delete(type: ResourceType, namespace: string | undefined, name: string, options: DeleteOptions, opts: WriteOptions): Promise<WriteOutcome> {
    if (type.group === '' && type.resource === 'namespaces') return this.deleteNamespace(type, name, options, opts);
    for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
      const current = await this.get(type, namespace, name);
      this.checkPreconditions(type, current, options);
      const finalizers = [...(current.metadata.finalizers ?? [])];
      const addFinalizer = options.propagationPolicy === 'Foreground' ? 'foregroundDeletion' : options.propagationPolicy === 'Orphan' ? 'orphan' : undefined;
      // Recorded like Kubernetes; the garbage collector that honours them comes later.
      if (addFinalizer && !finalizers.includes(addFinalizer) && !current.metadata.deletionTimestamp) finalizers.push(addFinalizer);
      if (finalizers.length > 0) {
        if (current.metadata.deletionTimestamp) return { code: 200, body: current };
        const next = clone(current);
        next.metadata.finalizers = finalizers;
        next.metadata.deletionTimestamp = rfc3339(this.deps.now());
        next.metadata.deletionGracePeriodSeconds = 0;
        if (opts.dryRun) return { code: 200, body: next };
        const res = await this.store.update(refOf(type, namespace, name), next, current.metadata.resourceVersion ?? '');
        if (res.ok) return { code: 200, body: res.object };
        if (res.reason === 'NotFound') throw errors.notFound(grOf(type), name);
        continue;
      }
      if (opts.dryRun) return { code: 200, body: this.deletedBody(type, current) };
      const res = await this.store.delete(refOf(type, namespace, name), current.metadata.resourceVersion ?? '');
      if (res.ok) {
        await this.afterDelete(type, res.object);
        return { code: 200, body: this.deletedBody(type, res.object) };
      }
      if (res.reason === 'NotFound') throw errors.notFound(grOf(type), name);
    }
    throw errors.conflict(grOf(type), name);
  }

  private checkPreconditions(type: ResourceType, current: KubeObject, options: DeleteOptions): void {
    const pre = options.preconditions;
    const name = current.metadata.name ?? '';
    if (pre?.uid && pre.uid !== current.metadata.uid) {
      throw errors.conflict(grOf(type), name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`);
    }
    if (pre?.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
      throw errors.conflict(
        grOf(type),
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`,
      );
    }
  }

  /**
   * Namespace deletion: the namespace turns Terminating (deletionTimestamp + status.phase), then its content is
   * removed and the namespace with it.
   * TEMPORARY: the content removal runs inline here until the namespace controller exists; objects held by
   * finalizers keep the namespace Terminating (a later delete call, or the controller, finishes it).
   */
  private async deleteNamespace(type: ResourceType, name: string, options: DeleteOptions, opts: WriteOptions): Promise<WriteOutcome> {
    const current = await this.get(type, undefined, name);
    this.checkPreconditions(type, current, options);
    if (opts.dryRun) return { code: 200, body: current };
    const terminating = current.metadata.deletionTimestamp ? current : await this.markTerminating(type, name);
    const remaining = await this.purgeNamespace(name, opts);
    if (remaining === 0) {
      for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
        const ns = await this.store.get(refOf(type, undefined, name));
        if (!ns) break;
        const res = await this.store.delete(refOf(type, undefined, name), ns.metadata.resourceVersion ?? '');
        if (res.ok || res.reason === 'NotFound') break;
      }
    }
    return { code: 200, body: terminating };
  }

  /** Sets deletionTimestamp and status.phase Terminating in one write (metadata and status together, which no
   *  client-facing update path allows: this is the registry's own bookkeeping). */
  private async markTerminating(type: ResourceType, name: string): Promise<KubeObject> {
    for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
      const ns = await this.get(type, undefined, name);
      if (ns.metadata.deletionTimestamp) return ns;
      const next = clone(ns);
      next.metadata.deletionTimestamp = rfc3339(this.deps.now());
      next.metadata.deletionGracePeriodSeconds = 0;
      const status = (field(next, 'status') as Record<string, unknown> | undefined) ?? {};
      setField(next, 'status', { ...status, phase: 'Terminating' });
      const res = await this.store.update(refOf(type, undefined, name), next, ns.metadata.resourceVersion ?? '');
      if (res.ok) return res.object;
      if (res.reason === 'NotFound') throw errors.notFound(grOf(type), name);
    }
    throw errors.conflict(grOf(type), name);
  }

  /** Deletes every namespaced object in `namespace`; returns how many are still there (held by finalizers). */
  private async purgeNamespace(namespace: string, opts: WriteOptions): Promise<number> {
    let remaining = 0;
    for (const type of this.deps.types.all) {
      if (!type.namespaced || this.deps.types.byResource(type.group, type.resource) !== type) continue;
      let cont: string | undefined;
      do {
        const page = await this.store.list(resourceKey(type), { namespace, limit: 500, continue: cont });
        for (const obj of page.items) {
          try {
            const out = await this.delete(type, namespace, obj.metadata.name ?? '', { propagationPolicy: 'Background' }, { ...opts, warnings: [] });
            if ((out.body as KubeObject).metadata?.deletionTimestamp) remaining++;
          } catch (err) {
            if ((err as { code?: number }).code !== 404) throw err;
          }
        }
        cont = page.continue;
      } while (cont);
    }
    return remaining;
  }
}
