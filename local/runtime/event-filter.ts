/**
 * Lambda event filtering (FilterCriteria) for the local event source mappings: the subset of the pattern syntax
 * Zeroplane's stack uses — exact values, `prefix`, `anything-but` (values or {prefix}), `exists`, and `numeric`
 * comparisons — evaluated the way Lambda does: every key of a pattern must match; a list of matchers matches when
 * any one does; a record passes when any filter matches; no criteria pass everything.
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html
 */
export interface FilterCriteria {
  Filters: { Pattern: string }[];
}

export type RecordFilter = (record: unknown) => boolean;

export function compileFilterCriteria(criteria: FilterCriteria | undefined): RecordFilter {
  if (!criteria || criteria.Filters.length === 0) return () => true;
  const patterns = criteria.Filters.map((f) => {
    const pattern: unknown = JSON.parse(f.Pattern);
    if (!isObject(pattern)) throw new Error(`filter pattern is not an object: ${f.Pattern}`);
    return pattern;
  });
  return (record) => patterns.some((p) => matchesObject(p, record));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function matchesObject(pattern: Record<string, unknown>, value: unknown): boolean {
  return Object.entries(pattern).every(([key, sub]) => {
    const field = isObject(value) ? value[key] : undefined;
    if (Array.isArray(sub)) return matchesField(sub, field);
    if (isObject(sub)) return matchesObject(sub, field);
    throw new Error(`filter pattern value for ${key} must be a list or an object`);
  });
}

function matchesField(matchers: unknown[], field: unknown): boolean {
  // A list-valued field matches when any element does (Lambda flattens arrays).
  const values = Array.isArray(field) ? field : [field];
  return matchers.some((m) => {
    if (isObject(m) && 'exists' in m) return (field !== undefined) === Boolean(m.exists);
    return values.some((v) => v !== undefined && matchesValue(m, v));
  });
}

function matchesValue(matcher: unknown, value: unknown): boolean {
  if (!isObject(matcher)) return matcher === value;
  if ('prefix' in matcher) return typeof value === 'string' && typeof matcher.prefix === 'string' && value.startsWith(matcher.prefix);
  if ('anything-but' in matcher) {
    const but = matcher['anything-but'];
    if (isObject(but)) return !matchesValue(but, value);
    return !(Array.isArray(but) ? but : [but]).includes(value);
  }
  if ('numeric' in matcher) return matchesNumeric(matcher.numeric, value);
  throw new Error(`unsupported filter matcher ${JSON.stringify(matcher)}`);
}

function matchesNumeric(spec: unknown, value: unknown): boolean {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Array.isArray(spec) || Number.isNaN(n)) return false;
  for (let i = 0; i + 1 < spec.length; i += 2) {
    const [op, bound] = [spec[i], Number(spec[i + 1])];
    const ok = op === '=' ? n === bound : op === '<' ? n < bound : op === '<=' ? n <= bound : op === '>' ? n > bound : op === '>=' ? n >= bound : false;
    if (!ok) return false;
  }
  return true;
}
