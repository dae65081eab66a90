/**
 * Column writers: a block of rows held column by column in ClickHouse Native's column layout
 * (https://clickhouse.com/docs/interfaces/formats/Native), every column (and every nested stream of
 * it) in its own growing buffer, filled a row at a time. DuckDB's vectors mirror that layout
 * closely, so both column sinks share it: block-plan.ts fills the writers (values transcoded from
 * the Avro bytes by avro-transcoder.ts, the other columns through rows.ts's cells); the ClickHouse
 * sink sends their buffers as a Native block (sinks/clickhouse/native.ts), the DuckDB sink copies
 * them into its vectors (sinks/duckdb/vectors.ts).
 *
 * Column data, per ClickHouse's bulk serialization: fixed-width numbers little-endian; String as
 * LEB128 length + bytes; Nullable(T) as a null map (one byte per row) followed by T for every row
 * (a default where null); Array(T) as cumulative UInt64 offsets followed by all elements; Tuple as
 * each element's column in turn; Map(K, V) as Array(Tuple(K, V)).
 *
 * Values are those of sinks/rows.ts (and of the Avro transcoder, avro-transcoder.ts, which writes
 * the same bytes straight from Avro). A null or missing value where the type has no null becomes the
 * type's default, as `input_format_null_as_default` does for text formats (a tombstone's value
 * columns). A value the type cannot hold is a record-level `bad-data` error.
 */
import type { ColumnType } from '../columns.js';
import { ByteWriter } from './bytes.js';

/** One column of a block being built. */
export interface ColumnWriter {
  /** Appends one row's value (null/undefined: as `addEmpty`). */
  add(value: unknown): void;
  /** Appends what a null becomes: NULL where the type is Nullable, else the type's default. */
  addEmpty(): void;
  /** The column's data so far, in order. */
  chunks(out: Buffer[]): void;
  /** Empties the column, keeping its buffers for the next block. */
  reset(): void;
}

/** A value a column cannot hold (a record-level problem, not a bug). */
export class BadValueError extends RangeError {}

function bad(what: string, value: unknown): never {
  throw new BadValueError(`${JSON.stringify(value)?.slice(0, 80) ?? String(value)} is not ${what}`);
}

function num(value: unknown, what: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'bigint' || (typeof value === 'string' && value.trim() !== '')) {
    const parsed = Number(value);
    if (!Number.isNaN(parsed)) return parsed;
  }
  return bad(what, value);
}

/**
 * Scalar columns: one buffer and one encode function (never given null). Fields are public for the
 * Avro transcoder (avro-transcoder.ts), which appends to them directly.
 */
export class ScalarWriter implements ColumnWriter {
  readonly out = new ByteWriter();
  private readonly encode: (out: ByteWriter, value: unknown) => void;
  /** Bytes of the default value, all zero (0, false, the epoch, or the empty string's length). */
  private readonly emptyBytes: number;

  constructor(encode: (out: ByteWriter, value: unknown) => void, emptyBytes: number) {
    this.encode = encode;
    this.emptyBytes = emptyBytes;
  }

  add(value: unknown): void {
    if (value === null || value === undefined) this.out.zeros(this.emptyBytes);
    else this.encode(this.out, value);
  }

  addEmpty(): void {
    this.out.zeros(this.emptyBytes);
  }

  chunks(out: Buffer[]): void {
    out.push(this.out.view());
  }

  reset(): void {
    this.out.at = 0;
  }
}

export class NullableWriter implements ColumnWriter {
  readonly nulls = new ByteWriter();
  readonly inner: ColumnWriter;

  constructor(inner: ColumnWriter) {
    this.inner = inner;
  }

  add(value: unknown): void {
    if (value === null || value === undefined) {
      this.addEmpty();
      return;
    }
    this.nulls.u8(0);
    this.inner.add(value);
  }

  addEmpty(): void {
    this.nulls.u8(1);
    this.inner.addEmpty();
  }

