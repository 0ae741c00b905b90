import { describe, expect, it } from 'vitest';
import { filterChange, watchTimeoutSeconds } from '../../../functions/apiserver/watch.ts';
import type { ChangeEvent } from '../../../functions/store/object-store.ts';

const obj = (app: string, rv: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', labels: { app }, resourceVersion: rv } });
const web = (o: { metadata: { labels?: Record<string, string> } }) => o.metadata.labels?.app === 'web';

describe('filterChange', () => {
  it.each([
    ['ADDED', 'web', undefined, 'ADDED'],
    ['ADDED', 'db', undefined, undefined],
    ['MODIFIED', 'web', 'web', 'MODIFIED'],
    ['MODIFIED', 'web', 'db', 'ADDED'],
    ['MODIFIED', 'db', 'web', 'DELETED'],
    ['MODIFIED', 'db', 'db', undefined],
    ['DELETED', 'web', 'web', 'DELETED'],
    ['DELETED', 'db', 'db', undefined],
  ] as const)('%s from %s (was %s) becomes %s', (type, now, before, expected) => {
    const change: ChangeEvent = { type, resource: 'core/configmaps', object: obj(now, '7'), previous: before ? obj(before, '6') : undefined, resourceVersion: '7' };
    expect(filterChange(change, web)?.type).toBe(expected);
  });

  it('sends the last matching state at the new resourceVersion when an object leaves the selector', () => {
    const change: ChangeEvent = { type: 'MODIFIED', resource: 'core/configmaps', object: obj('db', '9'), previous: obj('web', '8'), resourceVersion: '9' };
    expect(filterChange(change, web)?.object).toMatchObject({ metadata: { labels: { app: 'web' }, resourceVersion: '9' } });
  });
});

describe('watchTimeoutSeconds', () => {
  it.each([
    ['30', 900, 30],
    ['5000', 900, 900],
    [undefined, 900, 450],
    ['0', 900, 450],
    [undefined, 100, 100],
  ])('timeoutSeconds=%s with cap %d is %d', (requested, cap, expected) => {
    expect(watchTimeoutSeconds(requested, cap, () => 0.5)).toBe(expected);
  });
});
