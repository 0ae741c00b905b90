/**
 * Our own field tables for the Kubernetes protobuf messages we decode, written from Kubernetes' field numbers
 * (the `protobuf:"…"` tags of k8s.io/api and k8s.io/apimachinery). They are data, read by decode-message.ts.
 *
 * Go semantics that matter for JSON:
 * - `ptr`: the Go field is a pointer. Go writes it only when set, so presence means "keep, even when zero"
 *   (`replicas: 0`). Non-pointer fields are always written by Go; their zero values are dropped, as Go's JSON
 *   `omitempty` would (and for the few non-omitempty ones, the zero is meaningless noise in a stored object).
 * - `inline`: an embedded Go struct (`json:",inline"`): its fields are merged into the parent JSON object.
 */

export type ScalarType = 'string' | 'int32' | 'int64' | 'bool' | 'bytes' | 'double';

/** Messages with a special JSON form, handled by the decoder itself. */
export type WellKnownType = 'Time' | 'Quantity' | 'IntOrString' | 'FieldsV1' | 'RawExtension';

export interface FieldSpec {
  name: string;
  type: ScalarType | 'message' | 'map';
  /** For `message`: the message's name in the registry, or a well-known type. */
  message?: string;
  /** For `map`: the value type (keys are always strings in Kubernetes). */
  mapValue?: ScalarType | string;
  repeated?: boolean;
  ptr?: boolean;
  inline?: boolean;
}

export type MessageSpec = Record<number, FieldSpec>;

type Opts = Pick<FieldSpec, 'repeated' | 'ptr' | 'inline'>;

export const str = (name: string, o: Opts = {}): FieldSpec => ({ name, type: 'string', ...o });
export const int32 = (name: string, o: Opts = {}): FieldSpec => ({ name, type: 'int32', ...o });
export const int64 = (name: string, o: Opts = {}): FieldSpec => ({ name, type: 'int64', ...o });
export const bool = (name: string, o: Opts = {}): FieldSpec => ({ name, type: 'bool', ...o });
export const bytes = (name: string, o: Opts = {}): FieldSpec => ({ name, type: 'bytes', ...o });
export const double = (name: string, o: Opts = {}): FieldSpec => ({ name, type: 'double', ...o });
export const msg = (name: string, message: string, o: Opts = {}): FieldSpec => ({ name, type: 'message', message, ...o });
export const map = (name: string, mapValue: ScalarType | string): FieldSpec => ({ name, type: 'map', mapValue });
export const strs = (name: string): FieldSpec => str(name, { repeated: true });
export const msgs = (name: string, message: string): FieldSpec => msg(name, message, { repeated: true });
