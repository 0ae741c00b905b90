/**
 * client-go's flowcontrol.Backoff as pure values: the kubelet restarts crashed containers and retries image pulls
 * with it (10 s doubling to 5 min, no jitter). An entry that has not been updated for twice the maximum is
 * forgotten, which is how "reset after 10 minutes of running" comes about.
 */

export interface BackoffEntry {
  durationMs: number;
  /** When the entry was last advanced (the restart or pull decision). */
  lastUpdateMs: number;
}

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
}

/** kubelet's backOffPeriod and MaxContainerBackOff, used for both container restarts and image pulls. */
export const CONTAINER_BACKOFF: BackoffPolicy = { initialMs: 10_000, maxMs: 300_000 };

function hasExpired(eventTime: number, entry: BackoffEntry, policy: BackoffPolicy): boolean {
  return eventTime - entry.lastUpdateMs > policy.maxMs * 2;
}

/** Backoff.Next: the entry after one more failure seen at `eventTime`, decided at `now`. */
export function nextBackoff(entry: BackoffEntry | undefined, eventTime: number, now: number, policy = CONTAINER_BACKOFF): BackoffEntry {
  if (!entry || hasExpired(eventTime, entry, policy)) return { durationMs: policy.initialMs, lastUpdateMs: now };
  return { durationMs: Math.min(entry.durationMs * 2, policy.maxMs), lastUpdateMs: now };
}

/** Backoff.IsInBackOffSince: still waiting after an event (a container's finish) at `eventTime`. */
export function isInBackOffSince(entry: BackoffEntry | undefined, eventTime: number, now: number, policy = CONTAINER_BACKOFF): boolean {
  if (!entry || hasExpired(eventTime, entry, policy)) return false;
  return now - eventTime < entry.durationMs;
}

/** Backoff.IsInBackOffSinceUpdate: still waiting since the entry was last advanced (image pulls). */
export function isInBackOffSinceUpdate(entry: BackoffEntry | undefined, now: number, policy = CONTAINER_BACKOFF): boolean {
  if (!entry || hasExpired(now, entry, policy)) return false;
  return now - entry.lastUpdateMs < entry.durationMs;
}

/** Go's time.Duration.String() for whole seconds, as kubelet messages print it: `10s`, `1m20s`, `5m0s`. */
export function formatGoDuration(ms: number): string {
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}
