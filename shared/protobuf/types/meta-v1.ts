/** k8s.io.apimachinery.pkg.apis.meta.v1 (and the runtime/intstr/resource helpers it leans on). */
import { bool, int64, map, msg, msgs, str, strs, type MessageSpec } from '../schema.ts';

export const metaV1: Record<string, MessageSpec> = {
  'meta.v1.ObjectMeta': {
    1: str('name'),
    2: str('generateName'),
    3: str('namespace'),
    4: str('selfLink'),
    5: str('uid'),
    6: str('resourceVersion'),
    7: int64('generation'),
    8: msg('creationTimestamp', 'Time'),
    9: msg('deletionTimestamp', 'Time', { ptr: true }),
    10: int64('deletionGracePeriodSeconds', { ptr: true }),
    11: map('labels', 'string'),
    12: map('annotations', 'string'),
    13: msgs('ownerReferences', 'meta.v1.OwnerReference'),
    14: strs('finalizers'),
    17: msgs('managedFields', 'meta.v1.ManagedFieldsEntry'),
  },
  'meta.v1.OwnerReference': {
    1: str('kind'),
    3: str('name'),
    4: str('uid'),
    5: str('apiVersion'),
    6: bool('controller', { ptr: true }),
    7: bool('blockOwnerDeletion', { ptr: true }),
  },
  'meta.v1.ManagedFieldsEntry': {
    1: str('manager'),
    2: str('operation'),
    3: str('apiVersion'),
    4: msg('time', 'Time', { ptr: true }),
    6: str('fieldsType'),
    7: msg('fieldsV1', 'FieldsV1', { ptr: true }),
    8: str('subresource'),
  },
  'meta.v1.LabelSelector': {
    1: map('matchLabels', 'string'),
    2: msgs('matchExpressions', 'meta.v1.LabelSelectorRequirement'),
  },
  'meta.v1.LabelSelectorRequirement': { 1: str('key'), 2: str('operator'), 3: strs('values') },
  'meta.v1.Condition': {
    1: str('type'),
    2: str('status'),
    3: int64('observedGeneration'),
    4: msg('lastTransitionTime', 'Time'),
    5: str('reason'),
    6: str('message'),
  },
  'meta.v1.DeleteOptions': {
    1: int64('gracePeriodSeconds', { ptr: true }),
    2: msg('preconditions', 'meta.v1.Preconditions', { ptr: true }),
    3: bool('orphanDependents', { ptr: true }),
    4: str('propagationPolicy', { ptr: true }),
    5: strs('dryRun'),
    6: bool('ignoreStoreReadErrorWithClusterBreakingPotential', { ptr: true }),
  },
  'meta.v1.Preconditions': { 1: str('uid', { ptr: true }), 2: str('resourceVersion', { ptr: true }) },
  'meta.v1.CreateOptions': { 1: strs('dryRun'), 3: str('fieldManager'), 4: str('fieldValidation') },
  'meta.v1.UpdateOptions': { 1: strs('dryRun'), 2: str('fieldManager'), 3: str('fieldValidation') },
  'meta.v1.PatchOptions': { 1: strs('dryRun'), 2: bool('force', { ptr: true }), 3: str('fieldManager'), 4: str('fieldValidation') },
};

/** Field numbers of the well-known messages (decoded specially, see decode-message.ts). */
export const wellKnownFields = {
  Time: { seconds: 1, nanos: 2 },
  IntOrString: { type: 1, intVal: 2, strVal: 3 },
  Quantity: { string: 1 },
  FieldsV1: { raw: 1 },
  RawExtension: { raw: 1 },
} as const;

