import { describe, expect, it } from 'vitest';
import { isStatusError, type StatusError } from '../../../shared/api/status.ts';
import { applyJsonPatch } from '../../../shared/patch/json-patch.ts';

const live = () => ({
  metadata: { name: 'web', annotations: { a: '1' } },
  spec: { replicas: 2, template: { spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] } } },
});

function failure(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (err) {
    if (isStatusError(err)) return err;
    throw err;
  }
  throw new Error('expected a StatusError');
}

describe('applyJsonPatch', () => {
  it('applies what kubectl rollout undo sends, leaving the original alone', () => {
    const original = live();
    const out = applyJsonPatch(original, [
      { op: 'replace', path: '/spec/template', value: { spec: { containers: [{ name: 'c', image: 'nginx:1.26' }] } } },
      { op: 'replace', path: '/metadata/annotations', value: { b: '2' } },
    ]);
    expect(out.spec.template.spec.containers[0].image).toBe('nginx:1.26');
    expect(out.metadata.annotations).toEqual({ b: '2' });
    expect(original).toEqual(live());
  });

  it.each([
    [[{ op: 'add', path: '/metadata/labels', value: { x: 'y' } }], { x: 'y' }],
    [[{ op: 'test', path: '/spec/replicas', value: 2 }, { op: 'add', path: '/metadata/labels', value: {} }], {}],
    [[{ op: 'copy', from: '/metadata/annotations', path: '/metadata/labels' }], { a: '1' }],
  ])('applies %j', (patch, labels) => {
    expect((applyJsonPatch(live(), patch) as unknown as { metadata: { labels: unknown } }).metadata.labels).toEqual(labels);
  });

  it('answers a failed test operation with 422 as apiserver does', () => {
    const err = failure(() => applyJsonPatch(live(), [{ op: 'test', path: '/spec/replicas', value: 5 }]));
    expect(err.code).toBe(422);
    expect(err.reason).toBe('Invalid');
    expect(err.message).toBe('the server rejected our request due to an error in our request');
    expect(err.details?.causes?.[0].message).toBe('testing value /spec/replicas failed: test failed');
  });

  it('answers removal of a missing path with 422', () => {
    const err = failure(() => applyJsonPatch(live(), [{ op: 'remove', path: '/metadata/labels/x' }]));
    expect(err.code).toBe(422);
    expect(err.details?.causes?.[0].message).toContain('/metadata/labels/x');
  });

  it.each([
    ['an object instead of a list', { op: 'add' }],
    ['a list of non-objects', ['add']],
  ])('answers %s with 400', (_name, patch) => {
    expect(failure(() => applyJsonPatch(live(), patch)).code).toBe(400);
  });
});
