/**
 * Field-error constructors and the name/label/quantity/port checks of Kubernetes' apimachinery validation,
 * worded exactly as the apiserver words them (users grep kubectl output for these strings).
 * Every `is*` check returns the list of problems (empty = valid), like `k8s.io/apimachinery/pkg/util/validation`.
 */
import type { FieldError } from './resource-type.ts';

// ---------------------------------------------------------------------------------------------------------------
// Field errors (k8s.io/apimachinery/pkg/util/validation/field): `message` is ErrorBody(), the part after "field: ".

/** Renders a bad value like Go's ErrorBody: strings quoted, numbers/bools plain, string maps as `map[string]string{…}`. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
    return `[]string{${value.map((v) => JSON.stringify(v)).join(', ')}}`;
  }
  if (typeof value === 'object' && Object.values(value).every((v) => typeof v === 'string')) {
    const entries = Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${JSON.stringify((value as Record<string, string>)[k])}`);
    return `map[string]string{${entries.join(', ')}}`;
  }
  return JSON.stringify(value);
}

function withDetail(body: string, detail?: string): string {
  return detail ? `${body}: ${detail}` : body;
}

export const fieldErrors = {
  required(field: string, detail?: string): FieldError {
    return { field, reason: 'FieldValueRequired', message: withDetail('Required value', detail) };
  },
  invalid(field: string, value: unknown, detail?: string): FieldError {
    return { field, reason: 'FieldValueInvalid', message: withDetail(`Invalid value: ${formatValue(value)}`, detail) };
  },
  notSupported(field: string, value: unknown, supported: readonly string[]): FieldError {
    const detail = supported.length ? `supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}` : undefined;
    return { field, reason: 'FieldValueNotSupported', message: withDetail(`Unsupported value: ${formatValue(value)}`, detail) };
  },
  duplicate(field: string, value: unknown): FieldError {
    return { field, reason: 'FieldValueDuplicate', message: `Duplicate value: ${formatValue(value)}` };
  },
  notFound(field: string, value: unknown): FieldError {
    return { field, reason: 'FieldValueNotFound', message: `Not found: ${formatValue(value)}` };
  },
  forbidden(field: string, detail?: string): FieldError {
    return { field, reason: 'FieldValueForbidden', message: withDetail('Forbidden', detail) };
  },
  tooLong(field: string, maxLength: number): FieldError {
    return { field, reason: 'FieldValueTooLong', message: `Too long: may not be more than ${maxLength} bytes` };
  },
  tooMany(field: string, actual: number, max: number): FieldError {
    return { field, reason: 'FieldValueTooMany', message: `Too many: ${actual}: must have at most ${max} items` };
  },
};

export const FIELD_IMMUTABLE = 'field is immutable';

/** `spec.selector` immutability and friends: one Invalid error when the JSON forms differ. */
export function validateImmutable(field: string, value: unknown, old: unknown): FieldError[] {
  return canonicalJson(value) === canonicalJson(old) ? [] : [fieldErrors.invalid(field, value, FIELD_IMMUTABLE)];
}

/** JSON with sorted keys, so that two semantically equal objects compare equal. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]));
    }
    return v;
  }) ?? 'null';
}

// ---------------------------------------------------------------------------------------------------------------
// Names

export function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  // The doubled space ("'a',  or 'b'") is Kubernetes' own wording.
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${fmt}')`;
}

export function maxLenError(length: number): string {
  return `must be no more than ${length} characters`;
}
export const EMPTY_ERROR = 'must be non-empty';

/** The two checks of most `is*` formats, in apimachinery's order: at most `maxLength` characters, then the regex. */
function lengthAndFormatErrors(value: string, maxLength: number, re: RegExp, msg: string, fmt: string, ...examples: string[]): string[] {
  const errs: string[] = [];
  if (value.length > maxLength) errs.push(maxLenError(maxLength));
  if (!re.test(value)) errs.push(regexError(msg, fmt, ...examples));
  return errs;
}

const dns1123LabelFmt = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const dns1123SubdomainFmt = `${dns1123LabelFmt}(\\.${dns1123LabelFmt})*`;
const dns1035LabelFmt = '[a-z]([-a-z0-9]*[a-z0-9])?';
const dns1123LabelRe = new RegExp(`^${dns1123LabelFmt}$`);
const dns1123SubdomainRe = new RegExp(`^${dns1123SubdomainFmt}$`);
const dns1035LabelRe = new RegExp(`^${dns1035LabelFmt}$`);

