/**
 * Avro binary → column writers (writers.ts), without building objects: the sinks' fast path for the common
 * batch whose values were all written with the table's own schema version. Decoding a booking into
 * objects and then encoding those (writers.ts through rows.ts) costs several times more than reading
 * the Avro bytes once and appending each value to its column: strings are copied as bytes (Avro
 * and ClickHouse both store length + UTF-8), floats as their IEEE bytes, decimals turned from
 * big-endian two's complement into ClickHouse's little-endian integers, and nothing is left for the
 * garbage collector.
 *
 * The reader is generated as JavaScript source per (schema, table), the way avsc compiles its own
 * codecs: one function per top-level field (small enough for V8 to optimise; one function for the
 * whole record is not), the read position in a local, the writers bound once per block, and the
 * common one-byte varints (union branches, small lengths) read inline. A tree of closures doing
 * the same work spends its time in calls that cannot be inlined (one call site reaching a hundred
 * different steps): on a booking the generated reader takes 3.9 µs where the closures took 5.2.
 * Only names of our own making and numbers reach the source text: everything that comes from a
 * schema (field names, types, enum symbols) is passed in as a constant, never spliced in.
 *
 * The bytes written are exactly those writers.ts writes for the same record decoded by avro/codec.ts
 * (test/unit/clickhouse-native.test.ts compares both). Anything the generator does not map (a
 * column type that does not match the Avro type) makes `compileTranscoder` return undefined and the
 * destination decodes instead. Multi-branch unions (JSON text columns) are decoded by avsc in place,
 * as the object path would.
 */
import type avsc from 'avsc';
import type { Column, ColumnType, TableSpec } from '../columns.js';
import { AvroReaderSource, nullableBranch } from '../avro-reader-source.js';
import { HELPERS } from './avro-transcoder-runtime.js';
import { decimalWidth, nullIsEmpty, type ColumnWriter, type NestedNulls } from './writers.js';

/** Appends the value columns of one record body to `columns` (the block's writers, in spec order). */
export type Transcoder = (body: Buffer, columns: readonly ColumnWriter[]) => void;

class Unmapped extends Error {}

function isNullable(type: ColumnType): type is Extract<ColumnType, { kind: 'nullable' }> {
  return type.kind === 'nullable';
}

/**
 * The source of one column reader being generated: the shared reading steps, plus writers as locals
 * (`w<n>`) bound from the block's columns when a block is first seen.
 */
class Source extends AvroReaderSource {
  readonly nestedNulls: NestedNulls;
  readonly binds: string[] = [];

  constructor(nestedNulls: NestedNulls) {
    super();
    this.nestedNulls = nestedNulls;
  }

  /** A writer local bound to `expression` (over `columns` and earlier writer locals). */
  writer(expression: string): string {
    const name = `w${this.names++}`;
    this.binds.push(`${name} = ${expression};`);
    return name;
  }
}

