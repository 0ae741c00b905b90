/**
 * Sets of field paths, as server-side apply tracks ownership: one path per owned field, in the element syntax of
 * Kubernetes' `fieldsV1` (`f:spec`, `k:{"name":"c"}` for a keyed list item, `v:"x"` for a set member), and the
 * conversions to and from the nested `fieldsV1` JSON stored in `metadata.managedFields`.
 */
import { isJsonObject } from './merge-patch.ts';
import { rulesOf, type FieldRule, type TypeRules } from './patch-schema.ts';
import { deepEqual } from './strategic-merge.ts';

type JsonObject = Record<string, unknown>;

/** A path is its elements joined by this separator (which JSON-encoded keys never contain). */
const SEP = '\u0001';

export type FieldPath = string[];
export const pathKey = (p: FieldPath): string => p.join(SEP);
export const pathOf = (key: string): FieldPath => (key === '' ? [] : key.split(SEP));

/** Metadata fields that belong to the system, never to a manager. */
const SYSTEM_METADATA = new Set([
  'name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp',
  'deletionGracePeriodSeconds', 'managedFields', 'selfLink',
]);

export interface FieldSets {
  /** Every owned path: leaves, keyed items, set members and maps. */
  members: Set<string>;
  /** The subset whose values can conflict: scalars and atomic values. */
  leaves: Set<string>;
}

/** The fields an object sets, under the rules of its kind. `scope` limits it to (`status`) or away from
 *  (`main`) the status, as the subresources split ownership. */
export function fieldSetOf(obj: JsonObject, root: TypeRules, scope: 'main' | 'status' = 'main'): FieldSets {
  const sets: FieldSets = { members: new Set(), leaves: new Set() };
  for (const [key, value] of Object.entries(obj)) {
    if (key === 'apiVersion' || key === 'kind') continue;
    if ((key === 'status') !== (scope === 'status')) continue;
    if (key === 'metadata' && isJsonObject(value)) {
      const meta = Object.fromEntries(Object.entries(value).filter(([k]) => !SYSTEM_METADATA.has(k)));
      walkObject(meta, rulesOf(root.metadata?.type), ['f:metadata'], sets);
      continue;
    }
    walkField(value, root[key] ?? {}, ['f:' + key], sets);
  }
  return sets;
}

function walkObject(obj: JsonObject, rules: TypeRules, prefix: FieldPath, sets: FieldSets): void {
  for (const [key, value] of Object.entries(obj)) walkField(value, rules[key] ?? {}, [...prefix, 'f:' + key], sets);
}

function walkField(value: unknown, rule: FieldRule, path: FieldPath, sets: FieldSets): void {
  const add = (p: FieldPath, leaf: boolean): void => {
    sets.members.add(pathKey(p));
    if (leaf) sets.leaves.add(pathKey(p));
  };
  if (isJsonObject(value) && !rule.atomic && Object.keys(value).length > 0) {
    if (rule.map) add(path, false);
    walkObject(value, rulesOf(rule.type), path, sets);
    return;
  }
  if (Array.isArray(value) && rule.list === 'merge') {
    const keys = listKeys(rule);
    for (const item of value) {
      if (keys && isJsonObject(item)) {
        const itemPath = [...path, itemElement(item, rule)];
        add(itemPath, false);
        walkObject(item, rulesOf(rule.type), itemPath, sets);
      } else {
        add([...path, 'v:' + JSON.stringify(item)], false);
      }
    }
    return;
  }
  add(path, true);
}

export function listKeys(rule: FieldRule): string[] | undefined {
  return rule.applyKeys ?? (rule.mergeKey ? [rule.mergeKey] : undefined);
}

/** `k:{"containerPort":80,"protocol":"TCP"}`: the item's key fields, defaults filled, sorted by name. */
export function itemElement(item: JsonObject, rule: FieldRule): string {
  const key: JsonObject = {};
  for (const k of [...(listKeys(rule) ?? [])].sort()) {
    const v = item[k] ?? rule.keyDefaults?.[k];
    if (v !== undefined) key[k] = v;
  }
  return 'k:' + JSON.stringify(key);
}

/** Whether a list item matches a `k:` element. */
export function itemMatches(item: unknown, element: string, rule: FieldRule): boolean {
  return isJsonObject(item) && itemElement(item, rule) === element;
}

