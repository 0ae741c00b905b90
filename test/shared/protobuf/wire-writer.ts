/** A tiny protobuf writer for hand-made test samples (the production code only reads). */

function varint(n: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}

export type Field = [field: number, value: number | bigint | boolean | string | Uint8Array | Field[]];

/** Encodes fields in order: numbers/booleans as varints, strings and bytes length-delimited, nested arrays as
 *  embedded messages. */
export function encode(fields: Field[]): Uint8Array {
  const out: number[] = [];
  for (const [no, value] of fields) {
    if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
      out.push(...varint((no << 3) | 0), ...varint(typeof value === 'boolean' ? Number(value) : value));
    } else {
      const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : value instanceof Uint8Array ? value : encode(value);
      out.push(...varint((no << 3) | 2), ...varint(bytes.length), ...bytes);
    }
  }
  return Uint8Array.from(out);
}

/** A whole request body: `k8s\0` + runtime.Unknown{typeMeta, raw}. */
export function envelope(apiVersion: string, kind: string, raw: Field[]): Buffer {
  return Buffer.concat([Buffer.from('k8s\0', 'latin1'), encode([[1, [[1, apiVersion], [2, kind]]], [2, encode(raw)]])]);
}
