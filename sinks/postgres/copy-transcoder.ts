/**
 * Avro binary → the value fields of a binary COPY row, without building objects: the reader is
 * generated per (schema, table) as the column transcoder's is (sinks/columnar/avro-transcoder.ts),
 * one function per top-level field, and writes each value column's field in column order.
 *
 * Scalars go straight from the Avro bytes to their wire form (copy-binary.ts): strings, enums and
 * bytes as their bytes (the server still checks UTF-8), integers and dates re-based, floats from
 * little- to big-endian, timestamps as µs since 2000, decimals through their digits into `numeric`.
 * A jsonb column's JSON text is written from the bytes too (copy-json.ts). What is left, arrays of
 * scalars and jsonb holding maps or multi-branch unions, is decoded in place by avsc, rewritten as
 * rows.ts rewrites a decoded value and written by the column's field writer; a null parent record
 * makes every column below it NULL.
 *
 * The column being written is kept on the cursor (`c.column`), so a value a field writer refuses
 * is named by its column.
 */
import type avsc from 'avsc';
import { decimalText, SAFE_DECIMAL_BYTES, smallSignedInteger } from '../../avro/logical.js';
import { AvroReaderSource, nullableBranch, type Emit } from '../avro-reader-source.js';
import { HELPERS } from '../columnar/avro-transcoder-runtime.js';
import type { Column, ColumnType, TableSpec } from '../columns.js';
import { converterFor } from '../rows.js';
import {
  columnField,
  numeric,
  numericField,
  PG_EPOCH_DAYS,
  timestamp,
  type CopyChunks,
  type Field,
} from './copy-binary.js';
import { jsonFieldEmit, JSON_HELPERS } from './copy-json.js';
import { MAX_EXACT_SCALE, scaledNumericWire } from './numeric-binary.js';
import { scalarArrayItems, scalarType } from './types.js';

/** Writes the value columns of one record body to `out`; `cursor.column` is the column being written when it throws. */
export type CopyTranscoder = (body: Buffer, out: CopyChunks, cursor: { column: number }) => void;

/** What the generated code calls besides the shared reader helpers. */
const COPY_HELPERS = Object.freeze({
  ...HELPERS,
  ...JSON_HELPERS,
  timestamp,
  /** A decimal's big-endian two's complement bytes: up to six (a safe integer) straight into numeric groups, longer ones through their text. */
  decimal(out: CopyChunks, buf: Buffer, start: number, end: number, scale: number): void {
    if (end - start > SAFE_DECIMAL_BYTES || scale > MAX_EXACT_SCALE)
      return numeric(out, decimalText(buf.subarray(start, end), scale));
    numericField(out, scaledNumericWire(smallSignedInteger(buf, start, end), scale));
  },
  /** A value avsc decoded, written by its column's field writer after rows.ts's rewriting. */
  decoded(out: CopyChunks, value: unknown, field: Field, convert: ((value: unknown) => unknown) | undefined): void {
    if (value === null || value === undefined) out.int32(-1);
    else field(out, convert === undefined ? value : convert(value));
  },
});

/** The code writing a value of `type` straight from its Avro bytes into a `column` field; undefined when the column takes it otherwise. */
function scalarEmit(type: avsc.Type, column: ColumnType): Emit | undefined {
  if (scalarType(column) === undefined)
    return scalarArrayItems(column) === undefined ? jsonFieldEmit(type, column) : undefined;
  const avroType = type.typeName;
  switch (column.kind) {
    case 'string':
      return avroType === 'string' ? (src) => src.emit(`out.span(buf, ${src.span()}, pos);`) : undefined;
    case 'enum':
      if (avroType !== 'enum') return undefined;
      return (src) => {
        // Each symbol's UTF-8 bytes once, copied per row rather than encoded per row.
        const symbols = src.constant(
          (type as avsc.types.EnumType).symbols.map((symbol) => Buffer.from(symbol, 'utf8')),
        );
        const index = src.long();
        src.emit(`if (${index} < 0 || ${index} >= ${symbols}.length) throw h.branchError(${index});`);
        src.emit(`out.bytes(${symbols}[${index}]);`);
      };
    case 'bytes':
      if (avroType === 'bytes') return (src) => src.emit(`out.span(buf, ${src.span()}, pos);`);
      if (avroType !== 'fixed') return undefined;
      return (src) => src.emit(`out.span(buf, ${src.fixed((type as avsc.types.FixedType).size)}, pos);`);
    case 'boolean':
      if (avroType !== 'boolean') return undefined;
      return (src) => {
        const at = src.fixed(1);
        src.emit(`out.int32(1); out.uint8(buf[${at}] ? 1 : 0);`);
      };
    case 'int32':
      return avroType === 'int' ? (src) => src.emit(`out.int32(4); out.int32(${src.long()});`) : undefined;
    case 'date':
      return avroType === 'int'
        ? (src) => src.emit(`out.int32(4); out.int32(${src.long()} - ${PG_EPOCH_DAYS});`)
        : undefined;
    case 'int64':
      return avroType === 'long' ? (src) => src.emit(`out.int32(8); out.int64(${src.long()});`) : undefined;
    case 'timestamp':
      return avroType === 'long' ? (src) => src.emit(`h.timestamp(out, ${src.long()});`) : undefined;
    case 'float32':
    case 'float64': {
      const size = column.kind === 'float32' ? 4 : 8;
      if (avroType !== (size === 4 ? 'float' : 'double')) return undefined;
      // Avro stores IEEE 754 little-endian, PostgreSQL big-endian.
      return (src) => src.emit(`out.reversed(buf, ${src.fixed(size)}, ${size});`);
    }
    case 'decimal': {
      const underlying = avroType.startsWith('logical') ? (type as avsc.types.LogicalType).underlyingType : type;
      if (underlying.typeName === 'bytes')
        return (src) => src.emit(`h.decimal(out, buf, ${src.span()}, pos, ${column.scale});`);
      if (underlying.typeName !== 'fixed') return undefined;
      const size = (underlying as avsc.types.FixedType).size;
      return (src) => src.emit(`h.decimal(out, buf, ${src.fixed(size)}, pos, ${column.scale});`);
    }
    default:
      return undefined;
  }
}

