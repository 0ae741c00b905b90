import { describe, expect, it } from 'vitest';
import type { LogEntry } from '../../../functions/store/item-codec.ts';
import { inRange, snapshotAt, TrimmedPreviousError, type SnapshotItem } from '../../../functions/store/list-snapshot.ts';

const obj = (name: string, rv: number, v = ''): string => JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'ns', resourceVersion: String(rv) }, v });

function entry(rv: number, type: LogEntry['type'], name: string, prevRv?: number): LogEntry {
  return {
    rv,
    type,
    resource: 'core/pods',
    namespace: 'ns',
    name,
    objectJson: type === 'DELETED' ? undefined : obj(name, rv),
    previousJson: prevRv === undefined ? undefined : obj(name, prevRv),
    at: 0,
  };
}

const item = (name: string, rv: number): [string, SnapshotItem] => [`ns/${name}`, { rv, json: obj(name, rv) }];
const names = (state: [string, SnapshotItem][]) => state.map(([sk, s]) => `${sk}@${s.rv}`);

describe('snapshotAt', () => {
  it.each<{ case: string; read: [string, SnapshotItem][]; entries: LogEntry[]; at: number; want: string[] }>([
    { case: 'no changes: the items read', read: [item('a', 3), item('b', 4)], entries: [], at: 5, want: ['ns/a@3', 'ns/b@4'] },
    { case: 'a key created after the read, at or below S, is added', read: [item('a', 3)], entries: [entry(6, 'ADDED', 'b')], at: 6, want: ['ns/a@3', 'ns/b@6'] },
    { case: 'a key deleted at or below S is removed', read: [item('a', 3)], entries: [entry(6, 'DELETED', 'a', 3)], at: 6, want: [] },
    { case: 'a newer log state below S replaces a stale read', read: [item('a', 3)], entries: [entry(6, 'MODIFIED', 'a', 3)], at: 7, want: ['ns/a@6'] },
    { case: 'an older log entry never replaces a newer read', read: [item('a', 7)], entries: [entry(6, 'MODIFIED', 'a', 3), entry(7, 'MODIFIED', 'a', 6)], at: 7, want: ['ns/a@7'] },
    { case: 'a change after S is undone to its previous', read: [item('a', 9)], entries: [entry(9, 'MODIFIED', 'a', 4)], at: 5, want: ['ns/a@4'] },
    { case: 'a key created after S is absent', read: [item('a', 9)], entries: [entry(9, 'ADDED', 'a')], at: 5, want: [] },
    { case: 'a key deleted after S is present as it was', read: [], entries: [entry(9, 'DELETED', 'a', 4)], at: 5, want: ['ns/a@4'] },
    { case: 'the first change after S decides', read: [item('a', 12)], entries: [entry(9, 'MODIFIED', 'a', 4), entry(12, 'MODIFIED', 'a', 9)], at: 5, want: ['ns/a@4'] },
    { case: 'fills are ignored', read: [item('a', 3)], entries: [{ rv: 6, type: 'FILL', at: 0 }], at: 6, want: ['ns/a@3'] },
  ])('$case', ({ read, entries, at, want }) => {
    expect(names(snapshotAt(new Map(read), entries, at, {}))).toEqual(want);
  });

  it('keeps log keys outside the page range out of the page', () => {
    const state = snapshotAt(new Map([item('b', 3)]), [entry(6, 'ADDED', 'a'), entry(7, 'ADDED', 'c'), entry(8, 'ADDED', 'z')], 8, { after: 'ns/a', through: 'ns/c' });
    expect(names(state)).toEqual(['ns/b@3', 'ns/c@7']);
  });

  it('refuses to rebuild a state from a trimmed previous', () => {
    const trimmed = { ...entry(9, 'MODIFIED', 'a', 4), previousTrimmed: true };
    expect(() => snapshotAt(new Map([item('a', 9)]), [trimmed], 5, {})).toThrow(TrimmedPreviousError);
  });
});

describe('inRange', () => {
  it.each([
    ['ns/a', { prefix: 'ns/' }, true],
    ['nsx/a', { prefix: 'ns/' }, false],
    ['ns/a', { after: 'ns/a' }, false],
    ['ns/b', { after: 'ns/a', through: 'ns/b' }, true],
    ['ns/c', { through: 'ns/b' }, false],
  ])('%s in %o is %s', (sk, range, want) => {
    expect(inRange(sk, range)).toBe(want);
  });
});
