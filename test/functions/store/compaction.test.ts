import { describe, expect, it } from 'vitest';
import { compactionTarget, type RetentionPolicy } from '../../../functions/store/compaction.ts';

const policy: RetentionPolicy = { maxAgeMs: 1000, maxEntries: 3, minAgeMs: 100 };
const NOW = 10_000;
const at = (ageMs: number) => NOW - ageMs;

describe('compactionTarget', () => {
  it.each<{ case: string; entries: { rv: number; at: number }[]; settled: number; want: number }>([
    { case: 'nothing old enough', entries: [{ rv: 1, at: at(50) }], settled: 1, want: 0 },
    { case: 'entries past maxAge go', entries: [{ rv: 1, at: at(2000) }, { rv: 2, at: at(1500) }, { rv: 3, at: at(500) }], settled: 3, want: 2 },
    { case: 'beyond maxEntries go once past minAge', entries: [1, 2, 3, 4, 5].map((rv) => ({ rv, at: at(200) })), settled: 5, want: 2 },
    { case: 'beyond maxEntries but younger than minAge stay', entries: [1, 2, 3, 4, 5].map((rv) => ({ rv, at: at(10) })), settled: 5, want: 0 },
    { case: 'never past the settled position', entries: [{ rv: 1, at: at(5000) }, { rv: 2, at: at(5000) }], settled: 1, want: 1 },
    { case: 'stops at the first entry to keep', entries: [{ rv: 1, at: at(5000) }, { rv: 2, at: at(10) }, { rv: 3, at: at(5000) }], settled: 3, want: 1 },
  ])('$case', ({ entries, settled, want }) => {
    expect(compactionTarget(entries, policy, settled, NOW, 0).target).toBe(want);
  });
});
