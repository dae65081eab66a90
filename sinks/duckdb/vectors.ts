/**
 * A filled block's columns (the column writers of sinks/columnar/writers.ts, nested nulls kept)
 * → DuckDB data chunks for the Appender, copied into the vectors through node-bindings.
 *
 * The block's buffers already have DuckDB's layout for most types: fixed-width numbers
 * little-endian (integers, floats, dates as days, booleans as 0/1, decimals as scaled integers), a
 * list as its rows' element counts over one flattened child, a record as one column per field.
 * So a column of a chunk is one memory copy, and only what differs is rewritten: timestamps
 * (milliseconds → microseconds), null maps (a byte per row → validity bits), cumulative array
 * offsets (→ offset/length entries), and strings (length-prefixed runs → 16-byte `string_t`s,
 * inlined up to 12 bytes, otherwise handed to DuckDB, which copies them into the vector's heap).
 *
 * The Appender stores vectors as they are, without the casts SQL would make, so every check a cast
 * would make happens here: a decimal's digits against its precision, a timestamp against DuckDB's
 * microsecond range, strings as UTF-8. A value that fails one is a `BadValueError`.
 */
import { isUtf8 } from 'node:buffer';
import duckdb, { type Vector } from '@duckdb/node-bindings';
import type { DuckDBDataChunk } from '@duckdb/node-api';
import type { ColumnType } from '../columns.js';
import {
  ArrayWriter,
  BadValueError,
  MapWriter,
  NullableWriter,
  ScalarWriter,
  TupleWriter,
  type ColumnWriter,
} from '../columnar/writers.js';

/** Rows per data chunk: DuckDB's vector size. */
const CHUNK_ROWS = duckdb.vector_size();

const TWO_32 = 0x1_0000_0000;
/** Bytes of a `string_t`, and the longest string stored inside it. */
const STRING_SLOT = 16;
const INLINE_BYTES = 12;

const FIXED_WIDTH: Readonly<Partial<Record<ColumnType['kind'], number>>> = {
  boolean: 1,
  uint8: 1,
  int32: 4,
  uint32: 4,
  date: 4,
  float32: 4,
  int64: 8,
  uint64: 8,
  float64: 8,
};

/** A value a column cannot hold, at `row` of the vector being filled. */
class RowValueError extends BadValueError {
  readonly row: number;
  constructor(message: string, row: number) {
    super(message);
    this.row = row;
  }
}

/** Where each string column's next value starts in its writer's buffer: chunks read a block in row order. */
type StringCursors = Map<ColumnWriter, number>;

/** The rows [start, start + count) of a writer that go into a vector, at 0…count - 1. */
interface RowSpan {
  readonly start: number;
  readonly count: number;
  readonly cursors: StringCursors;
}

/** The chunks holding a block's `rows` rows; `types` are the columns' logical types, `emptyChunk` gives a chunk of their DuckDB types. */
export function blockChunks(
  columns: readonly ColumnWriter[],
  types: readonly ColumnType[],
  emptyChunk: () => DuckDBDataChunk,
  rows: number,
  columnError: (column: number, row: number, error: BadValueError) => Error,
): DuckDBDataChunk[] {
  const cursors: StringCursors = new Map();
  const chunks: DuckDBDataChunk[] = [];
  for (let start = 0; start < rows; start += CHUNK_ROWS) {
    const count = Math.min(CHUNK_ROWS, rows - start);
    const chunk = emptyChunk();
    chunk.rowCount = count;
    for (let column = 0; column < columns.length; column++) {
      try {
        fill(
          duckdb.data_chunk_get_vector(chunk.chunk, column),
          columns[column] as ColumnWriter,
          types[column] as ColumnType,
          { start, count, cursors },
        );
      } catch (error) {
        throw error instanceof RowValueError ? columnError(column, start + error.row, error) : error;
      }
    }
    chunks.push(chunk);
  }
  return chunks;
}

