/**
 * Bounded concurrency for the scheduler's writes. Every bind is a store write (an RV from the one counter plus a
 * transaction); thousands of them started at once only queue inside DynamoDB and the SDK, lengthen every writer's
 * hold on its RV (readers then wait on gaps and fill them, and the writer retries under a new RV) and push single
 * cycles past their deadline. A few dozen in flight keep the store saturated without that churn.
 */
export async function forEachBounded<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++];
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}
