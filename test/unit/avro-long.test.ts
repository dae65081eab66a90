/**
 * Avro longs as this project writes them (avro/binary-output.ts) and reads them (the generated
 * readers' varint helper, sinks/columnar/avro-transcoder-runtime.ts), against the zigzag varint
 * computed with BigInt: exact for every safe integer, the sign included. Summing a zigzag of 2^53
 * or more in a double rounds its low bit (the sign) away, which is how avsc reads -8.64e15 (the
 * earliest JavaScript date, in ms) as +8.64e15.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BinaryOutput } from '../../avro/binary-output.js';
import { HELPERS } from '../../sinks/columnar/avro-transcoder-runtime.js';

/** The zigzag varint of `value`, computed exactly. */
function expectedBytes(value: number): number[] {
  const n = BigInt(value);
  let zigzag = n >= 0n ? n * 2n : -n * 2n - 1n;
  const bytes: number[] = [];
  while (zigzag >= 128n) {
    bytes.push(Number(zigzag % 128n) | 0x80);
    zigzag /= 128n;
  }
  bytes.push(Number(zigzag));
  return bytes;
}

const VALUES = [
  0,
  -1,
  1,
  63,
  -64,
  2 ** 27,
  -(2 ** 27) - 1,
  2 ** 30 - 1,
  -(2 ** 30),
  2 ** 30,
  -(2 ** 30) - 1,
  2 ** 31,
  -(2 ** 31) - 1,
  1_764_547_200_000, // a timestamp-millis of 2025
  -62_135_596_800_000, // year 1, in ms
  2 ** 52 - 1,
  2 ** 52,
  -(2 ** 52),
  -(2 ** 52) - 1,
  8.64e15,
  -8.64e15,
  Number.MAX_SAFE_INTEGER,
  Number.MIN_SAFE_INTEGER,
  Number.MAX_SAFE_INTEGER - 1,
  Number.MIN_SAFE_INTEGER + 1,
];

describe('Avro long', () => {
  it('is written as the exact zigzag varint of every safe integer, sign included', () => {
    for (const value of VALUES) {
      const out = new BinaryOutput(16);
      out.long(value);
      assert.deepEqual([...out.buf.subarray(0, out.pos)], expectedBytes(value), String(value));
    }
  });

  it('is read back exactly from the zigzag varint, sign included', () => {
    for (const value of VALUES) {
      const bytes = expectedBytes(value);
      const cursor = { buf: Buffer.from([0xaa, ...bytes, 0xbb]), pos: 1 };
      assert.equal(HELPERS.readLong(cursor), value, String(value));
      assert.equal(cursor.pos, 1 + bytes.length, `${value}: the cursor stops after its bytes`);
    }
  });
});