function writerError(writer: ColumnWriter, type: ColumnType): Error {
  return new Error(`a ${writer.constructor.name} does not fill a DuckDB ${type.kind} vector`);
}

/**
 * Writes the span's rows of `writer` into `vector`. `enclosingNulls` (a byte per row, 1 for null)
 * marks the rows of a record's field whose record is null: DuckDB reads a struct's fields even
 * where the struct is null, so they must be null too.
 */
function fill(
  vector: Vector,
  writer: ColumnWriter,
  type: ColumnType,
  span: RowSpan,
  enclosingNulls?: Uint8Array,
): void {
  const { start, count } = span;
  if (type.kind !== 'nullable') {
    fillValues(vector, writer, type, span, enclosingNulls);
    if (enclosingNulls !== undefined) markNulls(vector, enclosingNulls, count);
    return;
  }
  if (!(writer instanceof NullableWriter)) throw writerError(writer, type);
  let nulls: Uint8Array = writer.nulls.buffer.subarray(start, start + count);
  if (enclosingNulls !== undefined) nulls = nulls.map((isNull, row) => isNull | (enclosingNulls[row] as number));
  fillValues(vector, writer.inner, type.inner, span, nulls);
  markNulls(vector, nulls, count);
}

/** `fill` for a non-null type; `nulls` reaches a record's fields only. */
function fillValues(
  vector: Vector,
  writer: ColumnWriter,
  type: ColumnType,
  span: RowSpan,
  nulls: Uint8Array | undefined,
): void {
  const { start, count, cursors } = span;
  const width = FIXED_WIDTH[type.kind];
  if (width !== undefined) {
    if (!(writer instanceof ScalarWriter)) throw writerError(writer, type);
    return copyInto(vector, writer.out.buffer.subarray(start * width, (start + count) * width));
  }
  switch (type.kind) {
    case 'timestamp':
      if (!(writer instanceof ScalarWriter)) throw writerError(writer, type);
      return fillTimestamps(vector, writer.out.buffer, start, count);
    case 'decimal':
      if (!(writer instanceof ScalarWriter)) throw writerError(writer, type);
      return fillDecimals(vector, writer.out.buffer, type.precision, type.scale, start, count);
    case 'string':
    case 'enum':
    case 'json':
    case 'bytes':
      if (!(writer instanceof ScalarWriter)) throw writerError(writer, type);
      return fillStrings(vector, writer, type.kind === 'bytes', count, cursors);
    case 'array':
      if (!(writer instanceof ArrayWriter)) throw writerError(writer, type);
      return fillList(vector, writer.offsets.buffer, span, (child, items) =>
        fill(child, writer.items, type.items, items),
      );
    case 'map':
      if (!(writer instanceof MapWriter)) throw writerError(writer, type);
      // MAP is a LIST of STRUCT(key, value).
      return fillList(vector, writer.offsets.buffer, span, (child, entries) => {
        fillStrings(duckdb.struct_vector_get_child(child, 0), writer.keys, false, entries.count, cursors);
        fill(duckdb.struct_vector_get_child(child, 1), writer.values, type.values, entries);
      });
    case 'struct':
      if (!(writer instanceof TupleWriter)) throw writerError(writer, type);
      type.fields.forEach((field, i) =>
        fill(duckdb.struct_vector_get_child(vector, i), writer.fields[i] as ColumnWriter, field.type, span, nulls),
      );
      return;
    default:
      throw writerError(writer, type);
  }
}

/**
 * Copies bytes into the vector's data from its start. node-bindings hands out copies of a vector's
 * memory, never views, so data is built in JavaScript buffers and copied in.
 */
function copyInto(vector: Vector, bytes: Uint8Array): void {
  duckdb.copy_data_to_vector(vector, 0, bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength);
}

