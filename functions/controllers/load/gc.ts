/**
 * Garbage collector loader. The key names the owner (`<resource>:<namespace>/<name>`) but not its uid, since the
 * owner may be gone: dependents are found by an ownerReference naming the owner's kind and name, grouped by the
 * uid they refer to, and each group is one reconcileGarbage (a recreated same-named owner is a different uid).
 *
 * Dependents are looked for among the kinds controllers create (DEPENDENT_RESOURCES), in the owner's namespace
 * (every namespace for a cluster-scoped owner): a full scan of every kind per wake-up would cost more than the
 * collection itself. Objects of other kinds pointing at an owner are collected by their namespace's deletion.
 */
import type { KubeObject, OwnerReference } from '../../../shared/api/object.ts';
import { resourceKey } from '../../../shared/api/object.ts';
import { findByKind, resourceTypes } from '../../../shared/api/registry.ts';
import { parseGcKey } from '../../dispatch/controller-keys.ts';
import { reconcileGarbage } from '../gc.ts';
import { applyResult, type ControllerRegistration, type RunnerEnv } from '../runner.ts';

export const DEPENDENT_RESOURCES = [
  'core/pods',
  'apps/replicasets',
  'apps/controllerrevisions',
  'batch/jobs',
  'core/endpoints',
  'discovery.k8s.io/endpointslices',
  'core/persistentvolumeclaims',
  'core/configmaps',
  'core/secrets',
];

/** Owners whose keys are not collected here: namespaces have their own controller; events own nothing. */
const NOT_OWNERS = new Set(['core/namespaces', 'core/events', 'events.k8s.io/events']);

export const gcController: ControllerRegistration = {
  name: 'gc',
  async load(key, env) {
    const parsed = parseGcKey(key);
    if (!parsed || NOT_OWNERS.has(parsed.resource)) return;
    const owner = await env.api.get(parsed.resource, parsed.namespace, parsed.name);
    const kind = owner?.kind ?? kindOf(parsed.resource);
    if (!kind) return;
    const lists = await Promise.all(DEPENDENT_RESOURCES.map((r) => env.api.list(r, parsed.namespace || undefined, (o) => refersTo(o, kind, parsed.name))));
    const dependents = lists.flatMap((l) => l.items);
    const byUid = new Map<string, KubeObject[]>();
    if (owner?.metadata.uid) byUid.set(owner.metadata.uid, []);
    for (const dep of dependents) {
      for (const ref of dep.metadata.ownerReferences ?? []) {
        if (ref.kind !== kind || ref.name !== parsed.name) continue;
        const list = byUid.get(ref.uid) ?? [];
        list.push(dep);
        byUid.set(ref.uid, list);
      }
    }
    for (const [ownerUid, deps] of byUid) {
      const live = await liveOwners(env, deps, ownerUid);
      const result = reconcileGarbage({ owner, ownerUid, dependents: deps, ownerExists: (uid) => live.has(uid) });
      await applyResult(env, result, { controller: 'gc', key });
    }
  },
};

function refersTo(obj: KubeObject, kind: string, name: string): boolean {
  return (obj.metadata.ownerReferences ?? []).some((r) => r.kind === kind && r.name === name);
}

function kindOf(resource: string): string | undefined {
  return resourceTypes.find((t) => resourceKey(t) === resource)?.kind;
}

/** The uids, among the dependents' other owners, that still exist (a dependent with a live owner only loses a reference). */
async function liveOwners(env: RunnerEnv, deps: KubeObject[], except: string): Promise<Set<string>> {
  const live = new Set<string>();
  const seen = new Set<string>();
  for (const dep of deps) {
    for (const ref of dep.metadata.ownerReferences ?? []) {
      if (ref.uid === except || seen.has(ref.uid)) continue;
      seen.add(ref.uid);
      if (await ownerExists(env, ref, dep.metadata.namespace ?? '')) live.add(ref.uid);
    }
  }
  return live;
}

async function ownerExists(env: RunnerEnv, ref: OwnerReference, namespace: string): Promise<boolean> {
  const type = findByKind(ref.apiVersion, ref.kind);
  if (!type) return false;
  const obj = await env.api.get(resourceKey(type), type.namespaced ? namespace : '', ref.name);
  return obj?.metadata.uid === ref.uid;
}
