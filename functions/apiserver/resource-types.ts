/**
 * Lookup of the served resource types by group/version/resource (the registry lists them; this indexes them once).
 */
import type { ResourceType } from '../../shared/api/resource-type.ts';

export interface ResourceTypes {
  all: readonly ResourceType[];
  find(group: string, version: string, resource: string): ResourceType | undefined;
  /** Any version of a group/resource (for cross-version internals like namespace cleanup). */
  byResource(group: string, resource: string): ResourceType | undefined;
}

export function indexResourceTypes(types: readonly ResourceType[]): ResourceTypes {
  const byGvr = new Map(types.map((t) => [`${t.group}/${t.version}/${t.resource}`, t]));
  const byGr = new Map<string, ResourceType>();
  for (const t of types) if (!byGr.has(`${t.group}/${t.resource}`)) byGr.set(`${t.group}/${t.resource}`, t);
  return {
    all: types,
    find: (group, version, resource) => byGvr.get(`${group}/${version}/${resource}`),
    byResource: (group, resource) => byGr.get(`${group}/${resource}`),
  };
}
