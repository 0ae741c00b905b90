/**
 * Change-log retention. Entries are kept while they are younger than `maxAgeMs` or among the newest
 * `maxEntries`, and never deleted before `minAgeMs` (a writer abandons an RV it took more than
 * `writerDeadlineMs` < minAgeMs ago, so no late commit can land in a deleted range). The compaction watermark is
 * raised before anything is deleted, so a watch from below it gets 410 consistently, never a silent hole.
 * DynamoDB TTL (`expiresAt`) is only a backstop for a cluster whose compaction stopped running; it must stay
 * far longer than `maxAgeMs`.
 */
import type { ChangeLog } from './change-log.ts';

export interface RetentionPolicy {
  maxAgeMs: number;
  maxEntries: number;
  minAgeMs: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = { maxAgeMs: 15 * 60_000, maxEntries: 100_000, minAgeMs: 2 * 60_000 };

/**
 * The highest RV that may be compacted, scanning entries (ascending, from just above the current watermark)
 * until the first one that must be kept. Pure.
 */
export function compactionTarget(
  entries: { rv: number; at: number }[],
  policy: RetentionPolicy,
  settledThrough: number,
  now: number,
  current: number,
): { target: number; stopped: boolean } {
  const keepFrom = settledThrough - policy.maxEntries;
  let target = current;
  for (const e of entries) {
    if (e.rv > settledThrough || e.at > now - policy.minAgeMs) return { target, stopped: true };
    if (e.at > now - policy.maxAgeMs && e.rv > keepFrom) return { target, stopped: true };
    target = e.rv;
  }
  return { target, stopped: false };
}

export async function compactLog(
  log: ChangeLog,
  policy: RetentionPolicy,
  settledThrough: number,
  now: number,
  maxEntriesPerRun = 5000,
): Promise<{ compactedThrough: number; deleted: number }> {
  const { compacted } = await log.readWatermarks();
  let target = compacted;
  while (target - compacted < maxEntriesPerRun && target < settledThrough) {
    const page = await log.readTimes(target, settledThrough, 1000);
    const step = compactionTarget(page, policy, settledThrough, now, target);
    target = step.target;
    if (step.stopped || page.length < 1000) break;
  }
  if (target <= compacted || !(await log.raiseCompacted(target))) return { compactedThrough: compacted, deleted: 0 };
  const rvs: number[] = [];
  for (let rv = compacted + 1; rv <= target; rv++) rvs.push(rv);
  await log.deleteEntries(rvs);
  return { compactedThrough: target, deleted: rvs.length };
}
