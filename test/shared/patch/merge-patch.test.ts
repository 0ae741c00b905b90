import { describe, expect, it } from 'vitest';
import { isStatusError } from '../../../shared/api/status.ts';
import { applyMergePatch, mergePatchObject } from '../../../shared/patch/merge-patch.ts';

describe('applyMergePatch', () => {
  // The examples of RFC 7386, appendix A.
  it.each([
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ])('merges %j with %j into %j', (target, patch, expected) => {
    expect(applyMergePatch(target, patch)).toEqual(expected);
  });

  it('does what kubectl label and scale send', () => {
    const live = { metadata: { name: 'x', labels: { app: 'web', tier: 'be' } }, spec: { replicas: 1, paused: false } };
    expect(mergePatchObject(live, { metadata: { labels: { tier: null, env: 'prod' } }, spec: { replicas: 3 } })).toEqual({
      metadata: { name: 'x', labels: { app: 'web', env: 'prod' } },
      spec: { replicas: 3, paused: false },
    });
    expect(live.metadata.labels).toEqual({ app: 'web', tier: 'be' });
  });

  it('rejects a non-object patch of an object with 400', () => {
    let caught: unknown;
    try {
      mergePatchObject({ a: 1 }, [1]);
    } catch (err) {
      caught = err;
    }
    expect(isStatusError(caught) && caught.code).toBe(400);
  });
});
