import { describe, expect, it } from 'vitest';
import { findByKind, findByName, findByResource, resourceTypes, servedGroupVersions, supportedFieldLabels } from '../../../shared/api/registry.ts';

describe('registry', () => {
  it('finds types by resource, kind and typed name', () => {
    expect(findByResource('apps', 'v1', 'deployments')?.kind).toBe('Deployment');
    expect(findByKind('v1', 'Pod')?.resource).toBe('pods');
    expect(findByName('deploy')?.resource).toBe('deployments');
    expect(findByName('deployments.apps')?.group).toBe('apps');
    expect(findByResource('apps', 'v1', 'nope')).toBeUndefined();
  });

  it('puts exactly the kubectl "all" kinds in the all category', () => {
    expect(resourceTypes.filter((t) => t.categories.includes('all')).map((t) => t.resource).sort()).toEqual(
      ['cronjobs', 'daemonsets', 'deployments', 'horizontalpodautoscalers', 'jobs', 'pods', 'replicasets', 'services', 'statefulsets'],
    );
  });

  it('has one served group-version for every type and unique resources', () => {
    const served = new Set(servedGroupVersions.map((gv) => `${gv.group}/${gv.version}`));
    for (const t of resourceTypes) expect(served.has(`${t.group}/${t.version}`)).toBe(true);
    expect(new Set(resourceTypes.map((t) => `${t.group}/${t.resource}`)).size).toBe(resourceTypes.length);
    expect(servedGroupVersions[0]).toEqual({ group: '', version: 'v1' });
  });

  it('gives every table as many cells as columns', () => {
    for (const t of resourceTypes) {
      const cells = t.table.cells({ apiVersion: '', kind: t.kind, metadata: { name: 'x' } }, new Date());
      expect([t.resource, cells.length]).toEqual([t.resource, t.table.columns.length]);
    }
  });

  it('lists supported field labels per kind', () => {
    expect(supportedFieldLabels(findByResource('', 'v1', 'pods')!)).toContain('spec.nodeName');
    expect(supportedFieldLabels(findByResource('', 'v1', 'nodes')!)).toEqual(['metadata.name', 'spec.unschedulable']);
  });
});
