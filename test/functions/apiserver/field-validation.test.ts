import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { enforceFieldValidation, findUnknownFields, parseFieldValidation, warningHeader } from '../../../functions/apiserver/field-validation.ts';
import { knownFieldNames } from '../../../functions/apiserver/known-field-names.ts';
import { resourceTypes } from '../../../shared/api/registry.ts';

const Container = z.looseObject({ name: z.string(), image: z.string().optional(), env: z.array(z.looseObject({ name: z.string(), value: z.string().optional() })).optional() });
const Schema = z.looseObject({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: z.looseObject({ name: z.string().optional(), labels: z.record(z.string(), z.string()).optional() }),
  spec: z
    .looseObject({
      replicas: z.number().default(1),
      containers: z.array(Container).optional(),
      port: z.union([z.number(), z.string()]).optional(),
      opaque: z.looseObject({}).optional(),
      lazy: z.lazy(() => z.looseObject({ inner: z.string().optional() })).optional(),
    })
    .optional(),
  status: z.looseObject({ phase: z.string().optional() }).optional(),
});

describe('findUnknownFields', () => {
  it.each([
    [{ spec: { foo: 1 } }, ['spec.foo']],
    [{ spec: { containers: [{ name: 'a' }, { name: 'b', bogus: true }] } }, ['spec.containers[1].bogus']],
    [{ spec: { containers: [{ name: 'a', env: [{ name: 'X', valueFrm: 'y' }] }] } }, ['spec.containers[0].env[0].valueFrm']],
    [{ metadata: { labels: { anything: 'goes' } } }, []],
    [{ spec: { opaque: { whatever: { deep: 1 } } } }, []],
    [{ spec: { lazy: { inner: 'x', outer: 'y' } } }, ['spec.lazy.outer']],
    [{ status: { anything: 1 } }, []],
    [{ apiVersion: 'v1', kind: 'X', extra: 1 }, ['extra']],
    [{ spec: { port: 'http' } }, []],
  ])('finds the unknown fields of %j', (value, expected) => {
    expect(findUnknownFields(Schema, value)).toEqual(expected);
  });

  it('never flags a name from the vocabulary of Kubernetes field names', () => {
    const value = { spec: { topologySpreadConstraints: [], typo: 1 } };
    expect(findUnknownFields(Schema, value, false, new Set(['topologySpreadConstraints']))).toEqual(['spec.typo']);
  });

  it('drops them when asked', () => {
    const value = { spec: { foo: 1, replicas: 2 } };
    findUnknownFields(Schema, value, true);
    expect(value).toEqual({ spec: { replicas: 2 } });
  });
});

describe('enforceFieldValidation', () => {
  it('refuses with the apiserver strict decoding message', () => {
    expect(() => enforceFieldValidation('Strict', Schema, { spec: { foo: 1, bar: 2 } }, 'Deployment', 'v1')).toThrow(
      'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.foo", unknown field "spec.bar"',
    );
  });

  it('warns in Warn mode and stays quiet in Ignore mode', () => {
    expect(enforceFieldValidation('Warn', Schema, { spec: { foo: 1 } }, 'D', 'v1').warnings).toEqual(['unknown field "spec.foo"']);
    expect(enforceFieldValidation('Ignore', Schema, { spec: { foo: 1 } }, 'D', 'v1').warnings).toEqual([]);
  });

  it.each([
    [undefined, 'Warn'],
    ['', 'Warn'],
    ['Strict', 'Strict'],
    ['Ignore', 'Ignore'],
  ])('reads fieldValidation=%s as %s', (value, mode) => {
    expect(parseFieldValidation(value)).toBe(mode);
  });

  it('refuses an unknown mode', () => {
    expect(() => parseFieldValidation('Loud')).toThrow(/fieldValidation must be one of/);
  });

  it('formats Warning headers with code 299', () => {
    expect(warningHeader(['unknown field "a"'])).toBe('299 - "unknown field \\"a\\""');
    expect(warningHeader([])).toBeUndefined();
  });
});

describe('knownFieldNames', () => {
  it('holds schema keys, protobuf names and the supplementary API names, and no typos', () => {
    const names = knownFieldNames(resourceTypes);
    for (const n of ['containers', 'replicas', 'topologySpreadConstraints', 'hostAliases', 'subPathExpr']) expect(names.has(n)).toBe(true);
    for (const n of ['foo', 'replicaz', 'contianers']) expect(names.has(n)).toBe(false);
  });
});
