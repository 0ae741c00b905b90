/**
 * The gap-free reader of the change log, one per store instance (kine's "poll + fill" scheme):
 * - `position` is the highest RV such that every RV at or below it is committed or filled ("settled").
 * - A step reads entries after `position` and advances over the contiguous ones. An RV that is missing although
 *   it was handed out (a higher entry exists, or the counter says so) is a writer still in flight, or one that
 *   died. After `fillDelayMs` the reader writes a fill there with attribute_not_exists: exactly one of the late
 *   writer and the fill wins, and a writer that loses retries under a new RV, so nothing is skipped.
 * - Recent entries stay in a bounded buffer, so list replays and watches starting from a recent RV cost no reads.
 * - Watch subscribers share one tailing loop (one Query per poll, whatever their number).
 */
import { errors } from '../../shared/api/status.ts';
import type { ChangeLog } from './change-log.ts';
import { translateDynamoError } from './dynamo-errors.ts';
import { parseObject, withResourceVersion, type LogEntry } from './item-codec.ts';
import type { ChangeEvent, ResourceKey } from './object-store.ts';

export interface LogReaderOptions {
  /** How long an RV may stay missing before a reader fills it. */
  fillDelayMs: number;
  /** Tailing interval while there are watchers and nothing new. */
  pollIntervalMs: number;
  /** Entries per log Query. */
  pageSize: number;
  /** Recent (non-fill) entries kept in memory. */
  bufferEntries: number;
  /** Events a watcher may fall behind before it is ended (it then relists, as Kubernetes clients do on 410). */
  maxQueuedEvents: number;
  /** Persist the settled watermark after this many RVs of progress (0: never). */
  persistSettledEvery: number;
  now: () => number;
  onError?: (err: unknown) => void;
}

/** Part of a requested log range was compacted away. */
export class LogCompactedError extends Error {
  constructor(
    readonly low: number,
    readonly compacted: number,
  ) {
    super(`log entries after ${low} were compacted (through ${compacted})`);
    this.name = 'LogCompactedError';
  }
}

interface Buffered {
  entry: LogEntry;
  event?: ChangeEvent;
}

export interface SubscriptionFilter {
  resource?: ResourceKey;
  namespace?: string;
}

interface Subscriber {
  /** Highest RV this subscriber has passed (delivered or skipped). */
  next: number;
  live: boolean;
  filter: SubscriptionFilter;
  queue: ChangeEvent[];
  error?: unknown;
  wake?: () => void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function matches(entry: LogEntry, filter: SubscriptionFilter): boolean {
  if (entry.type === 'FILL') return false;
  if (filter.resource !== undefined && entry.resource !== filter.resource) return false;
  if (filter.namespace !== undefined && filter.namespace !== '' && entry.namespace !== filter.namespace) return false;
  return true;
}

/** The watch event of a (non-fill) log entry. */
export function toChangeEvent(entry: LogEntry): ChangeEvent {
  const previous = entry.previousJson !== undefined ? parseObject(entry.previousJson) : undefined;
  const object =
    entry.type === 'DELETED'
      ? withResourceVersion(previous ?? parseObject('{}'), entry.rv)
      : parseObject(entry.objectJson ?? '{}');
  return {
    type: entry.type === 'FILL' ? 'MODIFIED' : entry.type,
    resource: entry.resource ?? '',
    object,
    ...(previous ? { previous } : {}),
    resourceVersion: String(entry.rv),
  };
}

export class LogReader {
  private position = -1;
  private bufferLow = 0;
  private buffer: Buffered[] = [];
  /** RV → when it was first seen missing. */
  private readonly missingSince = new Map<number, number>();
  /** RVs at or below this were handed out (from the counter), so a missing one is a gap even with nothing above. */
  private knownTaken = 0;
  private lastPersisted = 0;
  private initializing: Promise<void> | undefined;
  private stepping: Promise<number> | undefined;
  private readonly subscribers = new Set<Subscriber>();
  private tailing = false;
  private wakeTailer: (() => void) | undefined;
  /** A nudge that arrived while the tailer was reading: poll again without sleeping. */
  private nudged = false;

  constructor(
    private readonly log: ChangeLog,
    private readonly options: LogReaderOptions,
  ) {}

  /** The settled position, or -1 before the first read. */
  get settledThrough(): number {
    return this.position;
  }

  private init(): Promise<void> {
    if (this.position >= 0) return Promise.resolve();
    this.initializing ??= (async () => {
      const marks = await this.log.readWatermarks();
      if (this.position < 0) {
        this.position = Math.max(marks.compacted, marks.settled);
        this.bufferLow = this.position;
        this.lastPersisted = marks.settled;
      }
    })().finally(() => {
      this.initializing = undefined;
    });
    return this.initializing;
  }

