import { describe, expect, it } from 'vitest';
import { isZeroMessage, WireReader } from '../../../shared/protobuf/wire.ts';
import { encode } from './wire-writer.ts';

describe('WireReader', () => {
  it.each([
    [0, [0x00]],
    [1, [0x01]],
    [300, [0xac, 0x02]],
    [2 ** 40, [0x80, 0x80, 0x80, 0x80, 0x80, 0x20]],
    [-1, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]],
  ])('reads the varint %d', (value, bytes) => {
    expect(new WireReader(Uint8Array.from(bytes)).varint()).toBe(value);
  });

  it('refuses a truncated varint and a length beyond the buffer', () => {
    expect(() => new WireReader(Uint8Array.from([0x80])).varint()).toThrow(/truncated/);
    expect(() => new WireReader(Uint8Array.from([0x05, 0x61])).bytes()).toThrow(/truncated/);
  });
});

describe('isZeroMessage', () => {
  it.each([
    ['empty bytes', new Uint8Array(), true],
    ['a zeroed Go struct', encode([[1, ''], [2, 0], [3, false], [4, [[1, '']]]]), true],
    ['a message with a value', encode([[1, ''], [2, 7]]), false],
    ['a non-empty string', new TextEncoder().encode('ab'), false],
  ])('says %s → %s', (_name, bytes, expected) => {
    expect(isZeroMessage(bytes)).toBe(expected);
  });
});
