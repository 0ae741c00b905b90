/**
 * The thin runner around the pure controllers (style.md §3): per key, a loader (load/*.ts) reads the owner and
 * what it observes, calls the pure reconcile, and hands the result here to be applied through the ClusterApi:
 * actions in order, the owner's status through the status subresource (only when the reconcile returned one,
 * i.e. it changed), Events for what the reconcile reports, and requeueAfter as a delayed re-send of the key.
 *
 * Failure semantics: a Conflict means "reconcile again from fresh state" and is retried inline a few times before
 * the error is thrown (the queue then retries the message); NotFound on an object being deleted or updated means
 * someone else got there first and is not an error. Any other error throws (retry, then dead letter).
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { resourceKey, type KubeObject } from '../../shared/api/object.ts';
import type { ResourceKey } from '../store/object-store.ts';
import type { Reconciler, ReconcileContext } from '../pipeline/controller-handler.ts';
import { BROADCAST_KEYS, type ControllerKey, type ControllerName } from '../pipeline/queue-message.ts';
import { objectKey } from '../dispatch/controller-keys.ts';
import { isReason, type ClusterApi } from './api-port.ts';
import type { Action, EventSpec, ObjectRef, ReconcileResult } from './types.ts';

export interface RunnerEnv {
  api: ClusterApi;
  now: () => Date;
  /** Sends keys to their queues (fan-out of broadcast keys); `cause` makes the deduplication id. */
  send: (keys: ControllerKey[], cause: string) => Promise<void>;
  /** Re-sends a key after a delay (a reconcile's requeueAfterMs). */
  requeue: (key: ControllerKey, delayMs: number) => void;
  logger: Logger;
  /** The Events' source component. Default `kube-controller-manager`-like names per controller. */
  component?: string;
}

/** Loads what a controller needs for one key, reconciles and applies (through applyResult). */
export type ControllerLoader = (key: string, env: RunnerEnv, context: ReconcileContext) => Promise<void>;

export interface ControllerRegistration {
  name: ControllerName;
  /** The kind whose objects a broadcast `*` key fans out to (one key per object). */
  resource?: ResourceKey;
  load: ControllerLoader;
}

const CONFLICT_ATTEMPTS = 4;

/** The reconcilers for makeControllerHandler: broadcasts fan out, object keys reconcile with conflict retries. */
export function controllerReconcilers(env: RunnerEnv, registrations: readonly ControllerRegistration[]): Partial<Record<ControllerName, Reconciler>> {
  const out: Partial<Record<ControllerName, Reconciler>> = {};
  for (const reg of registrations) {
    out[reg.name] = async (key, context) => {
      if (key === BROADCAST_KEYS.all) {
        if (!reg.resource) return;
        await fanOut(env, reg.name, reg.resource, context);
        return;
      }
      await retryOnConflict(() => reg.load(key, env, context));
    };
  }
  return out;
}

export async function retryOnConflict<T>(run: () => Promise<T>, attempts = CONFLICT_ATTEMPTS): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      if (attempt >= attempts || !isReason(err, 'Conflict', 'AlreadyExists')) throw err;
    }
  }
}

/** A broadcast key becomes one message per object; reconciling inline could overlap with the object's own group. */
async function fanOut(env: RunnerEnv, controller: ControllerName, resource: ResourceKey, context: ReconcileContext): Promise<void> {
  const { items } = await env.api.list(resource);
  if (items.length === 0) return;
  const keys = items.map((o) => ({ controller, key: objectKey(o.metadata.namespace ?? '', o.metadata.name ?? '') }));
  // One fan-out per broadcast delivery: a redelivered broadcast (same rv or tick) sends the same ids again.
  await env.send(keys, `fanout:${context.rv ?? env.now().toISOString()}`);
}

export interface ApplyOptions {
  controller: ControllerName;
  /** The key to requeue (defaults to the owner's namespace/name). */
  key: string;
  /** The owner whose status `result.status` is; absent when the owner is gone. */
  owner?: KubeObject;
}

/** Applies a pure controller's result. Throws on a Conflict (the caller reconciles again). */
/** The first batch of a slow start; each later batch doubles, up to SLOW_START_MAX (Kubernetes' slowStartBatch). */
const SLOW_START_INITIAL = 1;
const SLOW_START_MAX = 256;

/** Pod creates and deletes are independent of each other, so a run of them may go out in parallel. */
function isPodBatchable(action: Action): boolean {
  if (action.type === 'create') return action.object.kind === 'Pod';
  if (action.type === 'delete') return action.ref.kind === 'Pod';
  return false;
}

/**
 * Applies a run of pod creates or deletes in growing parallel batches (1, 2, 4, … 256), stopping after the first
 * batch with a failure — like the ReplicaSet controller's slowStartBatch: a quota or admission error costs one
 * call, not a thousand, and a healthy scale-up of 1,000 pods takes ten round trips instead of 1,000.
 */
