/**
 * Turning a non-atomic read of the objects table into the exact state at one RV. Pure.
 *
 * The objects Query is not a point-in-time read: items can change while it pages. Each key read reflects some
 * state at or after the counter value C0 taken before the Query. With the change log settled over (min(C0, S), H]
 * (H >= every RV read), the state of a key at the snapshot RV S is:
 * - if the key changed after S: the state just before its first change after S (that entry's `previous`,
 *   or absent if it was an ADDED);
 * - otherwise the newest of the item read and the key's log entries at or below S (absent if that is a delete).
 */
import type { LogEntry } from './item-codec.ts';
import { objectSortKey } from './item-codec.ts';

export interface SnapshotItem {
  rv: number;
  json: string;
}

export class TrimmedPreviousError extends Error {
  constructor(readonly sk: string) {
    super(`the state of ${sk} at the snapshot is only known in part`);
  }
}

/** The key range a page covers: `sk` with `prefix`, strictly after `after`, up to and including `through`. */
export interface KeyRange {
  prefix?: string;
  after?: string;
  through?: string;
}

export function inRange(sk: string, range: KeyRange): boolean {
  if (range.prefix !== undefined && !sk.startsWith(range.prefix)) return false;
  if (range.after !== undefined && sk <= range.after) return false;
  if (range.through !== undefined && sk > range.through) return false;
  return true;
}

function rvOfJson(json: string): number {
  const rv = (JSON.parse(json) as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion;
  return Number(rv ?? 0);
}

/**
 * `read`: items from the objects table (sk → item). `entries`: this resource's log entries over the replay
 * range, ascending. Returns sk → state at `snapshotRv`, for keys inside `range`, sorted by sk.
 */
export function snapshotAt(
  read: Map<string, SnapshotItem>,
  entries: LogEntry[],
  snapshotRv: number,
  range: KeyRange,
): [string, SnapshotItem][] {
  const byKey = new Map<string, LogEntry[]>();
  for (const entry of entries) {
    if (entry.type === 'FILL' || entry.name === undefined) continue;
    const sk = objectSortKey(entry.namespace ?? '', entry.name);
    if (!inRange(sk, range)) continue;
    const list = byKey.get(sk);
    if (list) list.push(entry);
    else byKey.set(sk, [entry]);
  }
  const out: [string, SnapshotItem][] = [];
  for (const sk of new Set([...read.keys(), ...byKey.keys()])) {
    const item = read.get(sk);
    const changes = byKey.get(sk) ?? [];
    const firstAfter = changes.find((e) => e.rv > snapshotRv);
    if (firstAfter) {
      if (firstAfter.type === 'ADDED' || firstAfter.previousJson === undefined) continue;
      if (firstAfter.previousTrimmed) throw new TrimmedPreviousError(sk);
      out.push([sk, { rv: rvOfJson(firstAfter.previousJson), json: firstAfter.previousJson }]);
      continue;
    }
    let best: { rv: number; json?: string } | undefined = item && item.rv <= snapshotRv ? item : undefined;
    for (const e of changes) {
      if (e.rv > snapshotRv || (best && e.rv <= best.rv)) continue;
      best = { rv: e.rv, json: e.type === 'DELETED' ? undefined : e.objectJson };
    }
    if (best?.json !== undefined) out.push([sk, { rv: best.rv, json: best.json }]);
  }
  return out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
