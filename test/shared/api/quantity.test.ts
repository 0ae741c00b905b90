import { describe, expect, it } from 'vitest';
import { integerValue, milliValue } from '../../../shared/api/quantity.ts';

describe('quantity', () => {
  it.each([
    ['100m', 100],
    ['0.1', 100],
    ['1', 1000],
    ['2.5', 2500],
    ['1500u', 2],
    [4, 4000],
    ['1e3', 1_000_000],
  ])('reads %s as %s millicores', (q, want) => {
    expect(milliValue(q)).toBe(want);
  });

  it.each([
    ['128Mi', 128 * 1024 * 1024],
    ['1G', 1_000_000_000],
    ['16Gi', 16 * 2 ** 30],
    ['1.5Ki', 1536],
    ['110', 110],
    ['500m', 1],
    ['1k', 1000],
  ])('reads %s as %s units', (q, want) => {
    expect(integerValue(q)).toBe(want);
  });

  it.each(['', 'abc', '1Zi', '--1', '.'])('rejects %j', (q) => {
    expect(milliValue(q)).toBeUndefined();
  });
});
