/**
 * The event filter on the objects-table stream → dispatch mapping, as Lambda FilterCriteria. The CDK stack emits
 * exactly this, and the local stream poller evaluates the same JSON (local/runtime/event-filter.ts), so both drop
 * the same records before dispatch runs. A record passes when either filter matches.
 *
 * - Events (core and events.k8s.io) are the highest-rate writes and nobody reconciles them.
 * - Lease renewals (MODIFY) are the idle cluster's steady writes — every node every heartbeat — and wake nothing:
 *   node lifecycle is time-driven (requeue + resync). Only a Lease's creation or removal is dispatched (the node
 *   lifecycle controller notices a node's lease appearing or going). Filtering them here saves a dispatch
 *   invocation per heartbeat, the largest line of an idle cluster's bill (bench/idle-cost.ts).
 */
export const DISPATCH_FILTER_CRITERIA = {
  Filters: [
    {
      Pattern: JSON.stringify({
        dynamodb: { Keys: { pk: { S: [{ 'anything-but': ['core/events', 'events.k8s.io/events', 'coordination.k8s.io/leases'] }] } } },
      }),
    },
    {
      Pattern: JSON.stringify({
        eventName: ['INSERT', 'REMOVE'],
        dynamodb: { Keys: { pk: { S: ['coordination.k8s.io/leases'] } } },
      }),
    },
  ],
};