/** Rows whose byte in `nulls` is 1 become invalid (validity bits, 64 rows a word). */
function markNulls(vector: Vector, nulls: Uint8Array, count: number): void {
  let mask: Buffer | undefined;
  for (let row = 0; row < count; row++) {
    if (nulls[row] !== 1) continue;
    mask ??= Buffer.alloc(Math.ceil(count / 64) * 8, 0xff);
    mask[row >>> 3] = (mask[row >>> 3] as number) & ~(1 << (row & 7));
  }
  if (mask === undefined) return;
  duckdb.vector_ensure_validity_writable(vector);
  duckdb.copy_data_to_vector_validity(vector, 0, mask.buffer as ArrayBuffer, mask.byteOffset, mask.byteLength);
}

/** Epoch milliseconds (int64) → DuckDB's microseconds, exact, refusing what int64 microseconds cannot hold. */
function fillTimestamps(vector: Vector, source: Buffer, start: number, count: number): void {
  const data = Buffer.allocUnsafe(count * 8);
  const out = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let row = 0; row < count; row++) {
    const at = (start + row) * 8;
    const millis = source.readInt32LE(at + 4) * TWO_32 + source.readUInt32LE(at);
    const micros = millis * 1000;
    if (Number.isSafeInteger(micros)) {
      const high = Math.floor(micros / TWO_32);
      out.setUint32(row * 8, micros - high * TWO_32, true);
      out.setInt32(row * 8 + 4, high, true);
      continue;
    }
    const big = BigInt(millis) * 1000n;
    if (BigInt.asIntN(64, big) !== big) throw new RowValueError(`${millis} ms is beyond DuckDB's timestamp range`, row);
    out.setBigInt64(row * 8, big, true);
  }
  copyInto(vector, data);
}

const POWERS_OF_TEN = Array.from({ length: 39 }, (_, n) => 10n ** BigInt(n));

/**
 * Scaled decimal integers (4, 8 or 16 bytes by precision, as writers.ts writes them) → DuckDB's
 * DECIMAL storage (2 bytes up to precision 4, else the same widths), each within its precision.
 */
function fillDecimals(
  vector: Vector,
  source: Buffer,
  precision: number,
  scale: number,
  start: number,
  count: number,
): void {
  const sourceWidth = precision <= 9 ? 4 : precision <= 18 ? 8 : 16;
  const targetWidth = precision <= 4 ? 2 : sourceWidth;
  const data = Buffer.allocUnsafe(count * targetWidth);
  const limit = POWERS_OF_TEN[precision] as bigint;
  const approximateLimit = Number(limit);
  for (let row = 0; row < count; row++) {
    const at = (start + row) * sourceWidth;
    let fits: boolean;
    if (sourceWidth === 4) {
      fits = Math.abs(source.readInt32LE(at)) < approximateLimit;
    } else if (sourceWidth === 8) {
      const approximate = Math.abs(source.readInt32LE(at + 4) * TWO_32 + source.readUInt32LE(at));
      fits = approximate < approximateLimit * 0.999_999 || absolute(source.readBigInt64LE(at)) < limit;
    } else {
      fits = absolute((source.readBigInt64LE(at + 8) << 64n) | source.readBigUInt64LE(at)) < limit;
    }
    if (!fits)
      throw new RowValueError(
        `a decimal does not fit DECIMAL(${precision},${scale}) (more than ${precision} digits)`,
        row,
      );
    if (targetWidth === 2) {
      const value = source.readInt32LE(at);
      data[row * 2] = value & 0xff;
      data[row * 2 + 1] = (value >> 8) & 0xff;
    } else {
      data.set(source.subarray(at, at + sourceWidth), row * sourceWidth);
    }
  }
  copyInto(vector, data);
}

function absolute(value: bigint): bigint {
  return value < 0n ? -value : value;
}

/** Unsigned LEB128 at `at` in `buffer`: [value, position after it]. */
function readLength(buffer: Buffer, at: number): [number, number] {
  let value = 0;
  let scale = 1;
  let position = at;
  for (;;) {
    const byte = buffer[position++] as number;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return [value, position];
    scale *= 128;
  }
}

