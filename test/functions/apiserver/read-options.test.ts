import { describe, expect, it } from 'vitest';
import { checkWatchOptions, getReadConsistency, listReadConsistency } from '../../../functions/apiserver/read-options.ts';
import { isStatusError, type StatusError } from '../../../shared/api/status.ts';

function failure(run: () => unknown): StatusError {
  try {
    run();
  } catch (err) {
    if (isStatusError(err)) return err;
    throw err;
  }
  throw new Error('expected a StatusError');
}

describe('listReadConsistency', () => {
  it.each([
    [{}, undefined, { kind: 'latest' }],
    [{ resourceVersion: '0' }, undefined, { kind: 'any' }],
    [{ resourceVersion: '0' }, 10, { kind: 'any' }],
    [{ resourceVersion: '0', resourceVersionMatch: 'NotOlderThan' }, undefined, { kind: 'any' }],
    [{ resourceVersion: '42' }, undefined, { kind: 'notOlderThan', rv: 42 }],
    [{ resourceVersion: '42', resourceVersionMatch: 'NotOlderThan' }, 10, { kind: 'notOlderThan', rv: 42 }],
    [{ resourceVersion: '42', resourceVersionMatch: 'Exact' }, undefined, { kind: 'exact', rv: 42 }],
    // apiserver's legacy rule: an RV without a match on a paged list is exact.
    [{ resourceVersion: '42' }, 10, { kind: 'exact', rv: 42 }],
    [{ continue: 'tok' }, 10, { kind: 'latest' }],
    [{ continue: 'tok', resourceVersion: '0' }, 10, { kind: 'latest' }],
  ])('reads %j with limit %s as %j', (query, limit, want) => {
    expect(listReadConsistency(query as Record<string, string>, limit)).toEqual(want);
  });

  it.each([
    [
      { resourceVersionMatch: 'Exact' },
      'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided',
    ],
    [
      { resourceVersionMatch: 'Exact', resourceVersion: '0' },
      'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
    ],
    [
      { resourceVersionMatch: 'Newest', resourceVersion: '5' },
      'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Unsupported value: "Newest": supported values: "Exact", "NotOlderThan", ""',
    ],
    [
      { resourceVersionMatch: 'NotOlderThan', resourceVersion: '5', continue: 'tok' },
      'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden when continue is provided',
    ],
    [
      { resourceVersionMatch: 'NotOlderThan', continue: 'tok' },
      'ListOptions.meta.k8s.io "" is invalid: [resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided, resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden when continue is provided]',
    ],
    [{ sendInitialEvents: 'true' }, 'ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list'],
  ])('refuses %j with 422: %s', (query, message) => {
    const err = failure(() => listReadConsistency(query as Record<string, string>, undefined));
    expect(err.code).toBe(422);
    expect(err.reason).toBe('Invalid');
    expect(err.message).toBe(message);
  });

  it.each([
    [{ continue: 'tok', resourceVersion: '7' }, 'specifying resource version is not allowed when using continue'],
    [{ resourceVersion: 'abc' }, 'invalid resource version: abc'],
    [{ resourceVersion: '-3', resourceVersionMatch: 'Exact' }, 'invalid resource version: -3'],
  ])('refuses %j with 400: %s', (query, message) => {
    const err = failure(() => listReadConsistency(query as Record<string, string>, undefined));
    expect(err.code).toBe(400);
    expect(err.message).toBe(message);
  });
});

describe('getReadConsistency', () => {
  it.each([
    [{}, { kind: 'latest' }],
    [{ resourceVersion: '0' }, { kind: 'any' }],
    [{ resourceVersion: '9' }, { kind: 'notOlderThan', rv: 9 }],
    // GetOptions has no resourceVersionMatch: apiserver ignores the parameter on a get.
    [{ resourceVersion: '9', resourceVersionMatch: 'Exact' }, { kind: 'notOlderThan', rv: 9 }],
  ])('reads %j as %j', (query, want) => {
    expect(getReadConsistency(query as Record<string, string>)).toEqual(want);
  });

  it('refuses a resourceVersion that is not a number with 400', () => {
    expect(failure(() => getReadConsistency({ resourceVersion: 'x1' })).code).toBe(400);
  });
});

describe('checkWatchOptions', () => {
  it.each([{}, { resourceVersion: '5' }, { sendInitialEvents: 'true', resourceVersionMatch: 'NotOlderThan' }])('accepts %j', (query) => {
    expect(() => checkWatchOptions(query as Record<string, string>)).not.toThrow();
  });

  it.each([
    [{ sendInitialEvents: 'true' }, ['Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan']],
    [{ resourceVersionMatch: 'NotOlderThan', resourceVersion: '5' }, ['Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided']],
    [
      { sendInitialEvents: 'true', resourceVersionMatch: 'Exact' },
      ['Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan', 'Unsupported value: "Exact": supported values: "NotOlderThan"'],
    ],
  ])('refuses %j with 422 causes %j', (query, messages) => {
    const err = failure(() => checkWatchOptions(query as Record<string, string>));
    expect(err.code).toBe(422);
    expect(err.details?.causes?.map((c) => c.message)).toEqual(messages);
    expect(err.details?.causes?.every((c) => c.field === 'resourceVersionMatch')).toBe(true);
  });
});
