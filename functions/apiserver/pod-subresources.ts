/**
 * `pods/binding` (the scheduler's bind: sets spec.nodeName once, 409 when already bound) and `pods/eviction`
 * (kubectl drain: a policy/v1 Eviction deletes the pod). Both answer 201 with a Success Status, as apiserver does.
 */
import type { KubeObject } from '../../shared/api/object.ts';
import type { ResourceType } from '../../shared/api/resource-type.ts';
import { errors, successStatus, type StatusBody } from '../../shared/api/status.ts';
import { fieldErrors } from '../../shared/api/validation.ts';
import type { Registry, DeleteOptions, WriteOptions } from './registry-store.ts';

function created(name: string): StatusBody {
  return { ...successStatus({ group: '', resource: 'pods' }, name), code: 201 };
}

/** POST pods/N/binding with a core/v1 Binding `{target:{kind:'Node',name}}`. */
export async function bindPod(
  registry: Registry,
  pods: ResourceType,
  namespace: string,
  name: string,
  binding: Record<string, unknown>,
  opts: WriteOptions,
): Promise<StatusBody> {
  const target = (binding.target ?? {}) as { name?: unknown; kind?: unknown };
  const bindingName = (binding.metadata as { name?: string } | undefined)?.name;
  if (bindingName && bindingName !== name) {
    throw errors.badRequest(`the name of the object (${bindingName}) does not match the name on the URL (${name})`);
  }
  if (typeof target.name !== 'string' || target.name === '') {
    throw errors.invalid('Binding', '', name, [fieldErrors.required('target.name')]);
  }
  const node = target.name;
  await registry.guaranteedUpdate(pods, namespace, name, opts, (pod: KubeObject) => {
    const spec = ((pod as { spec?: Record<string, unknown> }).spec ??= {});
    if (pod.metadata.deletionTimestamp) {
      throw errors.conflict({ group: '', resource: 'pods/binding' }, name, `pod ${name} is being deleted, cannot be assigned to a host`);
    }
    if (spec.nodeName && spec.nodeName !== '') {
      throw errors.conflict({ group: '', resource: 'pods/binding' }, name, `pod ${name} is already assigned to node "${String(spec.nodeName)}"`);
    }
    spec.nodeName = node;
    return pod;
  });
  return created(name);
}

/**
 * POST pods/N/eviction with a policy/v1 Eviction: deletes the pod with the eviction's deleteOptions.
 * SEAM: PodDisruptionBudget checks (429 TooManyRequests when a budget would be violated) come with PDBs.
 */
export async function evictPod(
  registry: Registry,
  pods: ResourceType,
  namespace: string,
  name: string,
  eviction: Record<string, unknown>,
  opts: WriteOptions,
): Promise<StatusBody> {
  const deleteOptions = (eviction.deleteOptions ?? {}) as DeleteOptions;
  await registry.delete(pods, namespace, name, deleteOptions, opts);
  return created(name);
}
