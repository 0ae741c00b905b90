/**
 * The objects every cluster starts with: namespaces default, kube-system, kube-public, kube-node-lease, and the
 * `kubernetes` Service in default holding the first address of the service CIDR (as apiserver's bootstrap
 * controller does), and the built-in RBAC policy (authz/bootstrap-policy.ts). Idempotent: existing objects are left
 * alone, so every API instance may run it at start.
 */
import { pino } from 'pino';
import type { ObjectStore } from '../store/object-store.ts';
import { resourceTypes } from '../../shared/api/registry.ts';
import { isStatusError } from '../../shared/api/status.ts';
import { Allocators, kubernetesServiceIp, parseCidr } from './allocators.ts';
import { DEFAULT_SERVICE_CIDR } from './core.ts';
import { indexResourceTypes } from './resource-types.ts';
import { Registry, type WriteOptions } from './registry-store.ts';
import { ensureBootstrapPolicy } from './authz/bootstrap-policy.ts';

export const BOOTSTRAP_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export interface BootstrapOptions {
  serviceCidr?: string;
  now?: () => Date;
}

export async function ensureBootstrapObjects(store: ObjectStore, options: BootstrapOptions = {}): Promise<void> {
  const types = indexResourceTypes(resourceTypes);
  const cidr = parseCidr(options.serviceCidr ?? DEFAULT_SERVICE_CIDR);
  const registry = new Registry({ store, types, allocators: new Allocators(store, cidr), now: options.now ?? (() => new Date()) });
  const opts = (): WriteOptions => ({ dryRun: false, fieldManager: 'zeroplane-bootstrap', fieldValidation: 'Ignore', warnings: [] });
  const createIfMissing = async (run: () => Promise<unknown>) => {
    try {
      await run();
    } catch (err) {
      if (!(isStatusError(err) && err.reason === 'AlreadyExists')) throw err;
    }
  };

  const namespaces = types.find('', 'v1', 'namespaces');
  if (!namespaces) throw new Error('the registry has no core/v1 namespaces');
  for (const name of BOOTSTRAP_NAMESPACES) {
    if (await store.get({ resource: 'core/namespaces', namespace: '', name })) continue;
    await createIfMissing(() => registry.create(namespaces, undefined, registry.decode(namespaces, { metadata: { name } }, opts()), opts()));
  }

  const services = types.find('', 'v1', 'services');
  if (services && !(await store.get({ resource: 'core/services', namespace: 'default', name: 'kubernetes' }))) {
    const svc = {
      metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
      spec: { type: 'ClusterIP', clusterIP: kubernetesServiceIp(cidr), ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }] },
    };
    await createIfMissing(() => registry.create(services, 'default', registry.decode(services, svc, opts()), opts()));
  }

  // The built-in RBAC roles and bindings (cluster-admin, admin/edit/view, discovery for every user).
  await ensureBootstrapPolicy(store, registry, types);
}

/** Logs instead of throwing: a failed bootstrap must not keep the API from answering. */
export async function bootstrapQuietly(store: ObjectStore, logger = pino({ level: 'info' })): Promise<void> {
  try {
    await ensureBootstrapObjects(store);
  } catch (err) {
    logger.error({ err }, 'bootstrap failed');
  }
}
