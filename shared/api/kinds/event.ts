/** core/v1 Event: what controllers and the node agent record; `kubectl describe` reads them by involvedObject. */
import { z } from 'zod';
import type { FieldError } from '../resource-type.ts';
import { age, column, isZeroTime } from '../table-format.ts';
import { fieldErrors, nameValidators } from '../validation.ts';
import { defineKind, objectShape, str, type Json } from './meta.ts';

export const ObjectReferenceSchema = z.looseObject({
  kind: z.string().optional(),
  namespace: z.string().optional(),
  name: z.string().optional(),
  uid: z.string().optional(),
  apiVersion: z.string().optional(),
  resourceVersion: z.string().optional(),
  fieldPath: z.string().optional(),
});

export const EventSchema = z.looseObject({
  ...objectShape('v1', 'Event'),
  involvedObject: ObjectReferenceSchema,
  reason: z.string().optional(),
  message: z.string().optional(),
  source: z.looseObject({ component: z.string().optional(), host: z.string().optional() }).optional(),
  firstTimestamp: z.string().nullable().optional(),
  lastTimestamp: z.string().nullable().optional(),
  count: z.number().int().optional(),
  type: z.string().optional(),
  eventTime: z.string().nullable().optional(),
  series: z.looseObject({ count: z.number().int().optional(), lastObservedTime: z.string().optional() }).optional(),
  action: z.string().optional(),
  reportingComponent: z.string().optional(),
  reportingInstance: z.string().optional(),
});
export type Event = z.infer<typeof EventSchema>;

function validateEvent(obj: Json): FieldError[] {
  const errs: FieldError[] = [];
  const io = obj.involvedObject ?? {};
  const ns = obj.metadata?.namespace ?? '';
  if (io.namespace && ns && io.namespace !== ns) errs.push(fieldErrors.invalid('involvedObject.namespace', io.namespace, 'does not match event.namespace'));
  if (obj.type && !['Normal', 'Warning'].includes(obj.type)) errs.push(fieldErrors.notSupported('type', obj.type, ['Normal', 'Warning']));
  if ((obj.reason ?? '').length > 128) errs.push(fieldErrors.tooLong('reason', 128));
  if ((obj.message ?? '').length > 4096) errs.push(fieldErrors.tooLong('message', 4096));
  return errs;
}

function eventSource(e: Event): string {
  const component = e.source?.component || e.reportingComponent || '';
  const host = e.source?.host || e.reportingInstance || '';
  return host ? `${component}, ${host}` : component;
}

export const events = defineKind({
  group: '',
  version: 'v1',
  resource: 'events',
  kind: 'Event',
  namespaced: true,
  shortNames: ['ev'],
  schema: EventSchema,
  strategy: { hasStatusSubresource: false, tracksGeneration: false, name: nameValidators.dnsSubdomain, validate: validateEvent },
  table: {
    columns: [
      column('Last Seen', 'The time at which the most recent occurrence of this event was recorded.'),
      column('Type', 'Type of this event (Normal, Warning), new types could be added in the future'),
      column('Reason', 'This should be a short, machine understandable string that gives the reason for the transition into the object\'s current status.'),
      column('Object', 'The object that this event is about.'),
      column('Subobject', 'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement.', { wide: true }),
      column('Source', 'The component reporting this event. Should be a short machine understandable string.', { wide: true }),
      column('Message', 'A human-readable description of the status of this operation.'),
      column('First Seen', 'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)', { wide: true }),
      column('Count', 'The number of times this event has occurred.', { wide: true }),
      { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 1 },
    ],
    cells: (obj, now) => {
      const e = obj as Event;
      const first = isZeroTime(e.firstTimestamp) ? age(e.eventTime, now) : age(e.firstTimestamp, now);
      let last = isZeroTime(e.lastTimestamp) ? first : age(e.lastTimestamp, now);
      let count = e.count ?? 0;
      if (e.series) {
        last = age(e.series.lastObservedTime, now);
        count = e.series.count ?? 0;
      } else if (count === 0) count = 1;
      const io = e.involvedObject ?? {};
      const target = io.name ? `${(io.kind ?? '').toLowerCase()}/${io.name}` : (io.kind ?? '').toLowerCase();
      return [last, e.type ?? '', e.reason ?? '', target, io.fieldPath ?? '', eventSource(e), (e.message ?? '').trim(), first, count, e.metadata.name];
    },
  },
  selectableFields: (e) => ({
    'involvedObject.kind': str(e.involvedObject?.kind),
    'involvedObject.namespace': str(e.involvedObject?.namespace),
    'involvedObject.name': str(e.involvedObject?.name),
    'involvedObject.uid': str(e.involvedObject?.uid),
    'involvedObject.apiVersion': str(e.involvedObject?.apiVersion),
    'involvedObject.resourceVersion': str(e.involvedObject?.resourceVersion),
    'involvedObject.fieldPath': str(e.involvedObject?.fieldPath),
    reason: str(e.reason),
    reportingComponent: str(e.reportingComponent),
    source: str(e.source?.component || e.reportingComponent),
    type: str(e.type),
  }),
});
