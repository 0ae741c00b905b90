import { describe, expect, it } from 'vitest';
import { marshall } from '@aws-sdk/util-dynamodb';
import {
  COMPRESS_OVER_BYTES,
  decodeLogItem,
  decodeObjectImage,
  decodeObjectItem,
  encodeBody,
  encodeLogItem,
  encodeObjectItem,
  objectSortKey,
  parseObject,
  refOfSortKey,
  selectorView,
} from '../../../functions/store/item-codec.ts';
import { decodeContinue, encodeContinue } from '../../../functions/store/continue-token.ts';
import { isStatusError } from '../../../shared/api/status.ts';

const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns', resourceVersion: '7', labels: { a: 'b' }, annotations: { big: 'x' } }, spec: { nodeName: 'n1', containers: [{ name: 'c' }] }, status: { phase: 'Running', conditions: [] } };

describe('item codec', () => {
  it.each([
    ['ns', 'p', 'ns/p'],
    ['', 'node-1', '/node-1'],
  ])('sort key of %j/%j is %j and parses back', (namespace, name, sk) => {
    expect(objectSortKey(namespace, name)).toBe(sk);
    expect(refOfSortKey('core/pods', sk)).toEqual({ resource: 'core/pods', namespace, name });
  });

  it.each([
    ['small', 'x'.repeat(100), 'json'],
    ['large', 'x'.repeat(COMPRESS_OVER_BYTES + 1), 'gz'],
  ])('stores a %s body as %s and decodes a stream image of it, binary as base64 text too', (_label, blob, form) => {
    const json = JSON.stringify({ ...pod, blob });
    const body = encodeBody(json);
    expect(form in body).toBe(true);
    const item = encodeObjectItem('core/pods', 'ns/p', 7, body, 'n1');
    expect(decodeObjectImage(item).object).toEqual(JSON.parse(json));
    // Lambda stream events carry B as base64 strings.
    const lambdaImage = Object.fromEntries(Object.entries(item).map(([k, v]) => [k, v.B ? { B: Buffer.from(v.B).toString('base64') } : v]));
    expect(decodeObjectImage(lambdaImage)).toMatchObject({ rv: 7, ref: { namespace: 'ns', name: 'p' } });
  });

  it('round-trips a log entry', () => {
    const item = encodeLogItem(9, { type: 'MODIFIED', resource: 'core/pods', namespace: 'ns', name: 'p', object: encodeBody('{"a":1}'), previous: encodeBody('{"a":0}', true), previousTrimmed: true }, 1000, 60);
    expect(decodeLogItem(item)).toEqual({ rv: 9, type: 'MODIFIED', resource: 'core/pods', namespace: 'ns', name: 'p', objectJson: '{"a":1}', previousJson: '{"a":0}', previousTrimmed: true, at: 1000 });
    expect(item.expiresAt).toEqual({ N: '61' });
  });

  it('rejects an item that is not an object item', () => {
    expect(() => decodeObjectImage(marshall({ pk: 'core/pods', sk: 'ns/p' }))).toThrow();
  });

  it('decodes plain and gzip object items read by the SDK to the same stored object', () => {
    const json = JSON.stringify(pod);
    const want = { resource: 'core/pods', sk: 'ns/p', rv: 7, json };
    expect(decodeObjectItem(encodeObjectItem('core/pods', 'ns/p', 7, encodeBody(json)))).toEqual(want);
    expect(decodeObjectItem(encodeObjectItem('core/pods', 'ns/p', 7, encodeBody(json, true)))).toEqual(want);
  });

  it('parses a stored body to an equal object', () => {
    expect(parseObject(JSON.stringify(pod))).toEqual(pod);
  });

  it.each([
    ['no kind', { apiVersion: 'v1', metadata: {} }],
    ['metadata not an object', { apiVersion: 'v1', kind: 'Pod', metadata: 'x' }],
    ['metadata an array', { apiVersion: 'v1', kind: 'Pod', metadata: [] }],
    ['not an object', ['v1']],
  ])('refuses a stored body with %s', (_label, body) => {
    expect(() => parseObject(JSON.stringify(body))).toThrow();
  });

  it('keeps identity, labels and scalar fields in the selector view', () => {
    expect(selectorView(pod)).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'ns', resourceVersion: '7', labels: { a: 'b' } },
      spec: { nodeName: 'n1' },
      status: { phase: 'Running' },
    });
  });
});

describe('continue token', () => {
  it('round-trips and refuses garbage with 400', () => {
    expect(decodeContinue(encodeContinue(12, 'ns/p'))).toEqual({ v: 1, rv: 12, after: 'ns/p' });
    const err = (() => {
      try {
        decodeContinue('garbage');
      } catch (e) {
        return e;
      }
    })();
    expect(isStatusError(err) && err.code).toBe(400);
  });
});
