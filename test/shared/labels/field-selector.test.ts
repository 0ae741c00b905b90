import { describe, expect, it } from 'vitest';
import { checkFieldsSupported, matchesFields, parseFieldSelector } from '../../../shared/labels/field-selector.ts';

describe('parseFieldSelector', () => {
  it('parses =, == and != terms', () => {
    expect(parseFieldSelector('spec.nodeName=n1,status.phase!=Failed,metadata.name==x').requirements).toEqual([
      { field: 'metadata.name', operator: '=', value: 'x' },
      { field: 'spec.nodeName', operator: '=', value: 'n1' },
      { field: 'status.phase', operator: '!=', value: 'Failed' },
    ]);
  });

  it('allows empty values', () => {
    expect(parseFieldSelector('involvedObject.namespace=').requirements).toEqual([{ field: 'involvedObject.namespace', operator: '=', value: '' }]);
  });

  it('unescapes commas and equals signs in values', () => {
    expect(parseFieldSelector('a=x\\,y\\=z').requirements[0].value).toBe('x,y=z');
  });

  it('rejects a term without an operator', () => {
    expect(() => parseFieldSelector('spec.nodeName')).toThrow("invalid selector: 'spec.nodeName'; can't understand 'spec.nodeName'");
  });
});

describe('matchesFields', () => {
  const fields = { 'spec.nodeName': 'n1', 'status.phase': 'Running', 'involvedObject.namespace': '' };
  it.each([
    ['spec.nodeName=n1', true],
    ['spec.nodeName=n2', false],
    ['status.phase!=Succeeded,status.phase!=Failed', true],
    ['status.phase!=Running', false],
    ['involvedObject.namespace=', true],
    ['', true],
  ])('%j matches: %s', (text, expected) => {
    expect(matchesFields(parseFieldSelector(text), fields)).toBe(expected);
  });
});

describe('checkFieldsSupported', () => {
  it('names the first unsupported field', () => {
    expect(() => checkFieldsSupported(parseFieldSelector('metadata.name=a,spec.foo=b'), ['metadata.name'])).toThrow('field label not supported: spec.foo');
  });
  it('accepts supported fields', () => {
    expect(() => checkFieldsSupported(parseFieldSelector('metadata.name=a'), ['metadata.name'])).not.toThrow();
  });
});