  /** Waits until every RV up to `target` is committed or filled. */
  async settle(target: number): Promise<void> {
    await this.init();
    this.knownTaken = Math.max(this.knownTaken, target);
    let backoff = 2;
    while (this.position < target) {
      const waitMs = await this.step();
      if (this.position >= target) break;
      if (waitMs > 0) {
        // In-flight writers usually commit within milliseconds: re-poll soon, slowing down towards the fill.
        await sleep(Math.min(waitMs, backoff));
        backoff = Math.min(backoff * 2, this.options.pollIntervalMs);
      }
    }
  }

  /** Asks the tailer to poll now (a local write just committed). */
  nudge(): void {
    if (!this.tailing) return;
    if (this.wakeTailer) this.wakeTailer();
    else this.nudged = true;
  }

  /** One read round, serialized. Returns 0 when it may be worth reading again at once, else ms to wait. */
  private step(): Promise<number> {
    this.stepping ??= this.readOnce().finally(() => {
      this.stepping = undefined;
    });
    return this.stepping;
  }

  private async readOnce(): Promise<number> {
    const { entries, more } = await this.log.read(this.position, undefined, this.options.pageSize);
    let expected = this.position + 1;
    let i = 0;
    for (; i < entries.length && entries[i].rv === expected; i++, expected++) this.accept(entries[i]);
    this.maybePersist();
    // Contiguous through the page and the page was cut: more to read right away.
    if (i === entries.length && more) return 0;
    const nextSeen = i < entries.length ? entries[i].rv : undefined;
    const gapEnd = nextSeen !== undefined ? nextSeen - 1 : this.knownTaken;
    if (gapEnd < expected) return this.options.pollIntervalMs;
    const now = this.options.now();
    const due: number[] = [];
    let waitMs = this.options.fillDelayMs;
    // Bounded: a huge gap (a stale process far behind a compacted range) is handled a slice at a time.
    for (let rv = expected; rv <= Math.min(gapEnd, expected + 99); rv++) {
      const since = this.missingSince.get(rv) ?? now;
      this.missingSince.set(rv, since);
      const left = since + this.options.fillDelayMs - now;
      if (left <= 0) due.push(rv);
      else waitMs = Math.min(waitMs, left);
    }
    if (due.length === 0) return i > 0 ? 0 : waitMs;
    const outcomes = await Promise.all(due.map((rv) => this.log.fill(rv, now)));
    if (outcomes.includes('compacted')) await this.jumpPastCompaction();
    return 0;
  }

  private accept(entry: LogEntry): void {
    this.position = entry.rv;
    this.missingSince.delete(entry.rv);
    if (entry.type === 'FILL') return;
    const buffered: Buffered = { entry };
    this.buffer.push(buffered);
    if (this.buffer.length > this.options.bufferEntries) {
      const dropped = this.buffer.splice(0, this.buffer.length - this.options.bufferEntries);
      this.bufferLow = dropped[dropped.length - 1].entry.rv;
    }
    for (const sub of this.subscribers) {
      if (!sub.live || entry.rv <= sub.next) continue;
      sub.next = entry.rv;
      if (matches(entry, sub.filter)) this.deliver(sub, this.eventOf(buffered));
    }
  }

  private eventOf(buffered: Buffered): ChangeEvent {
    buffered.event ??= toChangeEvent(buffered.entry);
    return buffered.event;
  }

  private deliver(sub: Subscriber, event: ChangeEvent): void {
    if (sub.error) return;
    if (sub.queue.length >= this.options.maxQueuedEvents) {
      sub.error = errors.expired('watcher fell too far behind; relist');
      sub.queue.length = 0;
    } else {
      sub.queue.push(event);
    }
    sub.wake?.();
  }

  private maybePersist(): void {
    const every = this.options.persistSettledEvery;
    if (every <= 0 || this.position - this.lastPersisted < every) return;
    const rv = this.position;
    this.lastPersisted = rv;
    this.log.raiseSettled(rv).catch((err: unknown) => this.options.onError?.(err));
  }

  /** This process was behind a compaction: entries it never read are gone. Its watchers must relist. */
  private async jumpPastCompaction(): Promise<void> {
    const marks = await this.log.readWatermarks();
    if (marks.compacted <= this.position) return;
    this.position = marks.compacted;
    this.bufferLow = marks.compacted;
    this.buffer = [];
    for (const rv of [...this.missingSince.keys()]) if (rv <= marks.compacted) this.missingSince.delete(rv);
    for (const sub of this.subscribers) {
      if (sub.next < marks.compacted) {
        sub.error = errors.expired();
        sub.wake?.();
      }
    }
  }

