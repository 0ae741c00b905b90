/**
 * The event filter on the objects-table stream → dispatch mapping, as Lambda FilterCriteria. The CDK stack emits
 * exactly this, and the local stream poller evaluates the same JSON (local/runtime/event-filter.ts), so both drop
 * the same records before dispatch runs.
 *
 * Events (core and events.k8s.io) are the highest-rate writes and nobody reconciles them.
 */
export const DISPATCH_FILTER_CRITERIA = {
  Filters: [
    {
      Pattern: JSON.stringify({
        dynamodb: { Keys: { pk: { S: [{ 'anything-but': ['core/events', 'events.k8s.io/events'] }] } } },
      }),
    },
  ],
};
