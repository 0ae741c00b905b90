/**
 * Label and field selectors of a list/watch request, compiled once into a predicate over objects of one resource
 * type. Parsing and matching are shared/labels'; this file only knows which fields a type supports
 * (metadata.name, metadata.namespace and the type's selectableFields), like apiserver's per-kind field sets.
 */
import type { KubeObject } from '../../shared/api/object.ts';
import type { ResourceType } from '../../shared/api/resource-type.ts';
import { checkFieldsSupported, matchesFields, objectMetaFields, parseFieldSelector } from '../../shared/labels/field-selector.ts';
import { isEverything, matchesLabels, parseLabelSelector } from '../../shared/labels/label-selector.ts';

export type ObjectPredicate = (obj: KubeObject) => boolean;

/** Every field a type can be selected by. selectableFields is probed on an empty object to learn its keys. */
export function supportedFields(type: ResourceType): string[] {
  const fields = ['metadata.name', ...(type.namespaced ? ['metadata.namespace'] : [])];
  if (type.selectableFields) {
    try {
      fields.push(...Object.keys(type.selectableFields({ apiVersion: '', kind: type.kind, metadata: {} })));
    } catch {
      // A selectableFields that needs a full object offers no names we could probe; metadata fields remain.
    }
  }
  return fields;
}

export function objectFields(type: ResourceType, obj: KubeObject): Record<string, string> {
  return { ...objectMetaFields(obj.metadata, type.namespaced), ...(type.selectableFields?.(obj) ?? {}) };
}

/** Compiles `labelSelector`/`fieldSelector` query text; undefined when both select everything. Throws 400s. */
export function compileSelectors(type: ResourceType, labelSelector?: string, fieldSelector?: string): ObjectPredicate | undefined {
  const labels = labelSelector ? parseLabelSelector(labelSelector) : undefined;
  const fields = fieldSelector ? parseFieldSelector(fieldSelector) : undefined;
  if (fields) checkFieldsSupported(fields, supportedFields(type));
  const checkLabels = labels && !isEverything(labels) ? labels : undefined;
  const checkFields = fields && fields.requirements.length ? fields : undefined;
  if (!checkLabels && !checkFields) return undefined;
  return (obj) =>
    (!checkLabels || matchesLabels(checkLabels, obj.metadata.labels)) && (!checkFields || matchesFields(checkFields, objectFields(type, obj)));
}
