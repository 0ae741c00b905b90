/**
 * Pieces every kind file shares: common sub-schemas (LabelSelector, conditions), ObjectMeta validation, the
 * subresource descriptors and `defineKind`, which fills the boilerplate of a ResourceType and wraps the kind's own
 * validation with the ObjectMeta checks every kind gets.
 */
import { z } from 'zod';
import { ObjectMetaSchema, type KubeObject, type ObjectMeta } from '../object.ts';
import type { FieldError, ResourceType, Strategy, SubresourceSpec, TableSpec, Verb } from '../resource-type.ts';
import {
  canonicalJson,
  fieldErrors,
  isDNS1123Label,
  isQualifiedName,
  validateAnnotations,
  validateLabels,
  type NameValidator,
} from '../validation.ts';

/** Kubernetes objects are plain JSON: strategies read and default them through this loose view. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

export const IntOrStringSchema = z.union([z.number().int(), z.string()]);
export const QuantitySchema = z.union([z.string(), z.number()]);
export const StringMapSchema = z.record(z.string(), z.string());

export const LabelSelectorRequirementSchema = z.looseObject({
  key: z.string(),
  operator: z.string(),
  values: z.array(z.string()).optional(),
});
export const LabelSelectorSchema = z.looseObject({
  matchLabels: StringMapSchema.optional(),
  matchExpressions: z.array(LabelSelectorRequirementSchema).optional(),
});
export type LabelSelector = z.infer<typeof LabelSelectorSchema>;

export const ConditionSchema = z.looseObject({
  type: z.string(),
  status: z.string(),
  reason: z.string().optional(),
  message: z.string().optional(),
  lastTransitionTime: z.string().nullable().optional(),
  lastUpdateTime: z.string().nullable().optional(),
  lastProbeTime: z.string().nullable().optional(),
  lastHeartbeatTime: z.string().nullable().optional(),
  observedGeneration: z.number().int().optional(),
});
export type Condition = z.infer<typeof ConditionSchema>;

/** `apiVersion`/`kind`/`metadata` for a kind; the rest of the object is the kind's own. */
export function objectShape<K extends string>(apiVersion: string, kind: K) {
  return {
    apiVersion: z.literal(apiVersion),
    kind: z.literal(kind),
    metadata: ObjectMetaSchema,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// ObjectMeta validation (apimachinery ValidateObjectMeta)

export interface MetaRules {
  namespaced: boolean;
  name: NameValidator;
}

export function validateObjectMeta(meta: ObjectMeta | undefined, rules: MetaRules, path = 'metadata'): FieldError[] {
  const errs: FieldError[] = [];
  const m = meta ?? {};
  if (m.generateName) {
    for (const msg of rules.name(m.generateName, true)) errs.push(fieldErrors.invalid(`${path}.generateName`, m.generateName, msg));
  }
  if (!m.name) {
    if (!m.generateName) errs.push(fieldErrors.required(`${path}.name`, 'name or generateName is required'));
  } else {
    for (const msg of rules.name(m.name, false)) errs.push(fieldErrors.invalid(`${path}.name`, m.name, msg));
  }
  if (rules.namespaced) {
    if (!m.namespace) errs.push(fieldErrors.required(`${path}.namespace`));
    else for (const msg of isDNS1123Label(m.namespace)) errs.push(fieldErrors.invalid(`${path}.namespace`, m.namespace, msg));
  } else if (m.namespace) {
    errs.push(fieldErrors.forbidden(`${path}.namespace`, 'not allowed on this type'));
  }
  if (m.generation !== undefined && m.generation < 0) {
    errs.push(fieldErrors.invalid(`${path}.generation`, m.generation, 'must be greater than or equal to 0'));
  }
  errs.push(...validateLabels(m.labels, `${path}.labels`));
  errs.push(...validateAnnotations(m.annotations, `${path}.annotations`));
  (m.finalizers ?? []).forEach((f, i) => {
    for (const msg of isQualifiedName(f)) errs.push(fieldErrors.invalid(`${path}.finalizers[${i}]`, f, msg));
  });
  (m.ownerReferences ?? []).forEach((ref, i) => {
    const p = `${path}.ownerReferences[${i}]`;
    if (!ref.apiVersion) errs.push(fieldErrors.invalid(`${p}.apiVersion`, ref.apiVersion, 'version must not be empty'));
    if (!ref.kind) errs.push(fieldErrors.invalid(`${p}.kind`, ref.kind, 'kind must not be empty'));
    if (!ref.name) errs.push(fieldErrors.invalid(`${p}.name`, ref.name, 'name must not be empty'));
    if (!ref.uid) errs.push(fieldErrors.invalid(`${p}.uid`, ref.uid, 'uid must not be empty'));
  });
  if ((m.ownerReferences ?? []).filter((r) => r.controller).length > 1) {
    errs.push(fieldErrors.invalid(`${path}.ownerReferences`, m.ownerReferences!.filter((r) => r.controller).map((r) => r.name), 'Only one reference can have Controller set to true'));
  }
  return errs;
}

/** metav1 LabelSelector validation (ValidateLabelSelector). */
export function validateLabelSelector(sel: LabelSelector | undefined, path: string): FieldError[] {
  if (!sel) return [];
  const errs: FieldError[] = [];
  (sel.matchExpressions ?? []).forEach((e, i) => {
    const p = `${path}.matchExpressions[${i}]`;
    if (e.operator === 'In' || e.operator === 'NotIn') {
      if (!e.values || e.values.length === 0) errs.push(fieldErrors.required(`${p}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
    } else if (e.operator === 'Exists' || e.operator === 'DoesNotExist') {
      if (e.values && e.values.length > 0) errs.push(fieldErrors.forbidden(`${p}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
    } else {
      errs.push(fieldErrors.invalid(`${p}.operator`, e.operator, 'not a valid selector operator'));
    }
    for (const msg of isQualifiedName(e.key)) errs.push(fieldErrors.invalid(`${p}.key`, e.key, msg));
  });
  errs.push(...validateLabels(sel.matchLabels, `${path}.matchLabels`));
  return errs;
}

// ---------------------------------------------------------------------------------------------------------------
// Subresources

const RW: string[] = ['get', 'patch', 'update'];

export function statusSubresource(group: string, version: string, kind: string): SubresourceSpec {
  return { name: 'status', group, version, kind, verbs: RW };
}

export const scaleSubresource: SubresourceSpec = { name: 'scale', group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: RW };

export const ALL_VERBS: Verb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

// ---------------------------------------------------------------------------------------------------------------
// defineKind

export interface KindStrategy {
  hasStatusSubresource: boolean;
  name: NameValidator;
  applyDefaults?(obj: Json): void;
  /** The kind's own checks (ObjectMeta checks are added by defineKind). */
  validate?(obj: Json, old?: Json): FieldError[];
  /** Defaults to "spec changed" when `tracksGeneration`, otherwise never. */
  specChanged?(obj: Json, old: Json): boolean;
  /** Whether Kubernetes bumps metadata.generation for this kind (workloads, pods, HPA, PDB). */
  tracksGeneration: boolean;
}

export interface KindDefinition {
  group: string;
  version: string;
  resource: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs?: Verb[];
  subresources?: SubresourceSpec[];
  schema: z.ZodType;
  strategy: KindStrategy;
  table: TableSpec;
  selectableFields?(obj: Json): Record<string, string>;
}

export function specChangedByDefault(obj: Json, old: Json): boolean {
  return canonicalJson(obj.spec) !== canonicalJson(old.spec);
}

export function defineKind(def: KindDefinition): ResourceType {
  const s = def.strategy;
  const strategy: Strategy = {
    hasStatusSubresource: s.hasStatusSubresource,
    applyDefaults: (obj) => s.applyDefaults?.(obj as Json),
    validate: (obj, old) => [
      ...validateObjectMeta(obj.metadata, { namespaced: def.namespaced, name: s.name }),
      ...(s.validate?.(obj as Json, old as Json | undefined) ?? []),
    ],
    specChanged: (obj, old) => (s.specChanged ? s.specChanged(obj as Json, old as Json) : s.tracksGeneration && specChangedByDefault(obj as Json, old as Json)),
  };
  const selectable = def.selectableFields;
  return {
    group: def.group,
    version: def.version,
    resource: def.resource,
    kind: def.kind,
    listKind: `${def.kind}List`,
    singular: def.kind.toLowerCase(),
    namespaced: def.namespaced,
    shortNames: def.shortNames ?? [],
    categories: def.categories ?? [],
    verbs: def.verbs ?? ALL_VERBS,
    subresources: def.subresources ?? [],
    schema: def.schema,
    strategy,
    table: def.table,
    ...(selectable ? { selectableFields: (obj: KubeObject) => selectable(obj as Json) } : {}),
  };
}

/** Reads `obj.a.b.c` as a string for field selectors; absent → ''. */
export function str(value: unknown): string {
  return value === undefined || value === null ? '' : String(value);
}
