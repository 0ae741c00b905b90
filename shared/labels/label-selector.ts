/**
 * Label selectors: the `labelSelector` query text (`app=web,env in (a,b),!canary`) and metav1.LabelSelector
 * objects, parsed into one requirement list and matched against an object's labels.
 * The lexer/parser mirror k8s.io/apimachinery/pkg/labels/selector.go so that errors read the same.
 */
import { errors } from '../api/status.ts';
import { fieldErrors, formatValue, isQualifiedName, isValidLabelValue } from '../api/validation.ts';

export type Operator = '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

export interface Requirement {
  key: string;
  operator: Operator;
  /** Sorted, deduplicated. */
  values: string[];
}

export interface Selector {
  requirements: Requirement[];
  /** metav1.LabelSelectorAsSelector(nil): a selector that matches nothing. */
  matchesNothing?: boolean;
}

export const everything: Selector = { requirements: [] };
export const nothing: Selector = { requirements: [], matchesNothing: true };

// ---------------------------------------------------------------------------------------------------------------
// Lexer

type Token =
  | 'error'
  | 'eos'
  | 'closedPar'
  | 'comma'
  | 'doesNotExist'
  | 'doubleEquals'
  | 'equals'
  | 'greaterThan'
  | 'identifier'
  | 'in'
  | 'lessThan'
  | 'notEquals'
  | 'notIn'
  | 'openPar';

const SYMBOLS: [string, Token][] = [
  ['!=', 'notEquals'],
  ['==', 'doubleEquals'],
  ['!', 'doesNotExist'],
  ['(', 'openPar'],
  [')', 'closedPar'],
  [',', 'comma'],
  ['=', 'equals'],
  ['>', 'greaterThan'],
  ['<', 'lessThan'],
];
const isSpecial = (ch: string) => '=!(),><'.includes(ch);
const isSpace = (ch: string) => ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';

interface Scanned {
  tok: Token;
  lit: string;
}

