/**
 * PostgreSQL's binary COPY format: the body's buffers (`CopyChunks`, of CopyData size, each handed
 * on as soon as it is full) and the field writer of each column type, for a value as rows.ts gives
 * it (keys, lineage, and the nested values the transcoder decodes, copy-transcoder.ts). Each field
 * is its type's binary wire form (what the type's `_recv` function reads):
 *
 *   timestamp (epoch ms) → int64 µs since 2000-01-01    date (days) → int32 days since 2000-01-01
 *   decimal text, uint64 → numeric (numeric-binary.ts)   bytes (base64, rows.ts) → the bytes
 *   string, enum → UTF-8    boolean → one byte    integers → int2/int4/int8    floats → float4/8
 *   array of scalars → a one-dimensional array of the element type (its OID, as the column has it)
 *   jsonb → version byte 1 and the same JSON text as copy-text.ts's columnText
 *
 * The server parses no text for timestamps, dates, numbers or arrays, and still checks what matters:
 * UTF-8 validity (a NUL byte is refused), a numeric's precision, a timestamp's range, JSON syntax.
 * A value that cannot be written at all (decimal text that is no number) is refused here with the
 * server's own SQLSTATE (22P02).
 */
import type { ColumnType } from '../columns.js';
import { columnText } from './copy-text.js';
import { numericWire, type NumericWire } from './numeric-binary.js';
import { scalarArrayItems, scalarType, withoutNull } from './types.js';

/** The binary COPY signature, flags and header extension length (PostgreSQL's COPY documentation). */
export const HEADER = Buffer.from([
  0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
]);
export const TRAILER = -1;
/** Size of the buffers the body is written into; each is sent as one CopyData message. */
const CHUNK_BYTES = 256 * 1024;
/** First buffer of an array value, which is written apart to learn its length. */
const ARRAY_CHUNK_BYTES = 256;
/** Milliseconds and days from the Unix epoch to PostgreSQL's (2000-01-01). */
const PG_EPOCH_MS = 946_684_800_000;
export const PG_EPOCH_DAYS = 10_957;
const TWO_32 = 2 ** 32;
/** Beyond this many ms from 2000 (±285 years) the µs no longer fit a double exactly: BigInt then. */
const EXACT_MS = 9_000_000_000_000;

/** The body being written: full chunks, then the current one. */
export class CopyChunks {
  readonly chunks: Buffer[] = [];
  private readonly chunkBytes: number;
  private buffer: Buffer;
  private at = 0;

  constructor(chunkBytes = CHUNK_BYTES) {
    this.chunkBytes = chunkBytes;
    this.buffer = Buffer.allocUnsafe(chunkBytes);
  }

  /** Room for `bytes` more in the current chunk (a new chunk when the current one has too little). */
  private room(bytes: number): Buffer {
    if (this.at + bytes > this.buffer.length) {
      if (this.at > 0) this.chunks.push(this.buffer.subarray(0, this.at));
      this.buffer = Buffer.allocUnsafe(Math.max(this.chunkBytes, bytes));
      this.at = 0;
    }
    return this.buffer;
  }

  int16(value: number): void {
    this.at = this.room(2).writeInt16BE(value, this.at);
  }

  int32(value: number): void {
    this.at = this.room(4).writeInt32BE(value, this.at);
  }

  /** A safe integer as int64. */
  int64(value: number): void {
    const buffer = this.room(8);
    const high = Math.floor(value / TWO_32);
    buffer.writeInt32BE(high, this.at);
    this.at = buffer.writeUInt32BE(value - high * TWO_32, this.at + 4);
  }

  bigint64(value: bigint): void {
    this.at = this.room(8).writeBigInt64BE(value, this.at);
  }

  /** Bytes as they are, no length. */
  raw(value: Uint8Array): void {
    this.room(value.length).set(value, this.at);
    this.at += value.length;
  }

  uint8(value: number): void {
    this.room(1)[this.at++] = value;
  }

  /** A length-prefixed field of the bytes buf[start, end). */
  span(buf: Buffer, start: number, end: number): void {
    const length = end - start;
    const buffer = this.room(4 + length);
    buffer.writeInt32BE(length, this.at);
    // A short run copied byte by byte: cheaper than a native copy call.
    if (length < 32) for (let i = 0; i < length; i++) buffer[this.at + 4 + i] = buf[start + i] as number;
    else buf.copy(buffer, this.at + 4, start, end);
    this.at += 4 + length;
  }

  /** A length-prefixed field of the `size` bytes at buf[start] in reverse order (little- to big-endian). */
  reversed(buf: Buffer, start: number, size: number): void {
    const buffer = this.room(4 + size);
    buffer.writeInt32BE(size, this.at);
    for (let i = 0; i < size; i++) buffer[this.at + 4 + i] = buf[start + size - 1 - i] as number;
    this.at += 4 + size;
  }

  /** A length-prefixed field of these bytes. */
  bytes(value: Uint8Array): void {
    const buffer = this.room(4 + value.length);
    buffer.writeInt32BE(value.length, this.at);
    buffer.set(value, this.at + 4);
    this.at += 4 + value.length;
  }

  /** A length-prefixed field of `prefix` (a jsonb version byte, or nothing) then `text` as UTF-8. */
  text(text: string, prefix?: number): void {
    const head = prefix === undefined ? 0 : 1;
    const buffer = this.room(4 + head + text.length * 3);
    if (prefix !== undefined) buffer[this.at + 4] = prefix;
    const written = buffer.write(text, this.at + 4 + head, 'utf8');
    buffer.writeInt32BE(head + written, this.at);
    this.at += 4 + head + written;
  }