  chunks(out: Buffer[]): void {
    out.push(this.nulls.view());
    this.inner.chunks(out);
  }

  reset(): void {
    this.nulls.at = 0;
    this.inner.reset();
  }
}

export class ArrayWriter implements ColumnWriter {
  readonly offsets = new ByteWriter();
  readonly items: ColumnWriter;
  total = 0;

  constructor(items: ColumnWriter) {
    this.items = items;
  }

  add(value: unknown): void {
    if (value !== null && value !== undefined) {
      if (!Array.isArray(value)) bad('an array', value);
      for (const item of value) this.items.add(item);
      this.total += value.length;
    }
    this.offsets.i64(this.total);
  }

  addEmpty(): void {
    this.offsets.i64(this.total);
  }

  chunks(out: Buffer[]): void {
    out.push(this.offsets.view());
    this.items.chunks(out);
  }

  reset(): void {
    this.offsets.at = 0;
    this.total = 0;
    this.items.reset();
  }
}

export class MapWriter implements ColumnWriter {
  readonly offsets = new ByteWriter();
  readonly keys = new ScalarWriter(encodeString, 1);
  readonly values: ColumnWriter;
  total = 0;

  constructor(values: ColumnWriter) {
    this.values = values;
  }

  add(value: unknown): void {
    if (value !== null && value !== undefined) {
      if (typeof value !== 'object' || Array.isArray(value)) bad('a map', value);
      for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
        this.keys.add(key);
        this.values.add(inner);
        this.total++;
      }
    }
    this.offsets.i64(this.total);
  }

  addEmpty(): void {
    this.offsets.i64(this.total);
  }

  chunks(out: Buffer[]): void {
    out.push(this.offsets.view());
    this.keys.chunks(out);
    this.values.chunks(out);
  }

  reset(): void {
    this.offsets.at = 0;
    this.total = 0;
    this.keys.reset();
    this.values.reset();
  }
}

export class TupleWriter implements ColumnWriter {
  readonly names: readonly string[];
  readonly fields: readonly ColumnWriter[];

  constructor(names: readonly string[], fields: readonly ColumnWriter[]) {
    this.names = names;
    this.fields = fields;
  }

  add(value: unknown): void {
    if (value === null || value === undefined) {
      this.addEmpty();
      return;
    }
    if (typeof value !== 'object') bad('a record', value);
    const record = value as Record<string, unknown>;
    for (let i = 0; i < this.fields.length; i++) (this.fields[i] as ColumnWriter).add(record[this.names[i] as string]);
  }

  addEmpty(): void {
    for (const field of this.fields) field.addEmpty();
  }

  chunks(out: Buffer[]): void {
    for (const field of this.fields) field.chunks(out);
  }

  reset(): void {
    for (const field of this.fields) field.reset();
  }
}

function encodeString(out: ByteWriter, value: unknown): void {
  out.string(typeof value === 'string' ? value : String(value));
}

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?$/;

/** Decimal text → the integer ClickHouse stores (value × 10^scale); more fraction digits than the scale is an error, never a rounding. */
export function scaledDecimal(value: unknown, scale: number): number | bigint {
  const text =
    typeof value === 'string'
      ? value
      : typeof value === 'number' || typeof value === 'bigint'
        ? String(value)
        : bad('a decimal', value);
  const match = DECIMAL.exec(text.trim());
  const whole = match?.[2] ?? '';
  const fraction = match?.[3] ?? '';
  if (
    !match ||
    whole.length + fraction.length === 0 ||
    fraction.length - (/0*$/.exec(fraction)?.[0].length ?? 0) > scale
  )
    return bad(`a decimal with at most ${scale} fraction digits`, value);
  const digits = `${whole}${fraction.slice(0, scale).padEnd(scale, '0')}`;
  const negative = match[1] === '-';
  // Below 10^15 a double holds every integer exactly: no BigInt for everyday amounts.
  if (digits.length <= 15) return negative ? -Number(digits) : Number(digits);
  const big = BigInt(digits);
  return negative ? -big : big;
}