export function isDNS1123Label(value: string): string[] {
  return lengthAndFormatErrors(
    value,
    63,
    dns1123LabelRe,
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
    dns1123LabelFmt,
    'my-name',
    '123-abc',
  );
}

export function isDNS1123Subdomain(value: string): string[] {
  return lengthAndFormatErrors(
    value,
    253,
    dns1123SubdomainRe,
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
    dns1123SubdomainFmt,
    'example.com',
  );
}

export function isDNS1035Label(value: string): string[] {
  return lengthAndFormatErrors(
    value,
    63,
    dns1035LabelRe,
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
    dns1035LabelFmt,
    'my-name',
    'abc-123',
  );
}

/** RBAC and a few other kinds only require the name to be usable as one URL path segment. */
export function isValidPathSegmentName(value: string): string[] {
  if (value === '.' || value === '..') return [`may not be '${value}'`];
  const errs: string[] = [];
  for (const illegal of ['/', '%']) if (value.includes(illegal)) errs.push(`may not contain '${illegal}'`);
  return errs;
}

export type NameValidator = (name: string, prefix: boolean) => string[];

/** Name validators as the apiserver uses them; `prefix` is true for generateName (a trailing '-' is allowed). */
export const nameValidators = {
  dnsSubdomain: ((name, prefix) => isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name)) as NameValidator,
  dnsLabel: ((name, prefix) => isDNS1123Label(prefix ? maskTrailingDash(name) : name)) as NameValidator,
  dns1035Label: ((name, prefix) => isDNS1035Label(prefix ? maskTrailingDash(name) : name)) as NameValidator,
  pathSegment: ((name) => isValidPathSegmentName(name)) as NameValidator,
};

function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith('-') ? `${name.slice(0, -2)}a` : name;
}

// ---------------------------------------------------------------------------------------------------------------
// Qualified names and labels

const qualifiedNameFmt = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const qualifiedNameRe = new RegExp(`^${qualifiedNameFmt}$`);
const qualifiedNameErrMsg = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

