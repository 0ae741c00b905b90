/**
 * Field selectors (`fieldSelector=spec.nodeName=n1,status.phase!=Failed`), as k8s.io/apimachinery/pkg/fields:
 * terms split on unescaped commas, operators `!=`, `==`, `=`, empty values allowed, `\,` `\=` `\\` escapes.
 * Which fields a kind supports is decided by the caller (the kind's selectableFields plus metadata.name/namespace).
 */
import { errors } from '../api/status.ts';

export interface FieldRequirement {
  field: string;
  operator: '=' | '!=';
  value: string;
}

export interface FieldSelector {
  requirements: FieldRequirement[];
}

function splitTerms(text: string): string[] {
  if (text === '') return [];
  const terms: string[] = [];
  let start = 0;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    if (escaped) escaped = false;
    else if (text[i] === '\\') escaped = true;
    else if (text[i] === ',') {
      terms.push(text.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(text.slice(start));
  return terms;
}

function splitTerm(term: string): [string, string, string] | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of ['!=', '==', '=']) {
      if (term.startsWith(op, i)) return [term.slice(0, i), op, term.slice(i + op.length)];
    }
  }
  return undefined;
}

function unescapeValue(value: string): string {
  if (!/[\\,=]/.test(value)) return value;
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === '\\') {
      const next = value[i + 1];
      if (next === '\\' || next === ',' || next === '=') {
        out += next;
        i++;
        continue;
      }
      throw errors.badRequest(`invalid field selector: invalid escape sequence: ${value.slice(i, i + 2)}`);
    }
    if (ch === ',' || ch === '=') throw errors.badRequest(`invalid field selector: unescaped character: ${JSON.stringify(ch)}`);
    out += ch;
  }
  return out;
}

/** Parses `fieldSelector` query text; throws a 400 BadRequest StatusError for bad syntax. */
export function parseFieldSelector(text: string): FieldSelector {
  const parts = splitTerms(text).sort();
  const requirements: FieldRequirement[] = [];
  for (const part of parts) {
    if (part === '') continue;
    const split = splitTerm(part);
    if (!split) throw errors.badRequest(`invalid selector: '${text}'; can't understand '${part}'`);
    const [field, op, rhs] = split;
    requirements.push({ field, operator: op === '!=' ? '!=' : '=', value: unescapeValue(rhs) });
  }
  return { requirements };
}

/** Throws `field label not supported: <f>` (400) for the first field outside `supported`. */
export function checkFieldsSupported(selector: FieldSelector, supported: Iterable<string>): void {
  const allowed = new Set(supported);
  for (const r of selector.requirements) {
    if (!allowed.has(r.field)) throw errors.badRequest(`field label not supported: ${r.field}`);
  }
}

/** A missing field compares as the empty string, as Kubernetes' field sets do. */
export function matchesFields(selector: FieldSelector, fields: Record<string, string>): boolean {
  return selector.requirements.every((r) => {
    const actual = fields[r.field] ?? '';
    return r.operator === '=' ? actual === r.value : actual !== r.value;
  });
}

/** The fields every object has: metadata.name and, for namespaced kinds, metadata.namespace. */
export function objectMetaFields(meta: { name?: string; namespace?: string }, namespaced: boolean): Record<string, string> {
  const fields: Record<string, string> = { 'metadata.name': meta.name ?? '' };
  if (namespaced) fields['metadata.namespace'] = meta.namespace ?? '';
  return fields;
}