  /**
   * The entries for `resource` with low < rv <= high (high must be settled), ascending. Served from the buffer
   * when it reaches back far enough; else read, and refused with LogCompactedError if compaction removed part of
   * the range (the caller words the 410: a continue token and an exact-RV list say it differently).
   */
  async entriesBetween(low: number, high: number, resource: ResourceKey): Promise<LogEntry[]> {
    if (high <= low) return [];
    if (high > this.position) throw new Error(`entriesBetween(${low}, ${high}) beyond settled ${this.position}`);
    if (low >= this.bufferLow) {
      return this.bufferSlice(low, high)
        .map((b) => b.entry)
        .filter((e) => e.resource === resource);
    }
    const out: LogEntry[] = [];
    let after = low;
    for (;;) {
      const { entries, more } = await this.log.read(after, high, this.options.pageSize, resource);
      out.push(...entries);
      if (!more) break;
      after = entries.length > 0 ? entries[entries.length - 1].rv : after;
      if (entries.length === 0) break;
    }
    // Compaction raises its watermark before deleting, so a watermark still at or below `low` proves the range
    // was complete while we read it.
    const marks = await this.log.readWatermarks();
    if (marks.compacted > low) throw new LogCompactedError(low, marks.compacted);
    return out;
  }

  private bufferSlice(low: number, high: number): Buffered[] {
    // Binary search for the first entry above `low`.
    let lo = 0;
    let hi = this.buffer.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.buffer[mid].entry.rv <= low) lo = mid + 1;
      else hi = mid;
    }
    const out: Buffered[] = [];
    for (let i = lo; i < this.buffer.length && this.buffer[i].entry.rv <= high; i++) out.push(this.buffer[i]);
    return out;
  }

  /**
   * Every change after `from` matching `filter`, in RV order, exactly once, until `signal` aborts. The caller
   * has checked `from` against the compaction watermark.
   */
  subscribe(from: number, filter: SubscriptionFilter, signal: AbortSignal): AsyncIterable<ChangeEvent> {
    const sub: Subscriber = { next: from, live: false, filter, queue: [] };
    const reader = this;
    return {
      async *[Symbol.asyncIterator]() {
        if (signal.aborted) return;
        reader.subscribers.add(sub);
        const onAbort = (): void => sub.wake?.();
        signal.addEventListener('abort', onAbort);
        try {
          await reader.init();
          reader.startTailing();
          await reader.catchUp(sub);
          while (!signal.aborted) {
            if (sub.queue.length > 0) {
              const batch = sub.queue;
              sub.queue = [];
              for (const event of batch) {
                if (signal.aborted) return;
                yield event;
              }
              continue;
            }
            if (sub.error) throw sub.error;
            await new Promise<void>((resolve) => {
              sub.wake = resolve;
            });
            sub.wake = undefined;
          }
        } finally {
          signal.removeEventListener('abort', onAbort);
          reader.subscribers.delete(sub);
          reader.wakeTailer?.();
        }
      },
    };
  }

  /** Brings a new subscriber from its start RV to the live stream: table reads, then the buffer. */
  private async catchUp(sub: Subscriber): Promise<void> {
    while (!sub.live) {
      if (sub.next >= this.bufferLow) {
        // Synchronous from here: no entry can be accepted between the buffer copy and going live.
        for (const b of this.bufferSlice(sub.next, this.position)) {
          if (matches(b.entry, sub.filter)) this.deliver(sub, this.eventOf(b));
        }
        sub.next = Math.max(sub.next, this.position);
        sub.live = true;
        return;
      }
      const high = this.bufferLow;
      const { entries, more } = await this.log.read(sub.next, high, this.options.pageSize, sub.filter.resource);
      const marks = await this.log.readWatermarks();
      if (marks.compacted > sub.next) throw errors.expired();
      for (const entry of entries) if (matches(entry, sub.filter)) this.deliver(sub, toChangeEvent(entry));
      sub.next = more && entries.length > 0 ? entries[entries.length - 1].rv : high;
      if (sub.error) throw sub.error;
    }
  }

  private startTailing(): void {
    if (this.tailing) return;
    this.tailing = true;
    void this.tail().finally(() => {
      this.tailing = false;
      // A subscriber may have arrived while the loop was winding down.
      if (this.subscribers.size > 0) this.startTailing();
    });
  }

  private async tail(): Promise<void> {
    let failures = 0;
    while (this.subscribers.size > 0) {
      let waitMs: number;
      try {
        waitMs = await this.step();
        failures = 0;
      } catch (err) {
        this.options.onError?.(err);
        failures++;
        if (failures >= 5) {
          for (const sub of this.subscribers) {
            sub.error = translateDynamoError(err);
            sub.wake?.();
          }
          return;
        }
        waitMs = Math.min(2000, 50 * 2 ** failures);
      }
      if (this.nudged) {
        this.nudged = false;
        continue;
      }
      if (waitMs > 0 && this.subscribers.size > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(waitMs, this.options.pollIntervalMs));
          this.wakeTailer = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wakeTailer = undefined;
      }
    }
  }
}