function lex(input: string): Scanned[] {
  const out: Scanned[] = [];
  let i = 0;
  for (;;) {
    while (i < input.length && isSpace(input[i])) i++;
    if (i >= input.length) {
      out.push({ tok: 'eos', lit: '' });
      return out;
    }
    if (isSpecial(input[i])) {
      const hit = SYMBOLS.find(([s]) => input.startsWith(s, i));
      if (!hit) {
        out.push({ tok: 'error', lit: `error expected: keyword found '${input[i]}'` });
        i++;
        continue;
      }
      out.push({ tok: hit[1], lit: hit[0] });
      i += hit[0].length;
      continue;
    }
    let j = i;
    while (j < input.length && !isSpace(input[j]) && !isSpecial(input[j])) j++;
    const word = input.slice(i, j);
    out.push({ tok: word === 'in' ? 'in' : word === 'notin' ? 'notIn' : 'identifier', lit: word });
    i = j;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Parser

type Context = 'keyAndOperator' | 'values';

class Parser {
  private pos = 0;
  constructor(private readonly items: Scanned[]) {}

  private lookahead(ctx: Context): Scanned {
    const s = this.items[this.pos];
    // In a values context the keywords are ordinary identifiers (a label may be called "in").
    if (ctx === 'values' && (s.tok === 'in' || s.tok === 'notIn')) return { tok: 'identifier', lit: s.lit };
    return s;
  }

  private consume(ctx: Context): Scanned {
    const s = this.lookahead(ctx);
    if (this.pos < this.items.length - 1) this.pos++;
    return s;
  }

  parse(): Requirement[] {
    const reqs: Requirement[] = [];
    for (;;) {
      const { tok, lit } = this.lookahead('values');
      if (tok === 'identifier' || tok === 'doesNotExist') {
        let r: Requirement;
        try {
          r = this.parseRequirement();
        } catch (e) {
          throw new Error(`unable to parse requirement: ${(e as Error).message}`);
        }
        reqs.push(r);
        const next = this.consume('values');
        if (next.tok === 'eos') return reqs;
        if (next.tok === 'comma') {
          const after = this.lookahead('values');
          if (after.tok !== 'identifier' && after.tok !== 'doesNotExist') throw new Error(`found '${after.lit}', expected: identifier after ','`);
          continue;
        }
        throw new Error(`found '${next.lit}', expected: ',' or 'end of string'`);
      }
      if (tok === 'eos') return reqs;
      throw new Error(`found '${lit}', expected: !, identifier, or 'end of string'`);
    }
  }

  private parseRequirement(): Requirement {
    let operator: Operator | undefined;
    let s = this.consume('values');
    if (s.tok === 'doesNotExist') {
      operator = '!';
      s = this.consume('values');
    }
    if (s.tok !== 'identifier') throw new Error(`found '${s.lit}', expected: identifier`);
    const key = s.lit;
    const keyErrs = isQualifiedName(key);
    if (keyErrs.length) throw new Error(`<nil>: ${fieldErrors.invalid('', key, keyErrs.join('; ')).message}`);
    const next = this.lookahead('values').tok;
    if (next === 'eos' || next === 'comma') operator ??= 'exists';
    if (operator === 'exists' || operator === '!') return newRequirement(key, operator, []);

    const op = this.consume('keyAndOperator');
    const opMap: Partial<Record<Token, Operator>> = {
      in: 'in',
      equals: '=',
      doubleEquals: '==',
      greaterThan: 'gt',
      lessThan: 'lt',
      notIn: 'notin',
      notEquals: '!=',
    };
    const parsed = opMap[op.tok];
    if (!parsed) throw new Error(`found '${op.lit}', expected: in, notin, =, ==, !=, gt, lt`);
    const values = parsed === 'in' || parsed === 'notin' ? this.parseValues() : this.parseExactValue();
    return newRequirement(key, parsed, [...values]);
  }

  private parseValues(): Set<string> {
    const open = this.consume('values');
    if (open.tok !== 'openPar') throw new Error(`found '${open.lit}' expected: '('`);
    const { tok, lit } = this.lookahead('values');
    if (tok === 'identifier' || tok === 'comma') {
      const s = this.parseIdentifiersList();
      if (this.consume('values').tok !== 'closedPar') throw new Error(`found '${lit}', expected: ')'`);
      return s;
    }
    if (tok === 'closedPar') {
      this.consume('values');
      return new Set(['']);
    }
    throw new Error(`found '${lit}', expected: ',', ')' or identifier`);
  }

  private parseIdentifiersList(): Set<string> {
    const s = new Set<string>();
    for (;;) {
      const { tok, lit } = this.consume('values');
      if (tok === 'identifier') {
        s.add(lit);
        const next = this.lookahead('values');
        if (next.tok === 'comma') continue;
        if (next.tok === 'closedPar') return s;
        throw new Error(`found '${next.lit}', expected: ',' or ')'`);
      }
      if (tok === 'comma') {
        if (s.size === 0) s.add('');
        const next = this.lookahead('values');
        if (next.tok === 'closedPar') {
          s.add('');
          return s;
        }
        if (next.tok === 'comma') {
          this.consume('values');
          s.add('');
        }
        continue;
      }
      throw new Error(`found '${lit}', expected: ',', or identifier`);
    }
  }

  private parseExactValue(): Set<string> {
    const next = this.lookahead('values');
    if (next.tok === 'eos' || next.tok === 'comma') return new Set(['']);
    const { tok, lit } = this.consume('values');
    if (tok === 'identifier') return new Set([lit]);
    throw new Error(`found '${lit}', expected: identifier`);
  }
}

/** Validates one requirement the way labels.NewRequirement does; throws with the apimachinery message. */
function newRequirement(key: string, operator: Operator, values: string[]): Requirement {
  const errs: string[] = [];
  const keyErrs = isQualifiedName(key);
  if (keyErrs.length) errs.push(`key: ${fieldErrors.invalid('key', key, keyErrs.join('; ')).message}`);
  const sorted = [...new Set(values)].sort();
  switch (operator) {
    case 'in':
    case 'notin':
      if (sorted.length === 0) errs.push(`values: Invalid value: ${formatValue(sorted)}: for 'in', 'notin' operators, values set can't be empty`);
      break;
    case '=':
    case '==':
    case '!=':
      if (sorted.length !== 1) errs.push(`values: Invalid value: ${formatValue(sorted)}: exact-match compatibility requires one single value`);
      break;
    case 'exists':
    case '!':
      if (sorted.length !== 0) errs.push(`values: Invalid value: ${formatValue(sorted)}: values set must be empty for exists and does not exist`);
      break;
    case 'gt':
    case 'lt':
      if (sorted.length !== 1) errs.push(`values: Invalid value: ${formatValue(sorted)}: for 'Gt', 'Lt' operators, exactly one value is required`);
      sorted.forEach((v, i) => {
        if (!/^[+-]?\d+$/.test(v)) errs.push(`values[${i}]: Invalid value: ${formatValue(v)}: for 'Gt', 'Lt' operators, the value must be an integer`);
      });
      break;
  }
  sorted.forEach((v, i) => {
    const vErrs = isValidLabelValue(v);
    if (vErrs.length) errs.push(`values[${i}][${key}]: Invalid value: ${formatValue(v)}: ${vErrs.join('; ')}`);
  });
  if (errs.length === 1) throw new Error(errs[0]);
  if (errs.length > 1) throw new Error(`[${errs.join(', ')}]`);
  return { key, operator, values: sorted };
}

/** Parses `labelSelector` query text. Throws a 400 BadRequest StatusError with Kubernetes' parser message. */
export function parseLabelSelector(text: string): Selector {
  try {
    const reqs = new Parser(lex(text)).parse();
    reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { requirements: reqs };
  } catch (e) {
    throw errors.badRequest((e as Error).message);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Matching

function matchesRequirement(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const value = labels[r.key];
  switch (r.operator) {
    case '=':
    case '==':
    case 'in':
      return has && r.values.includes(value);
    case '!=':
    case 'notin':
      return !has || !r.values.includes(value);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      if (!has || !/^[+-]?\d+$/.test(value)) return false;
      const n = Number(value);
      const bound = Number(r.values[0]);
      return r.operator === 'gt' ? n > bound : n < bound;
    }
  }
}

export function matchesLabels(selector: Selector, labels: Record<string, string> | undefined): boolean {
  if (selector.matchesNothing) return false;
  const l = labels ?? {};
  return selector.requirements.every((r) => matchesRequirement(r, l));
}

export function isEverything(selector: Selector): boolean {
  return !selector.matchesNothing && selector.requirements.length === 0;
}

// ---------------------------------------------------------------------------------------------------------------
// metav1.LabelSelector

export interface LabelSelectorObject {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/**
 * metav1.LabelSelectorAsSelector: undefined/null matches nothing, `{}` matches everything.
 * Throws a plain Error for an unknown operator (callers validate selectors before storing them).
 */
export function labelSelectorFromObject(sel: LabelSelectorObject | null | undefined): Selector {
  if (!sel) return nothing;
  const reqs: Requirement[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) reqs.push(newRequirement(k, '=', [v]));
  for (const e of sel.matchExpressions ?? []) {
    const op = ({ In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' } as Record<string, Operator>)[e.operator];
    if (!op) throw new Error(`${JSON.stringify(e.operator)} is not a valid label selector operator`);
    reqs.push(newRequirement(e.key, op, e.values ?? []));
  }
  reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { requirements: reqs };
}

/** The selector's canonical text (labels.Selector.String()): `app=web,env in (a,b),!canary`. */
export function selectorToString(selector: Selector): string {
  return selector.requirements
    .map((r) => {
      switch (r.operator) {
        case 'exists':
          return r.key;
        case '!':
          return `!${r.key}`;
        case 'in':
        case 'notin':
          return `${r.key} ${r.operator} (${r.values.join(',')})`;
        case 'gt':
          return `${r.key}>${r.values[0]}`;
        case 'lt':
          return `${r.key}<${r.values[0]}`;
        default:
          return `${r.key}${r.operator}${r.values[0]}`;
      }
    })
    .join(',');
}

/** labels.FormatLabels / selector for a plain map: sorted `k=v,k2=v2`, `<none>` when empty. */
export function formatLabels(labels: Record<string, string> | undefined): string {
  const keys = Object.keys(labels ?? {}).sort();
  if (keys.length === 0) return '<none>';
  return keys.map((k) => `${k}=${labels![k]}`).join(',');
}
