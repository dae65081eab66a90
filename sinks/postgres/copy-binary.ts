/**
 * Rows (rows.ts, destination-neutral) → PostgreSQL's binary COPY format, one writer per column
 * compiled once per table spec. Each field is its type's binary wire form (what the type's
 * `_recv` function reads), written straight into buffers of CopyData size, each handed on as soon
 * as it is full:
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
 * server's own SQLSTATE (22P02) and the column's name.
 */
import type { ColumnType, TableSpec } from '../columns.js';
import { DestinationError } from '../errors.js';
import type { Row } from '../rows.js';
import { columnText } from './copy-text.js';
import { numericWire } from './numeric-binary.js';
import { scalarArrayItems, scalarType, withoutNull } from './types.js';

/** The binary COPY signature, flags and header extension length (PostgreSQL's COPY documentation). */
const HEADER = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
const TRAILER = -1;
/** Size of the buffers the body is written into; each is sent as one CopyData message. */
const CHUNK_BYTES = 256 * 1024;
/** First buffer of an array value, which is written apart to learn its length. */
const ARRAY_CHUNK_BYTES = 256;
/** Milliseconds and days from the Unix epoch to PostgreSQL's (2000-01-01). */
const PG_EPOCH_MS = 946_684_800_000;
const PG_EPOCH_DAYS = 10_957;
const TWO_32 = 2 ** 32;
/** Beyond this many ms from 2000 (±285 years) the µs no longer fit a double exactly: BigInt then. */
const EXACT_MS = 9_000_000_000_000;

/** The body being written: full chunks, then the current one. */
class CopyChunks {
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
type Field = (out: CopyChunks, value: unknown) => void;

/** Refused before the server sees it, as the server would refuse the text. */
class InvalidValue extends Error {
  readonly code: string;
  constructor(message: string, code: string) {
    super(message);
    this.code = code;
  }
}

function numeric(out: CopyChunks, value: unknown): void {
  const text = String(value);
  const wire = numericWire(text);
  if (wire === undefined) throw new InvalidValue(`invalid input syntax for type numeric: "${text}"`, '22P02');
  out.fixed(8 + 2 * wire.groups.length, (buffer, at) => {
    let end = buffer.writeInt16BE(wire.groups.length, at);
    end = buffer.writeInt16BE(wire.weight, end);
    end = buffer.writeUInt16BE(wire.sign, end);
    end = buffer.writeInt16BE(wire.scale, end);
    for (const group of wire.groups) end = buffer.writeInt16BE(group, end);
    return end;
  });
}

function timestamp(out: CopyChunks, value: unknown): void {
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

function columnField(type: ColumnType): Field {
  if (scalarType(type) !== undefined) return scalar(type).field;
  const items = scalarArrayItems(type);
  return items === undefined ? jsonb(type) : array(items);
}

/**
 * The rows of `items` (each turned into its row only as it is written) as a binary COPY body, lazily:
 * each buffer is yielded as soon as it is full, so it can be sent while the next rows are encoded.
 */
export type CopyEncoder = <T>(items: readonly T[], rowOf: (item: T) => Row) => Iterable<Buffer>;

/** All rows of a batch as one binary COPY body, columns in spec order. */
export function createBinaryCopyEncoder(spec: TableSpec): CopyEncoder {
  const fields = spec.columns.map((column) => columnField(column.type));
  const width = fields.length;
  const refused = (column: number, error: unknown): DestinationError =>
    new DestinationError(`column ${spec.columns[column]?.name ?? '?'}: ${(error as Error).message}`, {
      reason: 'bad-data',
      code: error instanceof InvalidValue ? error.code : '22000',
      cause: error,
    });
  return function* encode(items, rowOf) {
    const body = new CopyChunks();
    body.raw(HEADER);
    for (let r = 0; r < items.length; r++) {
      const row = rowOf(items[r] as (typeof items)[number]);
      body.int16(width);
      let column = 0;
      try {
        for (; column < width; column++) {
          const value = row[column];
          if (value === null || value === undefined) body.int32(-1);
          else (fields[column] as Field)(body, value);
        }
      } catch (error) {
        throw refused(column, error);
      }
      if (body.chunks.length > 0) yield* body.chunks.splice(0);
    }
    body.int16(TRAILER);
    yield* body.finish();
  };
}
