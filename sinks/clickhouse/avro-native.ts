/**
 * Avro binary → Native columns, without building objects: the sink's fast path for the common
 * batch whose values were all written with the table's own schema version. Decoding a booking into
 * objects and then encoding those (native.ts through rows.ts) costs several times more than reading
 * the Avro bytes once and appending each value to its column: strings are copied as bytes (Avro
 * and ClickHouse both store length + UTF-8), floats as their IEEE bytes, decimals turned from
 * big-endian two's complement into ClickHouse's little-endian integers, and nothing is left for the
 * garbage collector.
 *
 * The bytes written are exactly those native.ts writes for the same record decoded by avro/codec.ts
 * (test/unit/clickhouse-native.test.ts compares both). Anything the compiler does not map (a
 * column type that does not match the Avro type) makes `compileTranscoder` return undefined and the
 * destination decodes instead. Multi-branch unions (JSON text columns) are decoded by avsc in place,
 * as the object path would.
 */
import type avsc from 'avsc';
import type { Column, ColumnType, TableSpec } from '../columns.js';
import type { ByteWriter } from './bytes.js';
import { decimalWidth, type ArrayWriter, type ColumnWriter, type MapWriter, type NullableWriter, type ScalarWriter, type TupleWriter } from './native.js';

/** A read position in one Avro body. */
class Cursor {
  buf: Buffer = Buffer.alloc(0);
  pos = 0;
}

/** Reads one value of an Avro type and appends it to the column writer shaped for it. */
type Step = (cursor: Cursor, writer: ColumnWriter) => void;
/** Reads one top-level field (or a flattened record of them) into the block's columns. */
type FieldStep = (cursor: Cursor, columns: readonly ColumnWriter[]) => void;

/** Appends the value columns of one record body to `columns` (the block's writers, in spec order). */
export type Transcoder = (body: Buffer, columns: readonly ColumnWriter[]) => void;

/** A body that does not decode with its schema (a record-level problem, not a bug). */
export class AvroBodyError extends RangeError {}

class Unmapped extends Error {}

/** Zig-zag varint as Avro writes int and long; exact up to 2^53 (as avsc). */
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
  let f = n >>> 0;
  let scale = 268_435_456; // 2^28
  do {
    b = buf[cursor.pos++] as number;
    f += (b & 0x7f) * scale;
    scale *= 128;
  } while (b & 0x80);
  return (f % 2 ? -(f + 1) : f) / 2;
}

/** Start of a length-prefixed byte run (string, bytes); moves the cursor past it. */
function readSpan(cursor: Cursor): number {
  const length = readLong(cursor);
  const start = cursor.pos;
  if (length < 0 || start + length > cursor.buf.length) throw new AvroBodyError(`length ${length} at byte ${start} runs past the end of the body`);
  cursor.pos = start + length;
  return start;
}

function branchIndex(cursor: Cursor, branches: number): number {
  const index = readLong(cursor);
  if (index < 0 || index >= branches) throw new AvroBodyError(`union branch ${index} does not exist`);
  return index;
}

/** Writes the big-endian two's-complement bytes buf[start, end) as a little-endian integer of `width` bytes. */
function writeDecimal(out: ByteWriter, buf: Buffer, start: number, end: number, width: number): void {
  const negative = end > start && ((buf[start] as number) & 0x80) !== 0;
  const fill = negative ? 0xff : 0;
  // Minimal encodings never exceed the width for values within the precision; longer ones must be
  // sign extension only (the bytes dropped equal the fill and the kept top bit keeps the sign).
  const keptTop = end - width;
  if (keptTop > start && (buf.subarray(start, keptTop).some((byte) => byte !== fill) || (((buf[keptTop] as number) & 0x80) !== 0) !== negative)) {
    throw new AvroBodyError(`decimal of ${end - start} bytes does not fit ${width} bytes`);
  }
  out.reserve(width);
  const target = out.buffer;
  const base = out.at;
  for (let i = 0; i < width; i++) target[base + i] = end - 1 - i >= start ? (buf[end - 1 - i] as number) : fill;
  out.at = base + width;
}

function isNullable(type: ColumnType): type is Extract<ColumnType, { kind: 'nullable' }> {
  return type.kind === 'nullable';
}

/** The non-null branch of a two-branch union with null, and the null branch's index. */
function nullableBranch(type: avsc.Type): { inner: avsc.Type; nullIndex: number } | undefined {
  const branches = (type as avsc.types.UnwrappedUnionType).types;
  if (!type.typeName.startsWith('union') || branches.length !== 2) return undefined;
  const nullIndex = branches.findIndex((branch) => branch.typeName === 'null');
  return nullIndex < 0 ? undefined : { inner: branches[1 - nullIndex] as avsc.Type, nullIndex };
}