/** Bytes of ClickHouse's Decimal(P, S) integer: Decimal32, 64, 128 or 256. */
export function decimalWidth(precision: number): number {
  return precision <= 9 ? 4 : precision <= 18 ? 8 : precision <= 38 ? 16 : 32;
}

function decimalWriter(precision: number, scale: number): ColumnWriter {
  const bytes = decimalWidth(precision);
  const limit = 1n << BigInt(bytes * 8 - 1);
  return new ScalarWriter((out, value) => {
    const scaled = scaledDecimal(value, scale);
    // Everyday amounts (below 10^15, see scaledDecimal) into Decimal64: no BigInt.
    if (bytes === 8 && typeof scaled === 'number') {
      out.i64(scaled);
      return;
    }
    const big = BigInt(scaled);
    // As the Avro path (avro-transcoder.ts): a value that does not fit the integer is refused, not wrapped.
    if (big < -limit || big >= limit) bad(`a Decimal(${precision}, ${scale})`, value);
    if (bytes === 4) out.i32(Number(big));
    else out.wide(big, bytes);
  }, bytes);
}

function scalar(type: ColumnType): ColumnWriter {
  switch (type.kind) {
    case 'string':
    case 'enum':
    case 'bytes':
    case 'json':
      return new ScalarWriter(encodeString, 1);
    case 'boolean':
    case 'uint8':
      return new ScalarWriter((out, value) => out.u8(num(value, type.kind)), 1);
    case 'int32':
    case 'uint32':
    case 'date':
      return new ScalarWriter((out, value) => out.i32(num(value, type.kind)), 4);
    case 'int64':
    case 'uint64':
    case 'timestamp':
      return new ScalarWriter((out, value) => out.i64(num(value, type.kind)), 8);
    case 'float32':
      return new ScalarWriter((out, value) => out.f32(num(value, type.kind)), 4);
    case 'float64':
      return new ScalarWriter((out, value) => out.f64(num(value, type.kind)), 8);
    case 'decimal':
      return decimalWriter(type.precision, type.scale);
    default:
      throw new RangeError(`${type.kind} is not a scalar type`);
  }
}

/**
 * What a null array, map or record becomes: ClickHouse has no Nullable(Array/Map/Tuple), so there
 * it is the empty value (sinks/clickhouse/types.ts, `as-empty`); DuckDB's LIST, MAP and STRUCT
 * hold NULL, so its blocks keep a null map for them as for scalars (`kept`).
 */
export type NestedNulls = 'as-empty' | 'kept';

/** Whether a nullable column of this type is written as its inner type alone, null becoming the empty value. */
export function nullIsEmpty(type: Extract<ColumnType, { kind: 'nullable' }>, nestedNulls: NestedNulls): boolean {
  const nested = type.inner.kind === 'array' || type.inner.kind === 'map' || type.inner.kind === 'struct';
  return nested && nestedNulls === 'as-empty';
}

/**
 * The writer for a logical type, shaped like the ClickHouse type sinks/clickhouse/types.ts gives it
 * (nested nulls aside).
 */
export function columnWriter(type: ColumnType, nestedNulls: NestedNulls = 'as-empty'): ColumnWriter {
  switch (type.kind) {
    case 'nullable':
      return nullIsEmpty(type, nestedNulls)
        ? columnWriter(type.inner, nestedNulls)
        : new NullableWriter(columnWriter(type.inner, nestedNulls));
    case 'array':
      return new ArrayWriter(columnWriter(type.items, nestedNulls));
    case 'map':
      return new MapWriter(columnWriter(type.values, nestedNulls));
    case 'struct':
      return new TupleWriter(
        type.fields.map((field) => field.name),
        type.fields.map((field) => columnWriter(field.type, nestedNulls)),
      );
    default:
      return scalar(type);
  }
}
