/**
 * The `scale` subresource: an autoscaling/v1 Scale view of deployments, replicasets and statefulsets
 * (`spec.replicas`, `status.replicas`, `status.selector` as a selector string). `kubectl scale` PATCHes it with a
 * merge patch; HPAs read it.
 */
import type { KubeObject } from '../../shared/api/object.ts';
import type { ResourceType } from '../../shared/api/resource-type.ts';
import { errors } from '../../shared/api/status.ts';
import { fieldErrors } from '../../shared/api/validation.ts';
import { labelSelectorFromObject, selectorToString, type LabelSelectorObject } from '../../shared/labels/label-selector.ts';
import type { PatchType } from './content.ts';
import { applyPatch } from './patching.ts';
import { grOf, type Registry, type WriteOptions } from './registry-store.ts';

export const SCALABLE = new Set(['apps/deployments', 'apps/replicasets', 'apps/statefulsets', 'core/replicationcontrollers']);

interface Scalable {
  spec?: { replicas?: number; selector?: LabelSelectorObject | Record<string, string> };
  status?: { replicas?: number };
}

export function scaleOf(obj: KubeObject): KubeObject {
  const o = obj as KubeObject & Scalable;
  const sel = o.spec?.selector;
  // ReplicationControllers carry a plain map selector; the apps kinds a LabelSelector.
  const selector =
    sel && ('matchLabels' in sel || 'matchExpressions' in sel)
      ? selectorToString(labelSelectorFromObject(sel as LabelSelectorObject))
      : sel
        ? Object.entries(sel as Record<string, string>).map(([k, v]) => `${k}=${v}`).join(',')
        : '';
  const m = obj.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: o.spec?.replicas ?? 0 },
    status: { replicas: o.status?.replicas ?? 0, ...(selector ? { selector } : {}) },
  } as KubeObject;
}

function replicasOf(scale: unknown, name: string): number {
  const replicas = (scale as { spec?: { replicas?: unknown } } | undefined)?.spec?.replicas;
  if (replicas === undefined) return 0;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw errors.invalid('Scale', 'autoscaling', name, [fieldErrors.invalid('spec.replicas', replicas, 'must be greater than or equal to 0')]);
  }
  return replicas;
}

export async function getScale(registry: Registry, type: ResourceType, namespace: string | undefined, name: string): Promise<KubeObject> {
  return scaleOf(await registry.get(type, namespace, name));
}

/** PUT …/scale: a Scale body; its resourceVersion (when set) is a precondition on the parent object. */
export async function updateScale(
  registry: Registry,
  type: ResourceType,
  namespace: string | undefined,
  name: string,
  body: Record<string, unknown>,
  opts: WriteOptions,
): Promise<KubeObject> {
  const wantedRv = (body.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
  const replicas = replicasOf(body, name);
  const written = await registry.guaranteedUpdate(type, namespace, name, opts, (current) => {
    if (wantedRv && wantedRv !== current.metadata.resourceVersion) throw errors.conflict(grOf(type), name);
    const spec = ((current as Scalable).spec ??= {});
    spec.replicas = replicas;
    return current;
  });
  return scaleOf(written);
}

/** PATCH …/scale: the patch applies to the Scale view, and its spec.replicas goes to the parent. */
export async function patchScale(
  registry: Registry,
  type: ResourceType,
  namespace: string | undefined,
  name: string,
  patchType: PatchType,
  patch: unknown,
  opts: WriteOptions,
  now: Date,
): Promise<KubeObject> {
  const written = await registry.guaranteedUpdate(type, namespace, name, opts, (current) => {
    const patched = applyPatch(patchType === 'apply' ? 'merge' : patchType, scaleOf(current), patch, { type, force: false, now, fieldManager: opts.fieldManager, kind: { group: 'autoscaling', kind: 'Scale' } });
    const spec = ((current as Scalable).spec ??= {});
    spec.replicas = replicasOf(patched, name);
    return current;
  });
  return scaleOf(written);
}