/** One value decoded by avsc where the cursor stands (for what the steps do not read themselves). */
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

/** Multi-branch unions → JSON text of avsc's value, as rows.ts writes them. */
function jsonStep(type: avsc.Type, nullable: boolean): Step {
  return (cursor, writer) => {
    const value = decodeInPlace(type, cursor);
    writer.add(nullable && (value === null || value === undefined) ? null : JSON.stringify(value));
  };
}

function scalarStep(type: avsc.Type, column: ColumnType): Step {
  const avroType = type.typeName;
  const out = (writer: ColumnWriter): ByteWriter => (writer as ScalarWriter).out;
  switch (column.kind) {
    case 'string':
      if (avroType !== 'string') break;
      return (cursor, writer) => {
        const start = readSpan(cursor);
        out(writer).stringBytes(cursor.buf, start, cursor.pos);
      };
    case 'enum': {
      if (avroType !== 'enum') break;
      // Each symbol's UTF-8 bytes once, copied per row rather than encoded per row.
      const symbols = (type as avsc.types.EnumType).symbols.map((symbol) => Buffer.from(symbol, 'utf8'));
      return (cursor, writer) => {
        const symbol = symbols[branchIndex(cursor, symbols.length)] as Buffer;
        out(writer).stringBytes(symbol, 0, symbol.length);
      };
    }
    case 'bytes':
      if (avroType === 'bytes') return (cursor, writer) => out(writer).string(cursor.buf.toString('base64', readSpan(cursor), cursor.pos));
      if (avroType !== 'fixed') break;
      return fixedStep((type as avsc.types.FixedType).size, (cursor, writer, start) => out(writer).string(cursor.buf.toString('base64', start, cursor.pos)));
    case 'boolean':
      if (avroType !== 'boolean') break;
      return (cursor, writer) => out(writer).u8(cursor.buf[cursor.pos++] ? 1 : 0);
    case 'int32':
    case 'date':
      if (avroType !== 'int') break;
      return (cursor, writer) => out(writer).i32(readLong(cursor));
    case 'int64':
    case 'timestamp':
      if (avroType !== 'long') break;
      return (cursor, writer) => out(writer).i64(readLong(cursor));
    case 'float32':
    case 'float64': {
      const size = column.kind === 'float32' ? 4 : 8;
      if (avroType !== (size === 4 ? 'float' : 'double')) break;
      // Avro and ClickHouse both store IEEE 754 little-endian: copy the bytes.
      return fixedStep(size, (cursor, writer, start) => {
        const target = out(writer);
        target.reserve(size);
        cursor.buf.copy(target.buffer, target.at, start, cursor.pos);
        target.at += size;
      });
    }
    case 'decimal': {
      const width = decimalWidth(column.precision);
      const underlying = type.typeName.startsWith('logical') ? (type as avsc.types.LogicalType).underlyingType : type;
      if (underlying.typeName === 'bytes') return (cursor, writer) => writeDecimal(out(writer), cursor.buf, readSpan(cursor), cursor.pos, width);
      if (underlying.typeName !== 'fixed') break;
      return fixedStep((underlying as avsc.types.FixedType).size, (cursor, writer, start) => writeDecimal(out(writer), cursor.buf, start, cursor.pos, width));
    }
    default:
      break;
  }
  throw new Unmapped(`Avro ${avroType} → column ${column.kind}`);
}

/** A value of `size` bytes: checks the end, advances, then hands over where it started. */
function fixedStep(size: number, use: (cursor: Cursor, writer: ColumnWriter, start: number) => void): Step {
  return (cursor, writer) => {
    const start = cursor.pos;
    if (start + size > cursor.buf.length) throw new AvroBodyError(`${size} bytes at byte ${start} run past the end of the body`);
    cursor.pos = start + size;
    use(cursor, writer, start);
  };
}

/** Avro blocks (count, items…; a negative count is followed by the block's byte size), ended by a zero count. */
function readBlocks(cursor: Cursor, item: () => void): number {
  let total = 0;
  for (let count = readLong(cursor); count !== 0; count = readLong(cursor)) {
    if (count < 0) {
      count = -count;
      readLong(cursor);
    }
    for (let i = 0; i < count; i++) item();
    total += count;
  }
  return total;
}

