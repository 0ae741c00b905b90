/**
 * ServiceAccount controller (pkg/controller/serviceaccount): every active namespace has a `default`
 * ServiceAccount, recreated when deleted, so pods — which admission gives spec.serviceAccountName `default` —
 * always name an account that exists, as in Kubernetes.
 */
import type { Namespace } from '../../shared/api/kinds/namespace.ts';
import type { ServiceAccount } from '../../shared/api/kinds/serviceaccount.ts';
import type { ReconcileResult } from './types.ts';

export const DEFAULT_SERVICE_ACCOUNT = 'default';

export interface ServiceAccountInput {
  namespace: Namespace | undefined;
  /** The namespace's `default` ServiceAccount, if it exists. */
  existing: ServiceAccount | undefined;
}

export function reconcileServiceAccounts(input: ServiceAccountInput): ReconcileResult {
  const ns = input.namespace;
  if (!ns || ns.metadata.deletionTimestamp || ns.status?.phase === 'Terminating' || input.existing) return { actions: [] };
  const account: ServiceAccount = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: DEFAULT_SERVICE_ACCOUNT, namespace: ns.metadata.name } };
  return { actions: [{ type: 'create', object: account }] };
}
