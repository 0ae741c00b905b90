/**
 * The store port (design invariant 1). One adapter (dynamodb-store.ts) is the only code that knows the table
 * layout; the apiserver's generic registry sits above it and owns uid/timestamps/generation/finalizers.
 *
 * Contract:
 * - Every successful write gets a fresh resourceVersion, unique and increasing across the whole cluster, and
 *   appends exactly one change-log entry under that RV, atomically with the object write.
 * - `update`/`delete` are conditional on `expectedRv` (the RV the caller read); a mismatch is a Conflict result
 *   carrying the current object. Unconditional writes are read-modify-write loops in the layer above.
 * - `list` returns a consistent snapshot at its `resourceVersion`: a `watch` from that RV sees every later change
 *   exactly once, in RV order, with nothing before it.
 * - `watch` from an RV older than the retained log fails with `Expired` (HTTP 410).
 * - DynamoDB throttling and transaction conflicts that outlast the adapter's own retries surface as
 *   `errors.tooManyRequests` (HTTP 429 with Retry-After), never as raw SDK errors.
 * Expected outcomes are typed results, not exceptions (kine's style); infrastructure failures throw.
 */
import type { KubeObject } from '../../shared/api/object.ts';

/** `core/pods`, `apps/deployments` — see resourceKey(). */
export type ResourceKey = string;

export interface ObjectRef {
  resource: ResourceKey;
  /** '' for cluster-scoped objects. */
  namespace: string;
  name: string;
}

export type WriteResult =
  | { ok: true; object: KubeObject }
  | { ok: false; reason: 'AlreadyExists' }
  | { ok: false; reason: 'NotFound' }
  | { ok: false; reason: 'Conflict'; current: KubeObject };

export interface ListOptions {
  /** Restrict to one namespace; undefined lists every namespace (and cluster-scoped kinds). */
  namespace?: string;
  /** Page size; the store may return fewer. */
  limit?: number;
  /** Opaque token from a previous page's `continue`. */
  continue?: string;
  /**
   * Serve the exact snapshot at this RV (Kubernetes' `resourceVersionMatch=Exact`) instead of the latest: the
   * current state with the logged changes after it undone, as later pages of a paged list are served. The
   * result's `resourceVersion` is this RV, and its `continue` pages stay at it. Not with `continue` (400).
   * Fails with 410 Expired when the change log no longer reaches back to it (compacted), and with 504
   * (`errors.tooLargeResourceVersion`) when it is above every RV handed out so far: callers wanting to wait
   * for a future RV wait on `currentResourceVersion()` first.
   */
  resourceVersion?: string;
  /** Optional in-store filter applied before paging, so a page of `limit` holds matches only. */
  filter?: (obj: KubeObject) => boolean;
}

export interface ListResult {
  items: KubeObject[];
  /** The snapshot RV (decimal string). */
  resourceVersion: string;
  continue?: string;
  /** Items left after this page, when known. */
  remainingItemCount?: number;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface ChangeEvent {
  type: WatchEventType;
  resource: ResourceKey;
  /** The object after the change (for DELETED: the last state, with the delete's RV). */
  object: KubeObject;
  /** The object before the change, when there was one (MODIFIED, DELETED): lets a selector watch emit DELETED
   *  when an object stops matching. */
  previous?: KubeObject;
  resourceVersion: string;
}

export interface WatchOptions {
  /** Only these resource types; undefined means every type (dispatch uses that). */
  resource?: ResourceKey;
  namespace?: string;
  /** Deliver changes with RV strictly greater than this. */
  fromResourceVersion: string;
  signal: AbortSignal;
}

export type WatchStart = { ok: true; events: AsyncIterable<ChangeEvent> } | { ok: false; reason: 'Expired'; oldest: string };

export interface ObjectStore {
  get(ref: ObjectRef): Promise<KubeObject | undefined>;
  list(resource: ResourceKey, options?: ListOptions): Promise<ListResult>;
  /** Fails with AlreadyExists if the name is taken. The object's metadata.resourceVersion is ignored. */
  create(ref: ObjectRef, object: KubeObject): Promise<WriteResult>;
  update(ref: ObjectRef, object: KubeObject, expectedRv: string): Promise<WriteResult>;
  delete(ref: ObjectRef, expectedRv: string): Promise<WriteResult>;
  watch(options: WatchOptions): Promise<WatchStart>;
  /** The newest RV that is fully settled (every RV at or below it committed or filled). */
  currentResourceVersion(): Promise<string>;
}
