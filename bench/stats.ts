/**
 * Latency figures for the benchmarks: percentiles by nearest rank, and a bounded concurrent runner.
 * Pure helpers apart from the clock; the benchmark scripts print what these return.
 */

export interface Summary {
  n: number;
  p50: number;
  p99: number;
  max: number;
  /** Operations per second over the wall time of the run. */
  throughput: number;
}

/** Nearest-rank percentile of already sorted values (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function summarize(samples: readonly number[], wallMs: number): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
    throughput: wallMs > 0 ? (sorted.length * 1000) / wallMs : Number.NaN,
  };
}

export interface RunLimits {
  /** Concurrent workers. */
  concurrency: number;
  /** Total operations across workers. */
  ops: number;
  /** Stop handing out operations after this long (operations in flight finish). */
  maxMs: number;
}

/**
 * Runs `op(worker, i)` with `concurrency` workers until `ops` operations ran or `maxMs` passed, and returns the
 * latency of each operation in ms. An operation that throws aborts the run: figures from a failing server are
 * not figures.
 */
export async function runConcurrent(limits: RunLimits, op: (worker: number, i: number) => Promise<void>): Promise<{ samples: number[]; wallMs: number }> {
  const samples: number[] = [];
  let next = 0;
  const start = performance.now();
  const deadline = start + limits.maxMs;
  await Promise.all(
    Array.from({ length: limits.concurrency }, async (_, worker) => {
      for (;;) {
        const i = next++;
        if (i >= limits.ops || performance.now() > deadline) return;
        const t0 = performance.now();
        await op(worker, i);
        samples.push(performance.now() - t0);
      }
    }),
  );
  return { samples, wallMs: performance.now() - start };
}