/**
 * The next `count` length-prefixed strings of `writer` → `string_t`s. Text columns must be UTF-8:
 * the writer's whole buffer is checked in one call (a string split across a one-byte length prefix
 * cannot look valid, as such a prefix is ASCII), and string by string only when that fails.
 * `bytes` columns hold base64 text (rows.ts), decoded here into the BLOB's bytes.
 */
function fillStrings(
  vector: Vector,
  writer: ScalarWriter,
  base64: boolean,
  count: number,
  cursors: StringCursors,
): void {
  const source = writer.out.buffer;
  const resumeAt = cursors.get(writer);
  const checkEach = resumeAt === undefined && !base64 && !isUtf8(writer.out.view());
  let position = resumeAt ?? 0;
  const data = Buffer.alloc(count * STRING_SLOT);
  /** Strings too long to inline, assigned once the inlined ones are copied in (the copy covers every slot). */
  const long: Uint8Array[] = [];
  const longRows: number[] = [];
  for (let row = 0; row < count; row++) {
    // Most lengths take one byte; no subarray for a short string: slicing a Buffer costs more than the copy.
    let length = source[position] as number;
    let from = position + 1;
    if (length >= 0x80) [length, from] = readLength(source, position);
    position = from + length;
    let bytes: Uint8Array | undefined;
    if (base64) {
      bytes = Buffer.from(source.toString('latin1', from, position), 'base64');
    } else {
      if (checkEach && !isUtf8(source.subarray(from, position)))
        throw new RowValueError('a string is not valid UTF-8', row);
      if (length > INLINE_BYTES) bytes = source.subarray(from, position);
    }
    const slot = row * STRING_SLOT;
    if (bytes === undefined) {
      // The slot's length (at most 12: its low byte) and the string after it; the rest stays zero.
      data[slot] = length;
      for (let i = 0; i < length; i++) data[slot + 4 + i] = source[from + i] as number;
    } else if (bytes.length <= INLINE_BYTES) {
      data[slot] = bytes.length;
      data.set(bytes, slot + 4);
    } else {
      long.push(bytes);
      longRows.push(row);
    }
  }
  copyInto(vector, data);
  for (let i = 0; i < long.length; i++)
    duckdb.vector_assign_string_element_len(vector, longRows[i] as number, long[i] as Uint8Array);
  cursors.set(writer, position);
}

/**
 * A LIST vector from cumulative element counts (u64 per row): each row's (offset, length) entry,
 * then the span's elements written into the reserved child by `fillChild`.
 */
function fillList(
  vector: Vector,
  offsets: Buffer,
  span: RowSpan,
  fillChild: (child: Vector, elements: RowSpan) => void,
): void {
  const { start, count } = span;
  const endOf = (row: number): number => offsets.readUInt32LE(row * 8) + offsets.readUInt32LE(row * 8 + 4) * TWO_32;
  const from = start === 0 ? 0 : endOf(start - 1);
  const total = endOf(start + count - 1) - from;
  const data = Buffer.allocUnsafe(count * 16);
  const entries = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let previous = from;
  for (let row = 0; row < count; row++) {
    const end = endOf(start + row);
    entries.setUint32(row * 16, previous - from, true);
    entries.setUint32(row * 16 + 4, 0, true);
    entries.setUint32(row * 16 + 8, end - previous, true);
    entries.setUint32(row * 16 + 12, 0, true);
    previous = end;
  }
  copyInto(vector, data);
  duckdb.list_vector_reserve(vector, total);
  try {
    if (total > 0)
      fillChild(duckdb.list_vector_get_child(vector), { start: from, count: total, cursors: span.cursors });
  } catch (error) {
    if (!(error instanceof RowValueError)) throw error;
    // The element's row is the child's: name the list's row that holds it.
    let row = 0;
    while (endOf(start + row) - from <= error.row) row++;
    throw new RowValueError(error.message, row);
  }
  duckdb.list_vector_set_size(vector, total);
}
