/**
 * JSON patch (RFC 6902) through `fast-json-patch`, with apiserver's error mapping: a body that is not a list of
 * operations is a 400; an operation that cannot be applied (failed `test`, missing path) is a 422
 * "the server rejected our request due to an error in our request".
 */
import jsonpatch, { type Operation } from 'fast-json-patch';
import { errors } from '../api/status.ts';

/** apiserver refuses longer patches (maxJSONPatchOperations). */
export const MAX_JSON_PATCH_OPERATIONS = 10000;

// The package is CommonJS: under Node's ESM only its default export carries the functions.
const { applyPatch, JsonPatchError } = jsonpatch;
type JsonPatchError = InstanceType<typeof JsonPatchError>;

/** Returns the patched document; `original` is not modified. */
export function applyJsonPatch<T>(original: T, patch: unknown): T {
  const operations = decodeJsonPatch(patch);
  try {
    return applyPatch(structuredClone(original), operations, true, true, true).newDocument;
  } catch (err) {
    if (err instanceof JsonPatchError) throw errors.patchRejected(describe(err));
    throw err;
  }
}

function decodeJsonPatch(patch: unknown): Operation[] {
  if (!Array.isArray(patch)) {
    throw errors.badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  }
  if (patch.length > MAX_JSON_PATCH_OPERATIONS) {
    throw errors.badRequest(`The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${patch.length}`);
  }
  for (const op of patch) {
    if (typeof op !== 'object' || op === null || Array.isArray(op)) {
      throw errors.badRequest('json: cannot unmarshal array element into Go value of type jsonpatch.Operation');
    }
  }
  return patch as Operation[];
}

/** Wording close to evanphx/json-patch, which apiserver uses. */
function describe(err: JsonPatchError): string {
  const op = (err.operation ?? {}) as { op?: string; path?: string; from?: string };
  switch (err.name) {
    case 'TEST_OPERATION_FAILED':
      return `testing value ${op.path} failed: test failed`;
    case 'OPERATION_PATH_UNRESOLVABLE':
    case 'OPERATION_PATH_CANNOT_ADD':
    case 'OPERATION_VALUE_OUT_OF_BOUNDS':
      return `${op.op} operation does not apply: doc is missing path: "${op.path}": missing value`;
    case 'OPERATION_FROM_UNRESOLVABLE':
      return `${op.op} operation does not apply: doc is missing from path: "${op.from}": missing value`;
    case 'OPERATION_OP_INVALID':
      return `Unexpected kind: ${String(op.op)}`;
    case 'OPERATION_VALUE_REQUIRED':
      return `${op.op} operation does not apply: missing value`;
    default:
      return err.message.split('\n')[0];
  }
}