/** Code writing one column's field for a value of `type`. */
function valueCode(src: AvroReaderSource, type: avsc.Type, column: ColumnType): void {
  // Most of a booking's columns are a union with null; a nullable column may also hold a non-null
  // Avro value (a field of a nullable parent record).
  const union = column.kind === 'nullable' ? nullableBranch(type) : undefined;
  const emit = scalarEmit(union?.inner ?? type, column.kind === 'nullable' ? column.inner : column);
  if (emit !== undefined && union === undefined) return emit(src);
  if (emit !== undefined && union !== undefined) {
    src.emit(`if (${src.branch()} === ${union.nullIndex}) out.int32(-1); else {`);
    emit(src);
    return src.emit(`}`);
  }
  // Everything else decoded by avsc, rewritten as rows.ts rewrites it, written by the column's field writer.
  const value = src.decoded(type);
  src.emit(`h.decoded(out, ${value}, ${src.constant(columnField(column))}, ${src.constant(converterFor(column))});`);
}

/** Value columns by their path, in the order the row writes them. */
type ValueColumns = ReadonlyMap<string, { readonly index: number; readonly column: Column }>;

function fieldsCode(
  src: AvroReaderSource,
  type: avsc.types.RecordType,
  prefix: readonly string[],
  columns: ValueColumns,
  visited: number[],
): void {
  for (const field of type.fields) {
    if (prefix.length === 0) src.call(() => fieldCode(src, field, [], columns, visited));
    else fieldCode(src, field, prefix, columns, visited);
  }
}

/** Code for one field: a value column, a flattened record, or a value the table does not take. */
function fieldCode(
  src: AvroReaderSource,
  field: avsc.types.Field,
  prefix: readonly string[],
  columns: ValueColumns,
  visited: number[],
): void {
  const path = [...prefix, field.name];
  const union = nullableBranch(field.type);
  const record = union?.inner ?? field.type;
  if (record.typeName === 'record') {
    if (union === undefined) return fieldsCode(src, record as avsc.types.RecordType, path, columns, visited);
    // A null parent record: every column below it is NULL for this row.
    const below = [...columns.values()].filter(({ column }) => path.every((step, i) => column.path[i] === step));
    src.emit(`if (${src.branch()} === ${union.nullIndex}) { ${below.map(() => 'out.int32(-1);').join(' ')} } else {`);
    fieldsCode(src, record as avsc.types.RecordType, path, columns, visited);
    return src.emit(`}`);
  }
  const target = columns.get(path.join('\u0000'));
  // A value field the table does not take (its name is a key column's): read past it.
  if (target === undefined) {
    src.decoded(field.type);
    return;
  }
  visited.push(target.index);
  src.emit(`c.column = ${target.index};`);
  valueCode(src, field.type, target.column.type);
}

/**
 * The transcoder for bodies written with `type` (the avsc type of the value schema the table was
 * described from). Undefined when the record's fields do not meet the spec's value columns one to
 * one and in order (a table not described from this schema): a bug, which the caller reports.
 */
export function compileCopyTranscoder(type: avsc.Type, spec: TableSpec): CopyTranscoder | undefined {
  if (type.typeName !== 'record') return undefined;
  const columns = new Map<string, { index: number; column: Column }>();
  spec.columns.forEach((column, index) => {
    if (column.role === 'value') columns.set(column.path.join('\u0000'), { index, column });
  });
  const src = new AvroReaderSource();
  const visited: number[] = [];
  fieldsCode(src, type as avsc.types.RecordType, [], columns, visited);
  const expected = [...columns.values()].map(({ index }) => index);
  if (visited.length !== expected.length || visited.some((index, i) => index !== expected[i])) return undefined;
  const factory = new Function(
    'h',
    'k',
    `'use strict';
const c = { buf: null, pos: 0, column: -1 };
let out = null;
const j = h.json;
${src.functions.join('\n')}
return function transcode(buf, target, cursor) {
  out = target;
  const end = buf.length;
  let pos = 0;
  c.buf = buf;
  try {
${src.body.join('\n')}
    if (pos !== end) throw h.endError(pos, end);
  } finally {
    cursor.column = c.column;
    out = null;
  }
};`,
  ) as (helpers: typeof COPY_HELPERS, constants: readonly unknown[]) => CopyTranscoder;
  return factory(COPY_HELPERS, src.constants);
}
