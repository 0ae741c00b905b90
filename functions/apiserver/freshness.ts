/**
 * Waiting for a resourceVersion the store has not reached yet (apiserver's watch cache waitUntilFreshAndBlock):
 * a client that saw RV N from another server, or a write it made elsewhere, may read "not older than N". We poll
 * the store's settled RV with a short backoff and give up after the wait with apiserver's 504
 * `Too large resource version` (its blockTimeout is 3 s), which client-go's reflector answers by relisting.
 */
import type { ObjectStore } from '../store/object-store.ts';
import { errors } from '../../shared/api/status.ts';

/** apiserver's watch cache blockTimeout. */
export const DEFAULT_RESOURCE_VERSION_WAIT_MS = 3000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolves once the store's current RV is at least `rv`; throws the 504 after `waitMs`. */
export async function awaitResourceVersion(store: ObjectStore, rv: number, waitMs: number, now: () => number = Date.now): Promise<void> {
  const deadline = now() + waitMs;
  let delay = 10;
  for (;;) {
    const current = Number(await store.currentResourceVersion());
    if (current >= rv) return;
    const left = deadline - now();
    if (left <= 0) throw errors.tooLargeResourceVersion(rv, current);
    await sleep(Math.min(delay, left));
    delay = Math.min(delay * 2, 250);
  }
}
