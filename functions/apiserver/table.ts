/**
 * Server-side printing: `meta.k8s.io/v1` Table responses for `kubectl get` (kubectl-wire.md §1.4). Cells come from
 * each kind's TableSpec; every row carries `object` (PartialObjectMetadata by default, the full object with
 * `includeObject=Object`), because kubectl reads the NAMESPACE column under `-A`, `--show-labels`, `-L` and
 * `--sort-by` from it — without it those print blanks, and `--sort-by` panics.
 */
import type { KubeObject } from '../../shared/api/object.ts';
import type { ResourceType, TableColumn } from '../../shared/api/resource-type.ts';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export interface TableRow {
  cells: unknown[];
  object?: KubeObject | PartialObjectMetadata;
}

export interface PartialObjectMetadata {
  kind: 'PartialObjectMetadata';
  apiVersion: 'meta.k8s.io/v1';
  metadata: KubeObject['metadata'];
}

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  columnDefinitions: TableColumnDefinition[];
  rows: TableRow[];
}

export interface TableOptions {
  includeObject?: IncludeObject;
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
  now: Date;
  /** Omit column definitions: watch events after the first carry rows only, as the apiserver does. */
  noHeaders?: boolean;
}

export const TABLE_CONTENT_TYPE = 'application/json;as=Table;v=v1;g=meta.k8s.io';

/** Used for a kind that declares no columns: the apiserver's default table (Name, Created At). */
const DEFAULT_COLUMNS: TableColumn[] = [
  { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 },
  { name: 'Created At', type: 'date', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.', priority: 0 },
];

function columnsOf(type: ResourceType): { columns: TableColumn[]; cells: (obj: KubeObject, now: Date) => unknown[] } {
  if (type.table.columns.length) return { columns: type.table.columns, cells: (o, now) => type.table.cells(o, now) };
  return { columns: DEFAULT_COLUMNS, cells: (o) => [o.metadata.name ?? '', o.metadata.creationTimestamp ?? null] };
}

export function partialObjectMetadata(obj: KubeObject): PartialObjectMetadata {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}

function rowObject(obj: KubeObject, include: IncludeObject): TableRow['object'] {
  if (include === 'None') return undefined;
  if (include === 'Object') return obj;
  return partialObjectMetadata(obj);
}

export function renderTable(type: ResourceType, objects: readonly KubeObject[], opts: TableOptions): Table {
  const { columns, cells } = columnsOf(type);
  const include = opts.includeObject ?? 'Metadata';
  const metadata: Table['metadata'] = {};
  if (opts.resourceVersion !== undefined) metadata.resourceVersion = opts.resourceVersion;
  if (opts.continue) metadata.continue = opts.continue;
  if (opts.remainingItemCount !== undefined) metadata.remainingItemCount = opts.remainingItemCount;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata,
    columnDefinitions: opts.noHeaders
      ? []
      : columns.map((c) => ({ name: c.name, type: c.type, format: c.format ?? '', description: c.description, priority: c.priority })),
    rows: objects.map((obj) => {
      const row: TableRow = { cells: cells(obj, opts.now).map((c) => (c === undefined ? null : c)) };
      const object = rowObject(obj, include);
      if (object) row.object = object;
      return row;
    }),
  };
}

interface MediaRange {
  type: string;
  params: Map<string, string>;
}

function parseAccept(accept: string): MediaRange[] {
  return accept
    .split(',')
    .map((entry) => {
      const [type, ...params] = entry.split(';').map((s) => s.trim());
      return {
        type: type.toLowerCase(),
        params: new Map(params.filter((p) => p.includes('=')).map((p) => p.split('=').map((s) => s.trim()) as [string, string])),
      };
    })
    .filter((m) => m.type);
}

/** True when the Accept header asks for `as=Table` in meta.k8s.io (v1 or v1beta1; we answer v1 either way). */
export function wantsTable(accept: string | undefined): boolean {
  if (!accept) return false;
  return parseAccept(accept).some(
    (m) =>
      m.type === 'application/json' &&
      m.params.get('as') === 'Table' &&
      m.params.get('g') === 'meta.k8s.io' &&
      (m.params.get('v') === 'v1' || m.params.get('v') === 'v1beta1'),
  );
}

/** `includeObject` from the query string; anything unknown falls back to the default (Metadata). */
export function includeObjectPolicy(query: Record<string, string>): IncludeObject {
  const v = query.includeObject;
  return v === 'None' || v === 'Object' || v === 'Metadata' ? v : 'Metadata';
}