/** Code appending one scalar value of an Avro type to the ByteWriter `out` (a writer local's `.out`). */
function scalarCode(src: Source, type: avsc.Type, column: ColumnType, out: string): void {
  const avroType = type.typeName;
  switch (column.kind) {
    case 'string':
      if (avroType !== 'string') break;
      return src.emit(`${out}.stringBytes(buf, ${src.span()}, pos);`);
    case 'enum': {
      if (avroType !== 'enum') break;
      // Each symbol's UTF-8 bytes once, copied per row rather than encoded per row.
      const symbols = src.constant((type as avsc.types.EnumType).symbols.map((symbol) => Buffer.from(symbol, 'utf8')));
      const index = src.long();
      src.emit(`if (${index} < 0 || ${index} >= ${symbols}.length) throw h.branchError(${index});`);
      return src.emit(`${out}.stringBytes(${symbols}[${index}], 0, ${symbols}[${index}].length);`);
    }
    case 'bytes':
      if (avroType === 'bytes') return src.emit(`${out}.string(buf.toString('base64', ${src.span()}, pos));`);
      if (avroType !== 'fixed') break;
      return src.emit(`${out}.string(buf.toString('base64', ${src.fixed((type as avsc.types.FixedType).size)}, pos));`);
    case 'boolean':
      if (avroType !== 'boolean') break;
      return src.emit(`${out}.u8(buf[pos++] ? 1 : 0);`);
    case 'int32':
    case 'date':
      if (avroType !== 'int') break;
      return src.emit(`${out}.i32(${src.long()});`);
    case 'int64':
    case 'timestamp':
      if (avroType !== 'long') break;
      return src.emit(`${out}.i64(${src.long()});`);
    case 'float32':
    case 'float64': {
      const size = column.kind === 'float32' ? 4 : 8;
      if (avroType !== (size === 4 ? 'float' : 'double')) break;
      // Avro and ClickHouse both store IEEE 754 little-endian: copy the bytes.
      const start = src.fixed(size);
      src.emit(`${out}.reserve(${size});`);
      return src.emit(
        `for (let i = 0; i < ${size}; i++) ${out}.buffer[${out}.at + i] = buf[${start} + i]; ${out}.at += ${size};`,
      );
    }
    case 'decimal': {
      const width = decimalWidth(column.precision);
      const underlying = type.typeName.startsWith('logical') ? (type as avsc.types.LogicalType).underlyingType : type;
      if (underlying.typeName === 'bytes')
        return src.emit(`h.writeDecimal(${out}, buf, ${src.span()}, pos, ${width});`);
      if (underlying.typeName !== 'fixed') break;
      return src.emit(
        `h.writeDecimal(${out}, buf, ${src.fixed((underlying as avsc.types.FixedType).size)}, pos, ${width});`,
      );
    }
    default:
      break;
  }
  throw new Unmapped(`Avro ${avroType} → column ${column.kind}`);
}

/** Code appending one value of an Avro type to the writer local `writer`, shaped for `column`. */
function valueCode(src: Source, type: avsc.Type, column: ColumnType, writer: string): void {
  if (column.kind === 'json' || (isNullable(column) && column.inner.kind === 'json')) {
    // Multi-branch unions → JSON text of avsc's value, as rows.ts writes them.
    const value = src.decoded(type);
    const text = `JSON.stringify(${value})`;
    return src.emit(
      `${writer}.add(${isNullable(column) ? `${value} === null || ${value} === undefined ? null : ${text}` : text});`,
    );
  }
  if (isNullable(column)) {
    const union = nullableBranch(type);
    const inner = union?.inner ?? type;
    // ClickHouse has no Nullable(Array/Map/Tuple): the writer is the inner one and null is its empty value.
    if (nullIsEmpty(column, src.nestedNulls)) {
      if (union === undefined) return valueCode(src, inner, column.inner, writer); // a non-null Avro value under a nullable parent record
      src.emit(`if (${src.branch()} === ${union.nullIndex}) ${writer}.addEmpty(); else {`);
      valueCode(src, inner, column.inner, writer);
      return src.emit(`}`);
    }
    // Nullable(scalar), most of a booking's columns (and a nested value whose nulls are kept): the
    // null map and the value written straight to their two writers (a null is 1 in the map and the
    // inner writer's empty value).
    const nulls = src.writer(`${writer}.nulls`);
    const value = src.writer(`${writer}.inner`);
    const present = (): void => {
      src.emit(`${nulls}.u8(0);`);
      valueCode(src, inner, column.inner, value);
    };
    if (union === undefined) return present();
    src.emit(`if (${src.branch()} === ${union.nullIndex}) { ${nulls}.u8(1); ${value}.addEmpty(); } else {`);
    present();
    return src.emit(`}`);
  }
  switch (column.kind) {
    case 'array': {
      if (type.typeName !== 'array') break;
      const items = src.writer(`${writer}.items`);
      const total = src.blocks(() => valueCode(src, (type as avsc.types.ArrayType).itemsType, column.items, items));
      return src.emit(`${writer}.total += ${total}; ${writer}.offsets.i64(${writer}.total);`);
    }
    case 'map': {
      if (type.typeName !== 'map') break;
      const keys = src.writer(`${writer}.keys.out`);
      const values = src.writer(`${writer}.values`);
      const total = src.blocks(() => {
        src.emit(`${keys}.stringBytes(buf, ${src.span()}, pos);`);
        valueCode(src, (type as avsc.types.MapType).valuesType as avsc.Type, column.values, values);
      });
      return src.emit(`${writer}.total += ${total}; ${writer}.offsets.i64(${writer}.total);`);
    }
    case 'struct': {
      const fields = (type as avsc.types.RecordType).fields;
      if (
        type.typeName !== 'record' ||
        fields.length !== column.fields.length ||
        fields.some((field, i) => field.name !== column.fields[i]?.name)
      )
        break;
      fields.forEach((field, i) =>
        valueCode(
          src,
          field.type,
          (column.fields[i] as { type: ColumnType }).type,
          src.writer(`${writer}.fields[${i}]`),
        ),
      );
      return;
    }
    default:
      return scalarCode(src, type, column, src.writer(`${writer}.out`));
  }
  throw new Unmapped(`Avro ${type.typeName} → column ${column.kind}`);
}

