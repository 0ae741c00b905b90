/**
 * `fieldValidation=Strict|Warn|Ignore`: finds the fields of a request object that the kind's zod schema does not
 * declare, by walking the schema beside the value. Kind schemas are `looseObject`s (unknown fields pass through
 * parsing), so "declared" means "named in a shape". An object schema with an empty shape is opaque (anything
 * goes), as are records and `unknown`.
 *
 * The kind schemas name what the server reads, not the whole API, so a field counts as unknown only when its name is
 * also outside `vocabulary` (every Kubernetes field name we know, known-field-names.ts): a schema gap must never
 * reject or drop a real field.
 *
 * apiserver semantics: Strict → 400 `... strict decoding error: unknown field "spec.foo"`; Warn (the default since
 * 1.27) → a `Warning: 299` header per field and the field dropped; Ignore → dropped silently.
 */
import type { z } from 'zod';
import { errors } from '../../shared/api/status.ts';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export function parseFieldValidation(value: string | undefined): FieldValidation {
  if (value === undefined || value === '' || value === 'Warn') return 'Warn';
  if (value === 'Strict' || value === 'Ignore') return value;
  throw errors.badRequest(`fieldValidation must be one of "Ignore", "Warn", or "Strict", got "${value}"`);
}

/** The parts of a zod v4 schema's internal definition that say which fields it declares (here and in
 *  known-field-names.ts); zod has no public API for walking a schema. */
export interface SchemaDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  left?: z.ZodType;
  right?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  valueType?: z.ZodType;
  getter?: () => z.ZodType;
}

export function defOf(schema: z.ZodType): SchemaDef {
  return (schema as unknown as { _zod: { def: SchemaDef } })._zod.def;
}

/** Strips wrappers that do not change which fields are known. */
function unwrap(schema: z.ZodType): z.ZodType {
  for (let i = 0; i < 32; i++) {
    const def = defOf(schema);
    if (def.innerType && ['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional', 'success'].includes(def.type)) {
      schema = def.innerType;
    } else if (def.type === 'pipe' && def.in) {
      schema = def.in;
    } else if (def.type === 'lazy' && def.getter) {
      schema = def.getter();
    } else {
      return schema;
    }
  }
  return schema;
}

/** The object shapes a schema may stand for (several for a union), or undefined when it accepts any fields. */
function shapesOf(schema: z.ZodType): Record<string, z.ZodType>[] | undefined {
  const def = defOf(unwrap(schema));
  if (def.type === 'object') return def.shape && Object.keys(def.shape).length ? [def.shape] : undefined;
  if (def.type === 'union' && def.options) {
    const all: Record<string, z.ZodType>[] = [];
    for (const option of def.options) {
      const optionDef = defOf(unwrap(option));
      if (optionDef.type !== 'object') continue;
      const shapes = shapesOf(option);
      if (!shapes) return undefined;
      all.push(...shapes);
    }
    return all.length ? all : undefined;
  }
  if (def.type === 'intersection' && def.left && def.right) {
    const l = shapesOf(def.left);
    const r = shapesOf(def.right);
    if (!l || !r) return undefined;
    return [Object.assign({}, ...l, ...r) as Record<string, z.ZodType>];
  }
  return undefined;
}

function elementOf(schema: z.ZodType): z.ZodType | undefined {
  const def = defOf(unwrap(schema));
  if (def.type === 'array') return def.element;
  if (def.type === 'union' && def.options) {
    for (const option of def.options) {
      const el = elementOf(option);
      if (el) return el;
    }
  }
  return undefined;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Fields never checked: server-managed or free-form by design. */
const SKIPPED = new Set(['status', 'metadata.managedFields']);

/**
 * Lists the unknown fields of `value` (paths like `spec.template.spec.containers[0].foo`). With `drop`, removes
 * them from `value` in place.
 */
export function findUnknownFields(schema: z.ZodType, value: unknown, drop = false, vocabulary: ReadonlySet<string> = new Set()): string[] {
  const found: string[] = [];
  const walk = (s: z.ZodType, v: unknown, path: string) => {
    if (SKIPPED.has(path)) return;
    if (Array.isArray(v)) {
      const el = elementOf(s);
      if (el) v.forEach((item, i) => walk(el, item, `${path}[${i}]`));
      return;
    }
    if (!isPlainObject(v)) return;
    const shapes = shapesOf(s);
    if (!shapes) return;
    for (const key of Object.keys(v)) {
      const child = path ? `${path}.${key}` : key;
      const fieldSchema = shapes.find((shape) => key in shape)?.[key];
      if (!fieldSchema) {
        if (path === '' && (key === 'apiVersion' || key === 'kind')) continue;
        if (vocabulary.has(key)) continue;
        found.push(child);
        if (drop) delete v[key];
        continue;
      }
      walk(fieldSchema, v[key], child);
    }
  };
  walk(schema, value, '');
  return found;
}

export interface FieldValidationResult {
  warnings: string[];
}

/**
 * Applies a fieldValidation mode to a decoded request object. Throws the Strict 400; returns the Warn warnings.
 * Unknown fields are removed from `obj` in Warn and Ignore modes, as apiserver's decoder does.
 */
export function enforceFieldValidation(
  mode: FieldValidation,
  schema: z.ZodType,
  obj: unknown,
  kind: string,
  version: string,
  vocabulary?: ReadonlySet<string>,
): FieldValidationResult {
  const unknown = findUnknownFields(schema, obj, mode !== 'Strict', vocabulary);
  if (unknown.length === 0) return { warnings: [] };
  if (mode === 'Strict') {
    throw errors.badRequest(
      `${kind} in version "${version}" cannot be handled as a ${kind}: strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`,
    );
  }
  return { warnings: mode === 'Warn' ? unknown.map((f) => `unknown field "${f}"`) : [] };
}

/** The HTTP `Warning` header value for a list of warnings (RFC 7234 code 299, as apiserver sends). */
export function warningHeader(warnings: string[]): string | undefined {
  if (warnings.length === 0) return undefined;
  return warnings.map((w) => `299 - ${JSON.stringify(w)}`).join(', ');
}
