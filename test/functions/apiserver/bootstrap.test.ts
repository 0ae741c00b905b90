import { describe, expect, it } from 'vitest';
import { BOOTSTRAP_NAMESPACES, ensureBootstrapObjects } from '../../../functions/apiserver/bootstrap.ts';
import { createTestStore } from '../../support/dynamo.ts';

describe('ensureBootstrapObjects', () => {
  it('creates the system namespaces and the kubernetes Service once, idempotently', async () => {
    const store = await createTestStore();
    await Promise.all([ensureBootstrapObjects(store), ensureBootstrapObjects(store)]);
    const rvBefore = await store.currentResourceVersion();
    await ensureBootstrapObjects(store);
    expect(await store.currentResourceVersion()).toBe(rvBefore);
    const namespaces = await store.list('core/namespaces');
    expect(namespaces.items.map((n) => n.metadata.name).sort()).toEqual([...BOOTSTRAP_NAMESPACES].sort());
    for (const n of namespaces.items) expect((n as { status?: { phase?: string } }).status?.phase).toBe('Active');
    const svc = await store.get({ resource: 'core/services', namespace: 'default', name: 'kubernetes' });
    expect((svc as { spec?: { clusterIP?: string } }).spec?.clusterIP).toBe('10.96.0.1');
  });
});
