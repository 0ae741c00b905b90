/**
 * The port through which controllers, the scheduler and simulated nodes read and write cluster state. The one
 * implementation runs in-process over the generic Registry, so every write takes the same path as kubectl's
 * (defaulting, validation, resourceVersion preconditions, finalizers, namespace lifecycle: design invariant 4);
 * reads go straight to the store (strongly consistent gets, snapshot lists). Errors are the Registry's
 * StatusErrors (shared/api/status.ts), so callers tell Conflict and NotFound apart by `reason`.
 */
import type { ObjectStore, ResourceKey } from '../store/object-store.ts';
import { Allocators, parseCidr } from '../apiserver/allocators.ts';
import { DEFAULT_SERVICE_CIDR } from '../apiserver/core.ts';
import { bindPod, evictPod } from '../apiserver/pod-subresources.ts';
import { indexResourceTypes, type ResourceTypes } from '../apiserver/resource-types.ts';
import { Registry, type DeleteOptions, type WriteOptions } from '../apiserver/registry-store.ts';
import { resourceKey, type KubeObject } from '../../shared/api/object.ts';
import { findByKind, resourceTypes } from '../../shared/api/registry.ts';
import type { ResourceType } from '../../shared/api/resource-type.ts';
import { errors, isStatusError } from '../../shared/api/status.ts';
import type { ObjectRef, PropagationPolicy } from './types.ts';

export interface ListedObjects<T extends KubeObject = KubeObject> {
  items: T[];
  resourceVersion: string;
}

export interface ClusterApi {
  /** The object, or undefined when it does not exist. */
  get<T extends KubeObject = KubeObject>(resource: ResourceKey, namespace: string, name: string): Promise<T | undefined>;
  /** Every object of a resource (one namespace, or all when namespace is undefined), as one consistent snapshot. */
  list<T extends KubeObject = KubeObject>(resource: ResourceKey, namespace?: string, filter?: (obj: KubeObject) => boolean): Promise<ListedObjects<T>>;
  create<T extends KubeObject = KubeObject>(object: T): Promise<T>;
  /** Replaces the object; its metadata.resourceVersion (when set) is the precondition. */
  update<T extends KubeObject = KubeObject>(object: T): Promise<T>;
  /** Writes the status subresource; its metadata.resourceVersion (when set) is the precondition. */
  updateStatus<T extends KubeObject = KubeObject>(object: T): Promise<T>;
  delete(ref: ObjectRef, options?: { preconditionUid?: string; propagationPolicy?: PropagationPolicy }): Promise<void>;
  /** pods/binding: sets spec.nodeName once (Conflict when already bound or being deleted). */
  bind(namespace: string, name: string, node: string): Promise<void>;
  /** pods/eviction. */
  evict(namespace: string, name: string): Promise<void>;
  /** The store underneath, for the few internal records that are not API objects (the scheduler's node ledger). */
  readonly store: ObjectStore;
  /** The resource type of an object (by apiVersion and kind). */
  typeOf(apiVersion: string, kind: string): ResourceType;
}

export interface RegistryApiOptions {
  store: ObjectStore;
  /** Recorded in managedFields (`kube-controller-manager`, `default-scheduler`, `zeroplane-simulated-node`). */
  fieldManager: string;
  serviceCidr?: string;
  now?: () => Date;
}

const PAGE = 1000;

export function createRegistryApi(options: RegistryApiOptions): ClusterApi {
  const types: ResourceTypes = indexResourceTypes(resourceTypes);
  const registry = new Registry({
    store: options.store,
    types,
    allocators: new Allocators(options.store, parseCidr(options.serviceCidr ?? DEFAULT_SERVICE_CIDR)),
    now: options.now ?? (() => new Date()),
  });
  const store = options.store;
  // Controllers write objects built from stored ones: strict decoding would only reject what the store returned.
  const opts = (): WriteOptions => ({ dryRun: false, fieldManager: options.fieldManager, fieldValidation: 'Ignore', warnings: [] });
  const typeOf = (apiVersion: string, kind: string): ResourceType => {
    const t = findByKind(apiVersion, kind);
    if (!t) throw errors.badRequest(`no resource type for ${apiVersion} ${kind}`);
    return types.byResource(t.group, t.resource) ?? t;
  };
  const typeOfResource = (resource: ResourceKey): ResourceType => {
    const t = types.all.find((x) => resourceKey(x) === resource);
    if (!t) throw errors.badRequest(`no resource type ${resource}`);
    return t;
  };
  const typeOfObject = (obj: KubeObject) => typeOf(obj.apiVersion, obj.kind);
  const ns = (t: ResourceType, obj: KubeObject) => (t.namespaced ? obj.metadata.namespace : undefined);

  return {
    store,
    typeOf,
    async get<T extends KubeObject>(resource: ResourceKey, namespace: string, name: string) {
      return (await store.get({ resource, namespace, name })) as T | undefined;
    },
    async list<T extends KubeObject>(resource: ResourceKey, namespace?: string, filter?: (obj: KubeObject) => boolean) {
      const items: KubeObject[] = [];
      let cont: string | undefined;
      let resourceVersion = '';
      do {
        const page = await store.list(resource, { namespace, limit: PAGE, continue: cont, filter });
        items.push(...page.items);
        resourceVersion = page.resourceVersion;
        cont = page.continue;
      } while (cont);
      return { items: items as T[], resourceVersion };
    },
    async create<T extends KubeObject>(object: T) {
      const t = typeOfObject(object);
      const out = await registry.create(t, ns(t, object), registry.decode(t, object as Record<string, unknown>, opts()), opts());
      return out.body as T;
    },
    async update<T extends KubeObject>(object: T) {
      const t = typeOfObject(object);
      // Go's omitempty: an owner list emptied by a release or an orphaning is absent, not [].
      if (object.metadata.ownerReferences?.length === 0) {
        object = { ...object, metadata: { ...object.metadata } };
        delete object.metadata.ownerReferences;
      }
      const out = await registry.update(t, ns(t, object), object.metadata.name ?? '', object, opts());
      return out.body as T;
    },
    async updateStatus<T extends KubeObject>(object: T) {
      const t = typeOfObject(object);
      const out = await registry.update(t, ns(t, object), object.metadata.name ?? '', object, opts(), 'status');
      return out.body as T;
    },
    async delete(ref, o = {}) {
      const t = typeOf(ref.apiVersion, ref.kind);
      const del: DeleteOptions = {};
      if (o.preconditionUid) del.preconditions = { uid: o.preconditionUid };
      if (o.propagationPolicy) del.propagationPolicy = o.propagationPolicy;
      await registry.delete(t, t.namespaced ? ref.namespace : undefined, ref.name, del, opts());
    },
    async bind(namespace, name, node) {
      await bindPod(registry, typeOfResource('core/pods'), namespace, name, { target: { kind: 'Node', name: node } }, opts());
    },
    async evict(namespace, name) {
      await evictPod(registry, typeOfResource('core/pods'), namespace, name, {}, opts(), { store, now: options.now ?? (() => new Date()) });
    },
  };
}

export function isReason(err: unknown, ...reasons: string[]): boolean {
  return isStatusError(err) && reasons.includes(err.reason);
}
