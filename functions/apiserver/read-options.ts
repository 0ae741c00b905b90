/**
 * What a read's `resourceVersion` / `resourceVersionMatch` ask for, validated as apiserver validates them
 * (apimachinery's ValidateListOptions, then the storage layer's checks), so clients get the same 422/400s:
 * - unset: the most recent data, a consistent read;
 * - `0`: any data (we serve the latest, which is allowed);
 * - `N` with NotOlderThan (or without a match on a get, or on a list without `limit`): data at least as new as N;
 * - `N` with Exact (or without a match on a list with `limit`, apiserver's legacy rule): the snapshot at N.
 * Pure; waiting for a future RV is freshness.ts.
 */
import { errors } from '../../shared/api/status.ts';
import { fieldErrors } from '../../shared/api/validation.ts';
import type { FieldError } from '../../shared/api/resource-type.ts';

export type ReadConsistency =
  | { kind: 'latest' }
  | { kind: 'any' }
  | { kind: 'notOlderThan'; rv: number }
  | { kind: 'exact'; rv: number };

const EXACT = 'Exact';
const NOT_OLDER_THAN = 'NotOlderThan';

/** A resourceVersion parameter as a number (RVs are decimal integers here, as etcd's are). */
export function parseResourceVersion(value: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw errors.badRequest(`invalid resource version: ${value}`);
  return n;
}

function invalidListOptions(causes: FieldError[]): never {
  throw errors.invalid('ListOptions', 'meta.k8s.io', '', causes);
}

/** The consistency a list asks for. `limit` is the page size asked (apiserver's legacy Exact rule needs it). */
export function listReadConsistency(query: Record<string, string>, limit: number | undefined): ReadConsistency {
  const rv = query.resourceVersion ?? '';
  const match = query.resourceVersionMatch ?? '';
  const cont = query.continue ?? '';
  const causes: FieldError[] = [];
  if (match !== '') {
    if (rv === '') causes.push(fieldErrors.forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided'));
    if (cont !== '') causes.push(fieldErrors.forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
    if (match !== EXACT && match !== NOT_OLDER_THAN) causes.push(fieldErrors.notSupported('resourceVersionMatch', match, [EXACT, NOT_OLDER_THAN, '']));
    if (match === EXACT && rv === '0') causes.push(fieldErrors.forbidden('resourceVersionMatch', 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'));
  }
  if (query.sendInitialEvents !== undefined) causes.push(fieldErrors.forbidden('sendInitialEvents', 'sendInitialEvents is forbidden for list'));
  if (causes.length) invalidListOptions(causes);

  if (cont !== '') {
    // The token carries its own snapshot RV; "0" is tolerated because old clients sent it along.
    if (rv !== '' && rv !== '0') throw errors.badRequest('specifying resource version is not allowed when using continue');
    return { kind: 'latest' };
  }
  if (rv === '') return { kind: 'latest' };
  const n = parseResourceVersion(rv);
  if (n === 0) return { kind: 'any' };
  if (match === EXACT || (match === '' && limit !== undefined && limit > 0)) return { kind: 'exact', rv: n };
  return { kind: 'notOlderThan', rv: n };
}

/** The consistency a get asks for. GetOptions has no resourceVersionMatch: apiserver ignores one, and so do we. */
export function getReadConsistency(query: Record<string, string>): ReadConsistency {
  const rv = query.resourceVersion ?? '';
  if (rv === '') return { kind: 'latest' };
  const n = parseResourceVersion(rv);
  return n === 0 ? { kind: 'any' } : { kind: 'notOlderThan', rv: n };
}

/**
 * apiserver's validateWatchOptions: `resourceVersionMatch` belongs to watch-list only (with sendInitialEvents,
 * and then only NotOlderThan); client-go falls back to list+watch on these 422s.
 */
export function checkWatchOptions(query: Record<string, string>): void {
  const match = query.resourceVersionMatch ?? '';
  const causes: FieldError[] = [];
  if (query.sendInitialEvents !== undefined && match !== NOT_OLDER_THAN) {
    causes.push(fieldErrors.forbidden('resourceVersionMatch', `sendInitialEvents requires setting resourceVersionMatch to ${NOT_OLDER_THAN}`));
  }
  if (match !== '') {
    if (query.sendInitialEvents === undefined) {
      causes.push(fieldErrors.forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'));
    }
    if (match !== NOT_OLDER_THAN) causes.push(fieldErrors.notSupported('resourceVersionMatch', match, [NOT_OLDER_THAN]));
    if ((query.continue ?? '') !== '') causes.push(fieldErrors.forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
  }
  if (causes.length) invalidListOptions(causes);
}
