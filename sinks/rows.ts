/**
 * Record → row, the sink's hot path. A converter is compiled once per table spec (one closure per
 * column) and then turns each decoded record into an array aligned with `spec.columns`, so no
 * per-row schema walk, object allocation per column or key lookup by name happens.
 *
 * Row values are destination-neutral: strings, numbers (timestamps as epoch ms, dates as days),
 * decimal text, booleans, null, arrays, plain objects for maps and records in arrays. Only values
 * no SQL engine reads natively are rewritten: bytes become base64 text and multi-branch unions JSON
 * text. Lineage: `_version` = Kafka offset, because all states of a key sit in one partition in
 * order, and a replay writes the very same versions (so ReplacingMergeTree-style dedup converges).
 */
import type { Column, ColumnType, TableSpec } from './columns.js';
import type { SinkRecord } from './destination.js';

export type Row = unknown[];

export interface LineageContext {
  readonly topic: string;
  readonly partition: number;
  readonly ingestedAtMs: number;
}

type Convert = (value: unknown) => unknown;
/** One column's value of a record. */
export type Cell = (record: SinkRecord, context: LineageContext) => unknown;

/**
 * The value of a record whose value columns are transcoded from its Avro body: the key and
 * lineage cells read only that the value is there, never from it.
 */
export const PRESENT_VALUE: Readonly<Record<string, unknown>> = Object.freeze({});

/** Leaf rewriting for a type, or undefined when the decoded value is already the row value (the common case). */
export function converterFor(type: ColumnType): Convert | undefined {
  switch (type.kind) {
    case 'bytes':
      return (value) =>
        value instanceof Uint8Array
          ? Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')
          : value;
    case 'json':
      return (value) => JSON.stringify(value);
    case 'nullable': {
      const inner = converterFor(type.inner);
      return inner && ((value) => (value === null || value === undefined ? null : inner(value)));
    }
    case 'array': {
      const items = converterFor(type.items);
      return items && ((value) => (value as unknown[]).map(items));
    }
    case 'map': {
      const values = converterFor(type.values);
      if (!values) return undefined;
      return (value) => {
        const out: Record<string, unknown> = {};
        for (const [key, inner] of Object.entries(value as Record<string, unknown>)) out[key] = values(inner);
        return out;
      };
    }
    case 'struct': {
      const fields = type.fields.map((field) => [field.name, converterFor(field.type)] as const);
      if (fields.every(([, convert]) => convert === undefined)) return undefined;
      return (value) => {
        const source = value as Record<string, unknown>;
        const out: Record<string, unknown> = {};
        for (const [name, convert] of fields) out[name] = convert ? convert(source[name]) : source[name];
        return out;
      };
    }
    default:
      return undefined;
  }
}

/** Reads a flattened value column: walks the record path, null as soon as a parent is null. */
function valueCell(path: readonly string[], convert: Convert | undefined): Cell {
  const [first, ...rest] = path as [string, ...string[]];
  const finish = (leaf: unknown): unknown =>
    leaf === undefined || leaf === null ? null : convert ? convert(leaf) : leaf;
  if (rest.length === 0) {
    return (record) => (record.value === null ? null : finish(record.value[first]));
  }
  return (record) => {
    let current: unknown = record.value === null ? null : record.value[first];
    for (const step of rest) {
      if (current === null || current === undefined) return null;
      current = (current as Record<string, unknown>)[step];
    }
    return finish(current);
  };
}

function lineageCell(name: string): Cell {
  switch (name) {
    case '_topic':
      return (_record, context) => context.topic;
    case '_partition':
      return (_record, context) => context.partition;
    case '_offset':
    case '_version':
      return (record) => record.offset;
    case '_schema_id':
      return (record) => record.schemaId;
    case '_ingested_at':
      return (_record, context) => context.ingestedAtMs;
    case '_is_deleted':
      return (record) => (record.value === null ? 1 : 0);
    default:
      throw new RangeError(`no lineage value for column ${name}`);
  }
}

function cellFor(column: Column): Cell {
  switch (column.role) {
    case 'key': {
      const name = column.name;
      return (record) => record.key[name];
    }
    case 'value':
      return valueCell(column.path, converterFor(column.type));
    case 'lineage':
      return lineageCell(column.name);
  }
}

export type RowConverter = (record: SinkRecord, context: LineageContext) => Row;

/** One reader per column of `spec`, in column order: for destinations that fill columns directly instead of building row arrays. */
export function createCellReaders(spec: TableSpec): readonly Cell[] {
  return spec.columns.map(cellFor);
}

export function createRowConverter(spec: TableSpec): RowConverter {
  const cells = createCellReaders(spec);
  const width = cells.length;
  return (record, context) => {
    const row: Row = new Array(width);
    for (let i = 0; i < width; i++) row[i] = (cells[i] as Cell)(record, context);
    return row;
  };
}