/** Code for a record's fields, flattened as columns.ts flattens them (`parent_child` columns); the top level's fields each get a function. */
function fieldsCode(
  src: Source,
  type: avsc.types.RecordType,
  prefix: readonly string[],
  columns: ReadonlyMap<string, { index: number; column: Column }>,
  writerOf: (index: number) => string,
): void {
  for (const field of type.fields) {
    if (prefix.length === 0) src.call(() => fieldCode(src, field, [], columns, writerOf));
    else fieldCode(src, field, prefix, columns, writerOf);
  }
}

/** Code for one field: a value column, a flattened record, or a value the table does not take. */
function fieldCode(
  src: Source,
  field: avsc.types.Field,
  prefix: readonly string[],
  columns: ReadonlyMap<string, { index: number; column: Column }>,
  writerOf: (index: number) => string,
): void {
  const path = [...prefix, field.name];
  const union = nullableBranch(field.type);
  const record = union?.inner ?? field.type;
  if (record.typeName === 'record') {
    if (union === undefined) return fieldsCode(src, record as avsc.types.RecordType, path, columns, writerOf);
    // A null parent record: every column below it is NULL (or empty) for this row.
    const below = [...columns.values()]
      .filter(({ column }) => path.every((step, i) => column.path[i] === step))
      .map(({ index }) => index);
    src.emit(
      `if (${src.branch()} === ${union.nullIndex}) { ${below.map((index) => `${writerOf(index)}.addEmpty();`).join(' ')} } else {`,
    );
    fieldsCode(src, record as avsc.types.RecordType, path, columns, writerOf);
    return src.emit(`}`);
  }
  const target = columns.get(path.join('\u0000'));
  // A value field the table does not take (its name is a key column's): read past it.
  if (target === undefined) src.decoded(field.type);
  else valueCode(src, field.type, target.column.type, writerOf(target.index));
}

/**
 * The transcoder for bodies written with `type` (the avsc type of the value schema the table was
 * described from), or undefined when some column does not map (the caller decodes instead).
 */
export function compileTranscoder(
  type: avsc.Type,
  spec: TableSpec,
  nestedNulls: NestedNulls = 'as-empty',
): Transcoder | undefined {
  if (type.typeName !== 'record') return undefined;
  const columns = new Map<string, { index: number; column: Column }>();
  spec.columns.forEach((column, index) => {
    if (column.role === 'value') columns.set(column.path.join('\u0000'), { index, column });
  });
  const src = new Source(nestedNulls);
  const topWriters = new Map<number, string>();
  const writerOf = (index: number): string => {
    let name = topWriters.get(index);
    if (name === undefined) topWriters.set(index, (name = src.writer(`columns[${index}]`)));
    return name;
  };
  try {
    fieldsCode(src, type as avsc.types.RecordType, [], columns, writerOf);
  } catch (error) {
    if (error instanceof Unmapped) return undefined;
    throw error;
  }
  const writers = src.binds.map((bind) => bind.slice(0, bind.indexOf(' ')));
  const factory = new Function(
    'h',
    'k',
    `'use strict';
let bound = null;
${writers.length > 0 ? `let ${writers.join(', ')};` : ''}
const c = { buf: null, pos: 0 };
${src.functions.join('\n')}
return function transcode(buf, columns) {
  if (columns !== bound) {
    ${src.binds.join('\n    ')}
    bound = columns;
  }
  const end = buf.length;
  let pos = 0;
  c.buf = buf;
${src.body.join('\n')}
  if (pos !== end) throw h.endError(pos, end);
};`,
  ) as (helpers: typeof HELPERS, constants: readonly unknown[]) => Transcoder;
  return factory(HELPERS, src.constants);
}