  /** A fixed-size field: its length, then what `write` puts at the offset it is given (returning the end). */
  fixed(size: number, write: (buffer: Buffer, at: number) => number): void {
    const buffer = this.room(4 + size);
    buffer.writeInt32BE(size, this.at);
    this.at = write(buffer, this.at + 4);
  }

  /** The body written, as buffers to send in order; the writer is empty afterwards. */
  finish(): Buffer[] {
    if (this.at > 0) this.chunks.push(this.buffer.subarray(0, this.at));
    this.at = 0;
    this.buffer = Buffer.alloc(0);
    return this.chunks;
  }
}

/** Writes one non-null value as a whole field (length and data). */
export type Field = (out: CopyChunks, value: unknown) => void;

/** Refused before the server sees it, as the server would refuse the text. */
export class InvalidValue extends Error {
  readonly code: string;
  constructor(message: string, code: string) {
    super(message);
    this.code = code;
  }
}

export function numeric(out: CopyChunks, value: unknown): void {
  const text = String(value);
  const wire = numericWire(text);
  if (wire === undefined) throw new InvalidValue(`invalid input syntax for type numeric: "${text}"`, '22P02');
  numericField(out, wire);
}

/** A numeric field from its wire fields. */
export function numericField(out: CopyChunks, wire: NumericWire): void {
  out.fixed(8 + 2 * wire.groups.length, (buffer, at) => {
    let end = buffer.writeInt16BE(wire.groups.length, at);
    end = buffer.writeInt16BE(wire.weight, end);
    end = buffer.writeUInt16BE(wire.sign, end);
    end = buffer.writeInt16BE(wire.scale, end);
    for (const group of wire.groups) end = buffer.writeInt16BE(group, end);
    return end;
  });
}

export function timestamp(out: CopyChunks, value: unknown): void {
  const ms = (value as number) - PG_EPOCH_MS;
  out.int32(8);
  if (Math.abs(ms) < EXACT_MS) out.int64(ms * 1000);
  else out.bigint64(BigInt(ms) * 1000n);
}

interface Scalar {
  readonly oid: number;
  readonly field: Field;
}

const int16: Field = (out, value) => {
  out.int32(2);
  out.int16(value as number);
};
const int32: Field = (out, value) => {
  out.int32(4);
  out.int32(value as number);
};
const int64: Field = (out, value) => {
  out.int32(8);
  out.int64(value as number);
};
const text: Field = (out, value) => out.text(value as string);

/** The element OID (pg_type) and field writer of each scalar kind, as types.ts maps them. */
function scalar(type: ColumnType): Scalar {
  const kind = withoutNull(type).kind;
  switch (kind) {
    case 'string':
    case 'enum':
      return { oid: 25, field: text };
    case 'boolean':
      return { oid: 16, field: (out, value) => out.fixed(1, (buffer, at) => buffer.writeUInt8(value ? 1 : 0, at)) };
    case 'int32':
      return { oid: 23, field: int32 };
    case 'uint8':
      return { oid: 21, field: int16 };
    case 'int64':
    case 'uint32':
      return { oid: 20, field: int64 };
    case 'float32':
      return {
        oid: 700,
        field: (out, value) => out.fixed(4, (buffer, at) => buffer.writeFloatBE(value as number, at)),
      };
    case 'float64':
      return {
        oid: 701,
        field: (out, value) => out.fixed(8, (buffer, at) => buffer.writeDoubleBE(value as number, at)),
      };
    case 'bytes':
      return { oid: 17, field: (out, value) => out.bytes(Buffer.from(value as string, 'base64')) };
    case 'timestamp':
      return { oid: 1184, field: timestamp };
    case 'date':
      return {
        oid: 1082,
        field: (out, value) => out.fixed(4, (buffer, at) => buffer.writeInt32BE((value as number) - PG_EPOCH_DAYS, at)),
      };
    case 'decimal':
    case 'uint64':
      return { oid: 1700, field: numeric };
    default:
      throw new RangeError(`no binary COPY form for ${kind}`);
  }
}

/** A one-dimensional array (lower bound 1) of the element type; an empty one has no dimension. */
function array(items: ColumnType): Field {
  const { oid, field } = scalar(items);
  return (out, value) => {
    const entries = value as unknown[];
    const parts = new CopyChunks(ARRAY_CHUNK_BYTES);
    const hasNull = entries.some((entry) => entry === null || entry === undefined);
    parts.int32(entries.length === 0 ? 0 : 1);
    parts.int32(hasNull ? 1 : 0);
    parts.int32(oid);
    if (entries.length > 0) {
      parts.int32(entries.length);
      parts.int32(1);
    }
    for (const entry of entries) {
      if (entry === null || entry === undefined) parts.int32(-1);
      else field(parts, entry);
    }
    out.bytes(Buffer.concat(parts.finish()));
  };
}

/** jsonb's binary input: a format version (1) and the JSON text. */
function jsonb(type: ColumnType): Field {
  const json = columnText(type);
  return (out, value) => out.text(json(value), 1);
}

export function columnField(type: ColumnType): Field {
  if (scalarType(type) !== undefined) return scalar(type).field;
  const items = scalarArrayItems(type);
  return items === undefined ? jsonb(type) : array(items);
}
