import { describe, expect, it } from 'vitest';
import {
  labelSelectorFromObject,
  matchesLabels,
  parseLabelSelector,
  selectorToString,
} from '../../../shared/labels/label-selector.ts';
import { isStatusError } from '../../../shared/api/status.ts';

describe('parseLabelSelector', () => {
  it.each([
    ['', ''],
    ['app=web', 'app=web'],
    ['app==web', 'app==web'],
    ['app!=web', 'app!=web'],
    ['env in (prod, dev)', 'env in (dev,prod)'],
    ['env notin (a,b)', 'env notin (a,b)'],
    ['canary', 'canary'],
    ['!canary', '!canary'],
    ['b=2,a=1', 'a=1,b=2'],
    ['app=', 'app='],
    ['example.com/tier=fe', 'example.com/tier=fe'],
  ])('parses %j into %j', (text, canonical) => {
    expect(selectorToString(parseLabelSelector(text))).toBe(canonical);
  });

  it.each([
    ['app=web,', "found '', expected: identifier after ','"],
    ['app in', "unable to parse requirement: found '' expected: '('"],
    ['app in (a', "unable to parse requirement: found '', expected: ',' or ')'"],
    ['app x', "unable to parse requirement: found 'x', expected: in, notin, =, ==, !=, gt, lt"],
    [',', "found ',', expected: !, identifier, or 'end of string'"],
    ['app=a b', "found 'b', expected: ',' or 'end of string'"],
  ])('rejects %j with %j', (text, message) => {
    try {
      parseLabelSelector(text);
      expect.unreachable();
    } catch (e) {
      expect(isStatusError(e) && e.code).toBe(400);
      expect((e as Error).message).toBe(message);
    }
  });

  it('rejects an invalid key with the apimachinery wording', () => {
    expect(() => parseLabelSelector('-app=x')).toThrow(
      'unable to parse requirement: <nil>: Invalid value: "-app": name part must consist of alphanumeric characters',
    );
  });

  it('rejects an invalid value', () => {
    expect(() => parseLabelSelector('app=a$b')).toThrow('values[0][app]: Invalid value: "a$b": a valid label must be an empty string');
  });
});

describe('matchesLabels', () => {
  const labels = { app: 'web', env: 'prod', tier: 'fe' };
  it.each([
    ['', true],
    ['app=web', true],
    ['app=db', false],
    ['app!=db', true],
    ['missing!=x', true],
    ['env in (prod,dev)', true],
    ['env notin (prod)', false],
    ['missing notin (prod)', true],
    ['tier', true],
    ['!tier', false],
    ['!missing', true],
    ['app=web,env=dev', false],
    ['app=web,env in (prod)', true],
  ])('%j matches: %s', (text, expected) => {
    expect(matchesLabels(parseLabelSelector(text), labels)).toBe(expected);
  });

  it('treats a missing label map as empty', () => {
    expect(matchesLabels(parseLabelSelector('!a'), undefined)).toBe(true);
  });
});

describe('labelSelectorFromObject', () => {
  it('matches nothing for a nil selector and everything for an empty one', () => {
    expect(matchesLabels(labelSelectorFromObject(undefined), { a: 'b' })).toBe(false);
    expect(matchesLabels(labelSelectorFromObject({}), { a: 'b' })).toBe(true);
  });

  it('combines matchLabels and matchExpressions', () => {
    const sel = labelSelectorFromObject({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'env', operator: 'In', values: ['prod', 'staging'] },
        { key: 'canary', operator: 'DoesNotExist' },
      ],
    });
    expect(selectorToString(sel)).toBe('app=web,!canary,env in (prod,staging)');
    expect(matchesLabels(sel, { app: 'web', env: 'prod' })).toBe(true);
    expect(matchesLabels(sel, { app: 'web', env: 'prod', canary: 'y' })).toBe(false);
    expect(matchesLabels(sel, { app: 'web', env: 'dev' })).toBe(false);
  });

  it('prints requirements sorted by key', () => {
    expect(selectorToString(labelSelectorFromObject({ matchLabels: { b: '2', a: '1' }, matchExpressions: [{ key: 'c', operator: 'Exists' }] }))).toBe('a=1,b=2,c');
  });

  it('rejects an unknown operator', () => {
    expect(() => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'Near' }] })).toThrow('"Near" is not a valid label selector operator');
  });
});