function valueStep(type: avsc.Type, column: ColumnType): Step {
  if (column.kind === 'json') return jsonStep(type, false);
  if (isNullable(column)) {
    if (column.inner.kind === 'json') return jsonStep(type, true);
    const union = nullableBranch(type);
    // ClickHouse has no Nullable(Array/Map/Tuple): the writer is the inner one and null is its empty value.
    const flat = column.inner.kind === 'array' || column.inner.kind === 'map' || column.inner.kind === 'struct';
    const inner = valueStep(union?.inner ?? type, column.inner);
    const present: Step = flat
      ? inner
      : (cursor, writer) => {
          (writer as NullableWriter).nulls.u8(0);
          inner(cursor, (writer as NullableWriter).inner);
        };
    if (union === undefined) return present; // a non-null Avro value under a nullable parent record
    const { nullIndex } = union;
    return (cursor, writer) => {
      if (branchIndex(cursor, 2) === nullIndex) writer.addEmpty();
      else present(cursor, writer);
    };
  }
  switch (column.kind) {
    case 'array': {
      if (type.typeName !== 'array') break;
      const items = valueStep((type as avsc.types.ArrayType).itemsType, column.items);
      return (cursor, writer) => {
        const array = writer as ArrayWriter;
        const target = array.items;
        array.total += readBlocks(cursor, () => items(cursor, target));
        array.offsets.i64(array.total);
      };
    }
    case 'map': {
      if (type.typeName !== 'map') break;
      const values = valueStep((type as avsc.types.MapType).valuesType as avsc.Type, column.values);
      return (cursor, writer) => {
        const map = writer as MapWriter;
        const keys = map.keys.out;
        const target = map.values;
        map.total += readBlocks(cursor, () => {
          const start = readSpan(cursor);
          keys.stringBytes(cursor.buf, start, cursor.pos);
          values(cursor, target);
        });
        map.offsets.i64(map.total);
      };
    }
    case 'struct': {
      const fields = (type as avsc.types.RecordType).fields;
      if (type.typeName !== 'record' || fields.length !== column.fields.length || fields.some((field, i) => field.name !== column.fields[i]?.name)) break;
      const steps = fields.map((field, i) => valueStep(field.type, (column.fields[i] as { type: ColumnType }).type));
      return (cursor, writer) => {
        const writers = (writer as TupleWriter).fields;
        for (let i = 0; i < steps.length; i++) (steps[i] as Step)(cursor, writers[i] as ColumnWriter);
      };
    }
    default:
      return scalarStep(type, column);
  }
  throw new Unmapped(`Avro ${type.typeName} → column ${column.kind}`);
}

/** Steps for a record's fields, flattened as columns.ts flattens them (`parent_child` columns). */
function fieldSteps(type: avsc.types.RecordType, prefix: readonly string[], columns: ReadonlyMap<string, { index: number; column: Column }>): FieldStep[] {
  const steps: FieldStep[] = [];
  for (const field of type.fields) {
    const path = [...prefix, field.name];
    const union = nullableBranch(field.type);
    const record = union?.inner ?? field.type;
    if (record.typeName === 'record') {
      const inner = fieldSteps(record as avsc.types.RecordType, path, columns);
      if (union === undefined) {
        steps.push(...inner);
        continue;
      }
      // A null parent record: every column below it is NULL (or empty) for this row.
      const below = [...columns.values()].filter(({ column }) => path.every((step, i) => column.path[i] === step)).map(({ index }) => index);
      const { nullIndex } = union;
      steps.push((cursor, writers) => {
        if (branchIndex(cursor, 2) === nullIndex) for (const index of below) (writers[index] as ColumnWriter).addEmpty();
        else for (const step of inner) step(cursor, writers);
      });
      continue;
    }
    const target = columns.get(path.join('\u0000'));
    if (target === undefined) {
      // A value field the table does not take (its name is a key column's): read past it.
      steps.push((cursor) => void decodeInPlace(field.type, cursor));
      continue;
    }
    const step = valueStep(field.type, target.column.type);
    const { index } = target;
    steps.push((cursor, writers) => step(cursor, writers[index] as ColumnWriter));
  }
  return steps;
}

/**
 * The transcoder for bodies written with `type` (the avsc type of the value schema the table was
 * described from), or undefined when some column does not map (the caller decodes instead).
 */
export function compileTranscoder(type: avsc.Type, spec: TableSpec): Transcoder | undefined {
  if (type.typeName !== 'record') return undefined;
  const columns = new Map<string, { index: number; column: Column }>();
  spec.columns.forEach((column, index) => {
    if (column.role === 'value') columns.set(column.path.join('\u0000'), { index, column });
  });
  let steps: FieldStep[];
  try {
    steps = fieldSteps(type as avsc.types.RecordType, [], columns);
  } catch (error) {
    if (error instanceof Unmapped) return undefined;
    throw error;
  }
  const cursor = new Cursor();
  return (body, writers) => {
    cursor.buf = body;
    cursor.pos = 0;
    for (const step of steps) step(cursor, writers);
    if (cursor.pos !== body.length) throw new AvroBodyError(cursor.pos > body.length ? 'the body ends inside a value' : `${body.length - cursor.pos} bytes left after the record`);
  };
}
