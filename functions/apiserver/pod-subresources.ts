/**
 * `pods/binding` (the scheduler's bind: sets spec.nodeName once, 409 when already bound) and `pods/eviction`
 * (kubectl drain: a policy/v1 Eviction deletes the pod, within the PodDisruptionBudget covering it). Both answer
 * 201 with a Success Status, as apiserver does.
 */
import type { KubeObject } from '../../shared/api/object.ts';
import type { ResourceType } from '../../shared/api/resource-type.ts';
import type { Pod } from '../../shared/api/kinds/pod.ts';
import type { PodDisruptionBudget } from '../../shared/api/kinds/poddisruptionbudget.ts';
import { findByKind } from '../../shared/api/registry.ts';
import { errors, isStatusError, successStatus, type StatusBody } from '../../shared/api/status.ts';
import { podsCoveredBy } from '../controllers/disruption.ts';
import type { ObjectStore } from '../store/object-store.ts';
import { fieldErrors } from '../../shared/api/validation.ts';
import { rfc3339, type Registry, type DeleteOptions, type WriteOptions } from './registry-store.ts';

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

/** What an eviction needs beyond the Registry: the namespace's PodDisruptionBudgets and the clock. */
export interface EvictionDeps {
  store: ObjectStore;
  now: () => Date;
}

const PDBS = 'policy/poddisruptionbudgets';
/** Kubernetes' MaxDisruptedPodSize: evictions the disruption controller has not confirmed yet. */
const MAX_DISRUPTED_PODS = 2000;
const EVICTION_ATTEMPTS = 5;

/** Finished, not started, or already going: its disruption has happened or never will (canIgnorePDB). */
function ignoresBudgets(pod: Pod): boolean {
  const phase = pod.status?.phase ?? 'Pending';
  return phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || Boolean(pod.metadata.deletionTimestamp);
}

function isReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/**
 * The budget's answer for evicting `podName` (checkAndDecrement): throws 429 when it allows no disruption now,
 * else returns its status with one disruption spent and the pod recorded in disruptedPods.
 */
export function spendDisruption(pdb: PodDisruptionBudget, podName: string, now: Date): NonNullable<PodDisruptionBudget['status']> {
  const status = pdb.status ?? {};
  const name = pdb.metadata.name ?? '';
  if ((status.observedGeneration ?? 0) < (pdb.metadata.generation ?? 1)) {
    throw errors.disruptionBudgetViolated(`The disruption budget ${name} is still being processed by the server.`);
  }
  const allowed = status.disruptionsAllowed ?? 0;
  if (allowed < 0) throw errors.forbiddenBy({ group: 'policy', resource: 'poddisruptionbudget' }, name, 'pdb disruptions allowed is negative');
  if (Object.keys(status.disruptedPods ?? {}).length > MAX_DISRUPTED_PODS) {
    throw errors.forbiddenBy({ group: 'policy', resource: 'poddisruptionbudget' }, name, 'DisruptedPods map too big - too many evictions not confirmed by PDB controller');
  }
  if (allowed === 0) {
    throw errors.disruptionBudgetViolated(`The disruption budget ${name} needs ${status.desiredHealthy ?? 0} healthy pods and has ${status.currentHealthy ?? 0} currently`);
  }
  const next = { ...status, disruptionsAllowed: allowed - 1, disruptedPods: { ...(status.disruptedPods ?? {}), [podName]: rfc3339(now) } };
  if (next.disruptionsAllowed === 0) {
    const t = rfc3339(now);
    next.conditions = [
      ...(status.conditions ?? []).filter((c) => c.type !== 'DisruptionAllowed'),
      { type: 'DisruptionAllowed', status: 'False', observedGeneration: pdb.metadata.generation ?? 1, lastTransitionTime: t, reason: 'InsufficientPods', message: '' },
    ];
  }
  return next;
}

/**
 * POST pods/N/eviction with a policy/v1 Eviction: deletes the pod with the eviction's deleteOptions, unless the
 * PodDisruptionBudget covering it allows no disruption now (429, which kubectl drain retries every 5 s). A healthy
 * pod's eviction first spends one of the budget's disruptionsAllowed through a conditional status write (a
 * Conflict re-reads the budget), so concurrent evictions never spend the same disruption twice.
 */
export async function evictPod(
  registry: Registry,
  pods: ResourceType,
  namespace: string,
  name: string,
  eviction: Record<string, unknown>,
  opts: WriteOptions,
  deps: EvictionDeps,
): Promise<StatusBody> {
  const evictionName = (eviction.metadata as { name?: string } | undefined)?.name;
  if (evictionName && evictionName !== name) throw errors.badRequest('name in URL does not match name in Eviction object');
  const deleteOptions = (eviction.deleteOptions ?? {}) as DeleteOptions;
  const remove = async (): Promise<StatusBody> => {
    await registry.delete(pods, namespace, name, deleteOptions, opts);
    return created(name);
  };

  const pod = (await registry.get(pods, namespace, name)) as Pod;
  if (ignoresBudgets(pod)) return remove();
  const { items } = await deps.store.list(PDBS, { namespace });
  const budgets = (items as PodDisruptionBudget[]).filter((b) => podsCoveredBy(b, [pod]).length > 0);
  if (budgets.length === 0) return remove();
  if (budgets.length > 1) throw errors.internal('This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
  let pdb = budgets[0];
  // An unready pod adds nothing to the budget: evicting it spends nothing when the policy or the budget allows.
  if (!isReady(pod)) {
    const s = pdb.status ?? {};
    if (pdb.spec?.unhealthyPodEvictionPolicy === 'AlwaysAllow' || ((s.currentHealthy ?? 0) >= (s.desiredHealthy ?? 0) && (s.desiredHealthy ?? 0) > 0)) return remove();
  }
  const pdbType = findByKind('policy/v1', 'PodDisruptionBudget');
  if (!pdbType) throw errors.internal('no PodDisruptionBudget type');
  const pdbName = pdb.metadata.name ?? '';
  for (let attempt = 1; ; attempt++) {
    const status = spendDisruption(pdb, name, deps.now());
    if (opts.dryRun) break;
    try {
      await registry.update(pdbType, namespace, pdbName, { ...pdb, status } as KubeObject, { ...opts, warnings: [] }, 'status');
      break;
    } catch (err) {
      if (!isStatusError(err) || err.reason !== 'Conflict' || attempt >= EVICTION_ATTEMPTS) throw err;
      const fresh = await deps.store.get({ resource: PDBS, namespace, name: pdbName });
      if (!fresh) return remove();
      pdb = fresh as PodDisruptionBudget;
    }
  }
  return remove();
}
