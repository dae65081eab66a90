/**
 * What the generated Avro readers (avro-transcoder.ts) call at run time: the varint reader
 * for multi-byte values, decimals, avsc for values read in place, and the errors of a bad body.
 */
import type avsc from 'avsc';
import type { ByteWriter } from './bytes.js';
import { BadValueError } from './writers.js';

/** A body that does not decode with its schema (a record-level problem, not a bug). */
export class AvroBodyError extends RangeError {}

/** A read position in one Avro body, for the helpers the generated code calls (it keeps its own copy in a local). */
interface Cursor {
  buf: Buffer;
  pos: number;
}

/**
 * Zig-zag varint as Avro writes int and long; exact for every safe integer. Beyond 28 bits the
 * zig-zag's low bit (the sign) is taken apart before the rest is summed: summed with it, a value
 * of 2^52 or more would lose that bit to rounding and come back with the wrong sign (as avsc's
 * does).
 */
function readLong(cursor: Cursor): number {
  const buf = cursor.buf;
  let b = buf[cursor.pos++] as number;
  let n = b & 0x7f;
  let shift = 7;
  while (b & 0x80 && shift < 28) {
    b = buf[cursor.pos++] as number;
    n |= (b & 0x7f) << shift;
    shift += 7;
  }
  if (!(b & 0x80)) return (n >>> 1) ^ -(n & 1);
  let magnitude = n >>> 1;
  let scale = 134_217_728; // 2^27: the zig-zag's bits above its 28 low ones, without the sign bit
  do {
    b = buf[cursor.pos++] as number;
    magnitude += (b & 0x7f) * scale;
    scale *= 128;
  } while (b & 0x80);
  return n & 1 ? -magnitude - 1 : magnitude;
}

/** Writes the big-endian two's-complement bytes buf[start, end) as a little-endian integer of `width` bytes. */
function writeDecimal(out: ByteWriter, buf: Buffer, start: number, end: number, width: number): void {
  const negative = end > start && ((buf[start] as number) & 0x80) !== 0;
  const fill = negative ? 0xff : 0;
  // Minimal encodings never exceed the width for values within the precision; longer ones must be
  // sign extension only (the bytes dropped equal the fill and the kept top bit keeps the sign).
  const keptTop = end - width;
  if (
    keptTop > start &&
    (buf.subarray(start, keptTop).some((byte) => byte !== fill) ||
      (((buf[keptTop] as number) & 0x80) !== 0) !== negative)
  ) {
    // The body decodes; the value is what the column cannot hold.
    throw new BadValueError(`decimal of ${end - start} bytes does not fit ${width} bytes`);
  }
  out.reserve(width);
  const target = out.buffer;
  const base = out.at;
  for (let i = 0; i < width; i++) target[base + i] = end - 1 - i >= start ? (buf[end - 1 - i] as number) : fill;
  out.at = base + width;
}

/** One value decoded by avsc where the cursor stands (for what the generated code does not read itself). */
function decodeInPlace(type: avsc.Type, cursor: Cursor): unknown {
  let decoded: { value: unknown; offset: number };
  try {
    decoded = type.decode(cursor.buf, cursor.pos);
  } catch (error) {
    throw new AvroBodyError(`value at byte ${cursor.pos} does not decode: ${(error as Error).message}`);
  }
  if (decoded.offset < 0) throw new AvroBodyError(`value at byte ${cursor.pos} runs past the end of the body`);
  cursor.pos = decoded.offset;
  return decoded.value;
}

/** What the generated code calls; passed in as one object, so the source names nothing outside it. */
export const HELPERS = Object.freeze({
  readLong,
  writeDecimal,
  decodeInPlace,
  spanError: (length: number, start: number) =>
    new AvroBodyError(`length ${length} at byte ${start} runs past the end of the body`),
  branchError: (index: number) => new AvroBodyError(`union branch ${index} does not exist`),
  fixedError: (size: number, start: number) =>
    new AvroBodyError(`${size} bytes at byte ${start} run past the end of the body`),
  endError: (pos: number, length: number) =>
    new AvroBodyError(pos > length ? 'the body ends inside a value' : `${length - pos} bytes left after the record`),
});
