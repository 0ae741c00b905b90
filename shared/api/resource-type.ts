/**
 * What the API server knows about one resource type: where it lives, how it is named, its zod schema (the only
 * source of its TypeScript type), its strategy (defaulting, validation, status split) and its Table columns.
 * One file per kind under shared/api/kinds/ exports one of these; shared/api/registry.ts lists them.
 */
import type { z } from 'zod';
import type { KubeObject } from './object.ts';
import type { StatusCause } from './status.ts';

export type Verb = 'create' | 'delete' | 'deletecollection' | 'get' | 'list' | 'patch' | 'update' | 'watch';

export interface SubresourceSpec {
  /** `status`, `scale`, `binding`, `eviction`, `log`, `exec`, `attach`, `portforward`, `token`. */
  name: string;
  /** The kind the subresource takes and returns (Scale is autoscaling/v1, Eviction is policy/v1). */
  group: string;
  version: string;
  kind: string;
  verbs: string[];
}

/** One field error: `{ field: 'spec.containers[0].image', reason: 'FieldValueRequired', message: 'Required value' }`. */
export type FieldError = StatusCause & { field: string };

export interface TableColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format?: string;
  description: string;
  /** 0 = always shown, 1 = only with `-o wide`. */
  priority: 0 | 1;
}

export interface TableSpec {
  columns: TableColumn[];
  /** One cell per column, in order. `now` is passed so that ages are computed from one clock. */
  cells(obj: KubeObject, now: Date): unknown[];
}

export interface Strategy {
  /** Whether a `status` subresource exists: main-resource writes then keep the stored status, and status writes
   *  keep the stored spec. */
  hasStatusSubresource: boolean;
  /** Fill Kubernetes defaults in place. Runs on every write path (create, update, every patch type). */
  applyDefaults(obj: KubeObject): void;
  /** Field errors (empty when valid). `old` is set on update. */
  validate(obj: KubeObject, old?: KubeObject): FieldError[];
  /** True when a change from old to obj must bump metadata.generation (spec changes, by default). */
  specChanged?(obj: KubeObject, old: KubeObject): boolean;
}

export interface ResourceType {
  group: string; // '' for core
  version: string;
  resource: string; // plural, lowercase: 'deployments'
  kind: string; // 'Deployment'
  listKind: string; // 'DeploymentList'
  singular: string; // 'deployment'
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: Verb[];
  subresources: SubresourceSpec[];
  /** Parses a whole object of this kind (metadata included); unknown fields pass through (`looseObject`). */
  schema: z.ZodType;
  strategy: Strategy;
  table: TableSpec;
  /** Field-selector values beyond metadata.name/namespace, e.g. `spec.nodeName`, `status.phase`. */
  selectableFields?(obj: KubeObject): Record<string, string>;
}

export function apiVersionOf(t: Pick<ResourceType, 'group' | 'version'>): string {
  return t.group ? `${t.group}/${t.version}` : t.version;
}
