import { describe, expect, it } from 'vitest';
import { DISPATCH_FILTER_CRITERIA } from '../../../functions/dispatch/filter-criteria.ts';
import { compileFilterCriteria } from '../../../local/runtime/event-filter.ts';

const record = (pk: string, eventName = 'MODIFY', extra: Record<string, unknown> = {}) => ({
  eventName,
  dynamodb: { Keys: { pk: { S: pk }, sk: { S: 'default/x' } }, SizeBytes: 120, ...extra },
});

const one = (pattern: unknown) => compileFilterCriteria({ Filters: [{ Pattern: JSON.stringify(pattern) }] });

describe('compileFilterCriteria', () => {
  it.each<[string, unknown, unknown, boolean]>([
    ['an exact value', { eventName: ['INSERT'] }, record('core/pods', 'INSERT'), true],
    ['an exact value that differs', { eventName: ['INSERT'] }, record('core/pods', 'REMOVE'), false],
    ['one of several values', { eventName: ['INSERT', 'REMOVE'] }, record('core/pods', 'REMOVE'), true],
    ['a nested exact value', { dynamodb: { Keys: { pk: { S: ['core/pods'] } } } }, record('core/pods'), true],
    ['a prefix', { dynamodb: { Keys: { pk: { S: [{ prefix: 'apps/' }] } } } }, record('apps/deployments'), true],
    ['a prefix that differs', { dynamodb: { Keys: { pk: { S: [{ prefix: 'apps/' }] } } } }, record('core/pods'), false],
    ['anything-but a list', { dynamodb: { Keys: { pk: { S: [{ 'anything-but': ['core/events'] }] } } } }, record('core/pods'), true],
    ['anything-but a listed value', { dynamodb: { Keys: { pk: { S: [{ 'anything-but': ['core/events'] }] } } } }, record('core/events'), false],
    ['anything-but a prefix', { dynamodb: { Keys: { pk: { S: [{ 'anything-but': { prefix: 'core/' } }] } } } }, record('core/pods'), false],
    ['exists true on a present field', { dynamodb: { NewImage: [{ exists: true }] } }, record('core/pods', 'MODIFY', { NewImage: {} }), true],
    ['exists true on a missing field', { dynamodb: { NewImage: [{ exists: true }] } }, record('core/pods'), false],
    ['exists false on a missing field', { dynamodb: { NewImage: [{ exists: false }] } }, record('core/pods'), true],
    ['a numeric range', { dynamodb: { SizeBytes: [{ numeric: ['>', 100, '<=', 200] }] } }, record('core/pods'), true],
    ['a numeric range that excludes', { dynamodb: { SizeBytes: [{ numeric: ['>', 200] }] } }, record('core/pods'), false],
    ['a path missing from the record', { dynamodb: { Keys: { nope: { S: ['x'] } } } }, record('core/pods'), false],
  ])('matches %s → %s', (_name, pattern, rec, expected) => {
    expect(one(pattern)(rec)).toBe(expected);
  });

  it('passes a record when any filter matches, and everything with no criteria', () => {
    const filter = compileFilterCriteria({ Filters: [{ Pattern: '{"eventName":["INSERT"]}' }, { Pattern: '{"eventName":["REMOVE"]}' }] });
    expect(filter(record('x', 'REMOVE'))).toBe(true);
    expect(filter(record('x', 'MODIFY'))).toBe(false);
    expect(compileFilterCriteria(undefined)(record('x'))).toBe(true);
  });

  it('with the dispatch criteria, drops Events and keeps everything else', () => {
    const filter = compileFilterCriteria(DISPATCH_FILTER_CRITERIA);
    expect(filter(record('core/events'))).toBe(false);
    expect(filter(record('events.k8s.io/events'))).toBe(false);
    expect(filter(record('core/pods'))).toBe(true);
  });

  it.each([
    ['MODIFY', false],
    ['INSERT', true],
    ['REMOVE', true],
  ])('passes a Lease %s only when it is a creation or removal (renewals wake nothing)', (eventName, passes) => {
    const filter = compileFilterCriteria(DISPATCH_FILTER_CRITERIA);
    expect(filter(record('coordination.k8s.io/leases', eventName))).toBe(passes);
    expect(filter(record('apps/deployments', eventName))).toBe(true);
  });
});
