import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../shared/api/object.ts';
import type { ResourceType } from '../../../shared/api/resource-type.ts';
import { namespaces } from '../../../shared/api/kinds/namespace.ts';
import { pods } from '../../../shared/api/kinds/pod.ts';
import { includeObjectPolicy, renderTable, wantsTable } from '../../../functions/apiserver/table.ts';

const now = new Date('2026-11-23T12:00:00Z');

function pod(name: string, namespace: string, labels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels, uid: `uid-${name}`, resourceVersion: '7', creationTimestamp: '2026-11-23T11:55:00Z' },
    spec: { containers: [{ name: 'c', image: 'busybox' }], nodeName: 'node-1' },
    status: { phase: 'Running', podIP: '10.244.0.10', containerStatuses: [{ name: 'c', ready: true, restartCount: 0 }] },
  } as KubeObject;
}

describe('renderTable', () => {
  it('renders a meta.k8s.io/v1 Table with the kind columns and their priorities', () => {
    const table = renderTable(pods, [pod('web-1', 'default')], { now, resourceVersion: '1012' });
    expect(table).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: '1012' } });
    expect(table.columnDefinitions.map((c) => c.name)).toEqual(pods.table.columns.map((c) => c.name));
    expect(table.columnDefinitions[0]).toMatchObject({ name: 'Name', type: 'string', format: 'name', priority: 0 });
    const wide = table.columnDefinitions.filter((c) => c.priority === 1).map((c) => c.name);
    expect(wide).toContain('IP');
    for (const c of table.columnDefinitions) expect(typeof c.format).toBe('string');
  });

  it('puts one cell per column in each row, from the kind cells', () => {
    const table = renderTable(pods, [pod('web-1', 'default'), pod('web-2', 'default')], { now });
    expect(table.rows).toHaveLength(2);
    for (const row of table.rows) expect(row.cells).toHaveLength(table.columnDefinitions.length);
    expect(table.rows[0].cells[0]).toBe('web-1');
    expect(table.rows[0].cells).toContain('5m');
  });

  it('carries PartialObjectMetadata with namespace and labels on every row by default', () => {
    const table = renderTable(pods, [pod('web-1', 'team-a', { app: 'web' })], { now });
    expect(table.rows[0].object).toEqual({
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: expect.objectContaining({ name: 'web-1', namespace: 'team-a', labels: { app: 'web' }, uid: 'uid-web-1' }),
    });
  });

  it.each([
    ['Object', (o: KubeObject) => o],
    ['Metadata', (o: KubeObject) => ({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata })],
    ['None', () => undefined],
  ] as const)('honours includeObject=%s', (includeObject, expected) => {
    const p = pod('web-1', 'default');
    const table = renderTable(pods, [p], { now, includeObject });
    expect(table.rows[0].object).toEqual(expected(p));
  });

  it('omits column definitions when asked for no headers (watch events after the first)', () => {
    const table = renderTable(pods, [pod('web-1', 'default')], { now, noHeaders: true });
    expect(table.columnDefinitions).toEqual([]);
    expect(table.rows[0].cells[0]).toBe('web-1');
  });

  it('passes continue and remainingItemCount through to the list metadata', () => {
    const table = renderTable(namespaces, [], { now, resourceVersion: '5', continue: 'abc', remainingItemCount: 3 });
    expect(table.metadata).toEqual({ resourceVersion: '5', continue: 'abc', remainingItemCount: 3 });
    expect(table.rows).toEqual([]);
  });

  it('falls back to Name and Created At for a kind without columns', () => {
    const bare: ResourceType = { ...namespaces, table: { columns: [], cells: () => [] } };
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x', creationTimestamp: '2026-11-23T11:00:00Z' } };
    const table = renderTable(bare, [ns], { now });
    expect(table.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Created At']);
    expect(table.rows[0].cells).toEqual(['x', '2026-11-23T11:00:00Z']);
  });
});

describe('wantsTable', () => {
  it.each([
    ['application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json', true],
    ['application/json;as=Table;v=v1beta1;g=meta.k8s.io', true],
    ['application/json; as=Table; g=meta.k8s.io; v=v1', true],
    ['application/json', false],
    ['application/vnd.kubernetes.protobuf,application/json', false],
    ['application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io', false],
    ['*/*', false],
    ['', false],
  ])('%s → %s', (accept, expected) => {
    expect(wantsTable(accept)).toBe(expected);
  });
});

describe('includeObjectPolicy', () => {
  it.each([
    [{}, 'Metadata'],
    [{ includeObject: 'Object' }, 'Object'],
    [{ includeObject: 'None' }, 'None'],
    [{ includeObject: 'bogus' }, 'Metadata'],
  ] as const)('%j → %s', (query, expected) => {
    expect(includeObjectPolicy(query)).toBe(expected);
  });
});
