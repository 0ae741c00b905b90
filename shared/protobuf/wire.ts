/**
 * A minimal reader of the protobuf wire format (varints, fixed 32/64, length-delimited). We decode Kubernetes'
 * messages by our own field tables (schema.ts) rather than generated code, so only these primitives are needed.
 */

export const WireType = { varint: 0, fixed64: 1, lengthDelimited: 2, startGroup: 3, endGroup: 4, fixed32: 5 } as const;

export class WireError extends Error {}

export class WireReader {
  pos = 0;
  constructor(readonly buf: Uint8Array, readonly end = buf.length) {}

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** A varint as a JS number. int64 values beyond 2^53 lose precision, which Kubernetes fields never reach;
   *  negative int32/int64 arrive as 10-byte two's-complement varints and are converted back. */
  varint(): number {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.end) throw new WireError('truncated varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) break;
      shift += 7n;
      if (shift > 63n) throw new WireError('varint too long');
    }
    return Number(BigInt.asIntN(64, result));
  }

  fixed32(): number {
    if (this.pos + 4 > this.end) throw new WireError('truncated fixed32');
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).getUint32(0, true);
    this.pos += 4;
    return v;
  }

  fixed64(): DataView {
    if (this.pos + 8 > this.end) throw new WireError('truncated fixed64');
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8);
    this.pos += 8;
    return v;
  }

  double(): number {
    return this.fixed64().getFloat64(0, true);
  }

  bytes(): Uint8Array {
    const len = this.varint();
    if (len < 0 || this.pos + len > this.end) throw new WireError('truncated length-delimited field');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  string(): string {
    return new TextDecoder('utf-8').decode(this.bytes());
  }

  /** The next field's number and wire type. */
  tag(): { field: number; wireType: number } {
    const t = this.varint();
    return { field: t >>> 3, wireType: t & 7 };
  }

  /** Skips one value of the given wire type; returns true when it was a zero value (0 or empty). Used to accept
   *  fields our tables do not know as long as they carry nothing, which is how Go writes unset non-pointer fields. */
  skip(wireType: number): boolean {
    switch (wireType) {
      case WireType.varint:
        return this.varint() === 0;
      case WireType.fixed64:
        return this.fixed64().getBigUint64(0, true) === 0n;
      case WireType.fixed32:
        return this.fixed32() === 0;
      case WireType.lengthDelimited:
        return isZeroMessage(this.bytes());
      default:
        throw new WireError(`unsupported wire type ${wireType}`);
    }
  }
}

/** True when bytes are empty or parse as a message whose every field is itself zero (a zeroed Go struct). */
export function isZeroMessage(bytes: Uint8Array): boolean {
  if (bytes.length === 0) return true;
  try {
    const r = new WireReader(bytes);
    while (!r.done) {
      const { field, wireType } = r.tag();
      if (field === 0 || !r.skip(wireType)) return false;
    }
    return true;
  } catch {
    return false;
  }
}
