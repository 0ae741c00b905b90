import { describe, expect, it } from 'vitest';
import { reconcileServiceAccounts } from '../../../functions/controllers/serviceaccount.ts';
import type { Namespace } from '../../../shared/api/kinds/namespace.ts';
import type { ServiceAccount } from '../../../shared/api/kinds/serviceaccount.ts';

const ns = (extra: { deleting?: boolean; phase?: string } = {}): Namespace => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name: 'team-a', ...(extra.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
  status: { phase: extra.phase ?? 'Active' },
});
const sa: ServiceAccount = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: 'team-a' } };

describe('reconcileServiceAccounts', () => {
  it('creates the default ServiceAccount of an active namespace', () => {
    expect(reconcileServiceAccounts({ namespace: ns(), existing: undefined })).toEqual({
      actions: [{ type: 'create', object: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: 'team-a' } } }],
    });
  });

  it.each<[string, Namespace | undefined, ServiceAccount | undefined]>([
    ['the account exists', ns(), sa],
    ['the namespace is gone', undefined, undefined],
    ['the namespace is being deleted', ns({ deleting: true }), undefined],
    ['the namespace is Terminating', ns({ phase: 'Terminating' }), undefined],
  ])('does nothing when %s', (_name, namespace, existing) => {
    expect(reconcileServiceAccounts({ namespace, existing })).toEqual({ actions: [] });
  });
});