async function applySlowStart(api: ClusterApi, actions: Action[]): Promise<void> {
  let size = SLOW_START_INITIAL;
  for (let i = 0; i < actions.length; ) {
    const batch = actions.slice(i, i + size);
    const results = await Promise.allSettled(batch.map((a) => applyAction(api, a)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    i += batch.length;
    size = Math.min(size * 2, SLOW_START_MAX);
  }
}

export async function applyResult(env: RunnerEnv, result: ReconcileResult, options: ApplyOptions): Promise<void> {
  let owner = options.owner;
  const actions = result.actions;
  for (let i = 0; i < actions.length; i++) {
    const action = actions[i];
    if (isPodBatchable(action) && i + 1 < actions.length && isPodBatchable(actions[i + 1]) && actions[i + 1].type === action.type) {
      let end = i + 1;
      while (end < actions.length && isPodBatchable(actions[end]) && actions[end].type === action.type) end++;
      await applySlowStart(env.api, actions.slice(i, end));
      i = end - 1;
      continue;
    }
    const written = await applyAction(env.api, action);
    // The reconcile updated its own owner (e.g. a Deployment's revision annotation): the status write that
    // follows is conditional on that write, not on the version the reconcile read.
    if (owner && written && written.metadata.uid === owner.metadata.uid && written.kind === owner.kind) {
      owner = { ...owner, metadata: { ...owner.metadata, resourceVersion: written.metadata.resourceVersion } };
    }
  }
  if (result.status !== undefined && owner) {
    try {
      await env.api.updateStatus({ ...owner, status: result.status } as KubeObject);
    } catch (err) {
      if (!isReason(err, 'NotFound')) throw err;
    }
  }
  if (result.events?.length) await recordEvents(env, result.events, options.controller);
  if (result.requeueAfterMs !== undefined) env.requeue({ controller: options.controller, key: options.key }, result.requeueAfterMs);
}

/** Applies one action; returns the object an update wrote (undefined for the other actions). */
export async function applyAction(api: ClusterApi, action: Action): Promise<KubeObject | undefined> {
  try {
    switch (action.type) {
      case 'create':
        await api.create(action.object);
        return;
      case 'update':
        return await api.update(action.object);
      case 'delete':
        await api.delete(action.ref, { preconditionUid: action.preconditionUid, propagationPolicy: action.propagationPolicy });
        return;
      case 'patchStatus': {
        const resource = api.typeOf(action.ref.apiVersion, action.ref.kind);
        const current = await api.get(resourceKey(resource), resource.namespaced ? (action.ref.namespace ?? '') : '', action.ref.name);
        if (!current || (action.ref.uid && current.metadata.uid !== action.ref.uid)) return;
        await api.updateStatus({ ...current, status: action.status } as KubeObject);
        return;
      }
      case 'evict':
        await api.evict(action.ref.namespace ?? '', action.ref.name);
        return;
    }
  } catch (err) {
    // Already gone: the delete (or the update of a deleted object) has nothing left to do.
    if (isReason(err, 'NotFound') && action.type !== 'create') return;
    // A namespace being deleted refuses new content; its controller is removing everything anyway.
    if (action.type === 'create' && isReason(err, 'Forbidden') && /being terminated/.test((err as Error).message)) return;
    // A uid precondition that no longer holds: a same-named successor exists, which this action was not about.
    if (action.type === 'delete' && isReason(err, 'Conflict') && action.preconditionUid) return;
    throw err;
  }
}

function eventName(name: string): string {
  return `${name}.${Date.now().toString(16)}${randomBytes(3).toString('hex')}`;
}

/** core/v1 Events with involvedObject (what `kubectl describe` lists). Best effort: a failed Event is logged. */
export async function recordEvents(env: RunnerEnv, specs: readonly EventSpec[], component: string): Promise<void> {
  const t = env.now().toISOString().replace(/\.\d{3}Z$/, 'Z');
  for (const spec of specs) {
    try {
      await env.api.create(eventFor(spec, env.component ?? `${component}-controller`, t));
    } catch (err) {
      env.logger.warn({ err, reason: spec.reason, regarding: spec.regarding.name }, 'could not record an event');
    }
  }
}

export function eventFor(spec: EventSpec, component: string, time: string): KubeObject {
  const ref: ObjectRef = spec.regarding;
  const namespace = ref.namespace || 'default';
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: eventName(ref.name), namespace },
    involvedObject: { apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}), ...(ref.uid ? { uid: ref.uid } : {}) },
    reason: spec.reason,
    message: spec.message,
    type: spec.type,
    source: { component },
    reportingComponent: component,
    firstTimestamp: time,
    lastTimestamp: time,
    count: 1,
  } as KubeObject;
}

/** `namespace/name` (or `name`) → parts. */
export function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return slash < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}