/** Nested `fieldsV1` JSON: `{"f:spec":{"f:replicas":{}}}`; a node that is itself owned and has children carries
 *  a `".": {}` entry. */
export function toFieldsV1(members: Iterable<string>): JsonObject {
  const tree: JsonObject = {};
  const all = [...members];
  const owned = new Set(all);
  for (const key of all) {
    let node = tree;
    for (const element of pathOf(key)) node = (node[element] ??= {}) as JsonObject;
  }
  // Mark owned interior nodes.
  for (const key of owned) {
    let node = tree;
    for (const element of pathOf(key)) node = node[element] as JsonObject;
    if (Object.keys(node).length > 0) node['.'] = {};
  }
  return sortTree(tree);
}

function sortTree(tree: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const k of Object.keys(tree).sort()) out[k] = sortTree(tree[k] as JsonObject);
  return out;
}

export function fromFieldsV1(tree: unknown): Set<string> {
  const out = new Set<string>();
  const walk = (node: unknown, prefix: FieldPath): void => {
    if (!isJsonObject(node)) return;
    const children = Object.keys(node).filter((k) => k !== '.');
    if (prefix.length > 0 && (children.length === 0 || '.' in node)) out.add(pathKey(prefix));
    for (const k of children) walk(node[k], [...prefix, k]);
  };
  walk(tree, []);
  return out;
}

/** Resolves a path in an object, following the list rules for `k:`/`v:` elements. */
export function valueAt(obj: unknown, path: FieldPath, root: TypeRules): { found: boolean; value?: unknown } {
  let node: unknown = obj;
  let rules = root;
  let rule: FieldRule = {};
  for (const element of path) {
    if (element.startsWith('f:')) {
      if (!isJsonObject(node)) return { found: false };
      const name = element.slice(2);
      if (!(name in node)) return { found: false };
      rule = rules[name] ?? {};
      rules = rulesOf(rule.type);
      node = node[name];
    } else if (element.startsWith('k:')) {
      if (!Array.isArray(node)) return { found: false };
      const item = node.find((i) => itemMatches(i, element, rule));
      if (item === undefined) return { found: false };
      node = item;
    } else if (element.startsWith('v:')) {
      if (!Array.isArray(node)) return { found: false };
      const v = JSON.parse(element.slice(2)) as unknown;
      if (!node.some((i) => deepEqual(i, v))) return { found: false };
      node = v;
    } else {
      return { found: false };
    }
  }
  return { found: true, value: node };
}

/** Removes the field, item or set member a path names; a missing path is a no-op. Mutates `obj`. */
export function deleteAt(obj: JsonObject, path: FieldPath, root: TypeRules): void {
  if (path.length === 0) return;
  const parentPath = path.slice(0, -1);
  const last = path[path.length - 1];
  const parent = valueAt(obj, parentPath, root);
  if (!parent.found) return;
  if (last.startsWith('f:') && isJsonObject(parent.value)) {
    delete parent.value[last.slice(2)];
    return;
  }
  if (!Array.isArray(parent.value)) return;
  const rule = ruleAt(parentPath, root);
  const list = parent.value;
  const index = last.startsWith('k:')
    ? list.findIndex((i) => itemMatches(i, last, rule))
    : list.findIndex((i) => deepEqual(i, JSON.parse(last.slice(2))));
  if (index >= 0) list.splice(index, 1);
}

/** The rule of the field a path ends at. */
export function ruleAt(path: FieldPath, root: TypeRules): FieldRule {
  let rules = root;
  let rule: FieldRule = {};
  for (const element of path) {
    if (!element.startsWith('f:')) continue;
    rule = rules[element.slice(2)] ?? {};
    rules = rulesOf(rule.type);
  }
  return rule;
}

/** `.spec.template.spec.containers[name="c"].image`, the form apiserver prints in conflicts. */
export function describePath(path: FieldPath): string {
  return path
    .map((e) => {
      if (e.startsWith('f:')) return '.' + e.slice(2);
      if (e.startsWith('k:')) {
        const key = JSON.parse(e.slice(2)) as JsonObject;
        return '[' + Object.entries(key).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',') + ']';
      }
      return `[=${e.slice(2)}]`;
    })
    .join('');
}