export function isQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0];
  } else if (parts.length === 2) {
    const prefix = parts[0];
    name = parts[1];
    if (prefix.length === 0) errs.push(`prefix part ${EMPTY_ERROR}`);
    else errs.push(...isDNS1123Subdomain(prefix).map((m) => `prefix part ${m}`));
  } else {
    return [
      `a qualified name ${regexError(qualifiedNameErrMsg, qualifiedNameFmt, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name.length === 0) errs.push(`name part ${EMPTY_ERROR}`);
  else if (name.length > 63) errs.push(`name part ${maxLenError(63)}`);
  if (!qualifiedNameRe.test(name)) errs.push(`name part ${regexError(qualifiedNameErrMsg, qualifiedNameFmt, 'MyName', 'my.name', '123-abc')}`);
  return errs;
}

const labelValueFmt = `(${qualifiedNameFmt})?`;
const labelValueRe = new RegExp(`^${labelValueFmt}$`);

export function isValidLabelValue(value: string): string[] {
  return lengthAndFormatErrors(
    value,
    63,
    labelValueRe,
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
    labelValueFmt,
    'MyValue',
    'my_value',
    '12345',
  );
}

export function validateLabels(labels: Record<string, string> | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    for (const m of isQualifiedName(k)) errs.push(fieldErrors.invalid(field, k, m));
    for (const m of isValidLabelValue(v)) errs.push(fieldErrors.invalid(field, v, m));
  }
  return errs;
}

const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

export function validateAnnotations(annotations: Record<string, string> | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    for (const m of isQualifiedName(k.toLowerCase())) errs.push(fieldErrors.invalid(field, k, m));
    size += k.length + v.length;
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push(fieldErrors.tooLong(field, TOTAL_ANNOTATION_SIZE_LIMIT));
  return errs;
}

// ---------------------------------------------------------------------------------------------------------------
// Ports, IPs, keys

export const PORT_RANGE_ERROR = 'must be between 1 and 65535, inclusive';

export function isValidPortNum(port: number): string[] {
  return Number.isInteger(port) && port >= 1 && port <= 65535 ? [] : [PORT_RANGE_ERROR];
}

/** IANA_SVC_NAME: a port name (container ports, service ports, named targetPorts). */
export function isValidPortName(name: string): string[] {
  const errs: string[] = [];
  if (name.length > 15) errs.push(maxLenError(15));
  if (!/^[-a-z0-9]+$/.test(name)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(name)) errs.push('must contain at least one letter (a-z)');
  if (name.includes('--')) errs.push("must not contain consecutive hyphens ('-')");
  if (name.length > 0 && (name.startsWith('-') || name.endsWith('-'))) errs.push("must not begin or end with a hyphen ('-')");
  return errs;
}

const configKeyFmt = '[-._a-zA-Z0-9]+';
const configKeyRe = new RegExp(`^${configKeyFmt}$`);
export function isConfigMapKey(value: string): string[] {
  const errs = lengthAndFormatErrors(value, 253, configKeyRe, "a valid config key must consist of alphanumeric characters, '-', '_' or '.'", configKeyFmt, 'key.name', 'KEY_NAME', 'key-name');
  if (value === '.') errs.push("must not be '.'");
  else if (value === '..') errs.push("must not be '..'");
  else if (value.startsWith('..')) errs.push("must not start with '..'");
  return errs;
}

export function isValidIPv4(value: string): boolean {
  const parts = value.split('.');
  return parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
}

export function isValidIP(value: string): boolean {
  if (isValidIPv4(value)) return true;
  // IPv6: at most one '::', 1–4 hex digit groups, optional trailing IPv4.
  if (!/^[0-9a-fA-F:.]+$/.test(value) || (value.match(/::/g) ?? []).length > 1) return false;
  const [head, tail] = value.includes('::') ? value.split('::') : [value, undefined];
  const groups = (s: string | undefined) => (s ? s.split(':') : []);
  const all = [...groups(head), ...groups(tail)];
  let count = 0;
  for (const [i, g] of all.entries()) {
    if (i === all.length - 1 && g.includes('.')) {
      if (!isValidIPv4(g)) return false;
      count += 2;
    } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) count += 1;
    else return false;
  }
  return tail === undefined ? count === 8 : count < 8;
}

export function invalidIPDetail(): string {
  return 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';
}

/** Relaxed env var names (Kubernetes ≥ 1.34): any printable ASCII except '='. */
export function isEnvVarName(value: string): string[] {
  return /^[\x20-\x3c\x3e-\x7e]+$/.test(value) ? [] : ["a valid environment variable name must consist only of printable ASCII characters other than '='"];
}

// ---------------------------------------------------------------------------------------------------------------
// Quantities (resource.Quantity): "100m", "1.5Gi", "2e3", "128974848".

const QUANTITY_RE = /^([+-]?(?:\d+\.?\d*|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;
const SUFFIX_FACTOR: Record<string, number> = {
  '': 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

export const QUANTITY_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/** The value of a quantity in base units (cores, bytes), or undefined when it does not parse. */
export function parseQuantity(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  const m = QUANTITY_RE.exec(value.trim());
  if (!m || value.trim() !== value) return undefined;
  const n = Number(m[1]);
  const suffix = m[2] ?? '';
  if (/^[eE]/.test(suffix)) return n * 10 ** Number(suffix.slice(1));
  return n * SUFFIX_FACTOR[suffix];
}

export function validateResourceQuantity(value: unknown, field: string): FieldError[] {
  if (typeof value !== 'string' && typeof value !== 'number') return [fieldErrors.invalid(field, value, QUANTITY_ERROR)];
  const n = parseQuantity(value);
  if (n === undefined) return [fieldErrors.invalid(field, value, QUANTITY_ERROR)];
  if (n < 0) return [fieldErrors.invalid(field, value, 'must be greater than or equal to 0')];
  return [];
}

// ---------------------------------------------------------------------------------------------------------------
// Numbers

export function validateNonnegative(value: unknown, field: string): FieldError[] {
  return typeof value === 'number' && value < 0 ? [fieldErrors.invalid(field, value, 'must be greater than or equal to 0')] : [];
}

export function validatePositive(value: unknown, field: string): FieldError[] {
  return typeof value === 'number' && value <= 0 ? [fieldErrors.invalid(field, value, 'must be greater than zero')] : [];
}

/** IntOrString percentages and counts (maxUnavailable, maxSurge, minAvailable). */
export function validateIntOrPercent(value: unknown, field: string): FieldError[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'number') return validateNonnegative(value, field);
  if (typeof value === 'string') {
    const m = /^(\d+)%$/.exec(value);
    if (!m) return [fieldErrors.invalid(field, value, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")];
    return [];
  }
  return [fieldErrors.invalid(field, value, 'must be an integer or percentage (e.g \'5%\')')];
}

/** Resolves an IntOrString percent against a total, rounding as the caller asks. */
export function intOrPercentValue(value: number | string | undefined, total: number, roundUp: boolean): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  const pct = Number(value.replace(/%$/, ''));
  const raw = (pct * total) / 100;
  return roundUp ? Math.ceil(raw) : Math.floor(raw);
}
