/**
 * The suite's side of the comparison: the normal form (target.ts) of what the runner hands to a
 * destination, computed from the decoded Avro values and the column model alone, so no
 * destination's own reading can make its expectations.
 */
import type { ColumnType, TableSpec } from '../../sinks/columns.js';
import type { NormalRow, NormalValue } from './target.js';

/** Exact decimal text padded to the column's scale: `12.5` at scale 4 → `12.5000`. */
export function decimalText(text: string, scale: number): string {
  const match = /^(-?)(\d*)(?:\.(\d*))?$/.exec(text.trim());
  if (!match) throw new RangeError(`not a decimal: ${JSON.stringify(text)}`);
  const [, sign = '', whole = '', fraction = ''] = match;
  if (fraction.length > scale && /[^0]/.test(fraction.slice(scale)))
    throw new RangeError(`${text} has more than ${scale} decimals`);
  const digits =
    (whole.replace(/^0+(?=\d)/, '') || '0') + (scale > 0 ? `.${fraction.slice(0, scale).padEnd(scale, '0')}` : '');
  return /^0(\.0*)?$/.test(digits) ? digits : sign + digits;
}

export function isoMillis(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

export function isoDay(daysSinceEpoch: number): string {
  return new Date(daysSinceEpoch * 86_400_000).toISOString().slice(0, 10);
}

/** How a source hands out the parts of container values (arrays, records, maps). */
export interface ContainerReader {
  items(value: unknown): readonly unknown[];
  field(value: unknown, name: string): unknown;
  entries(value: unknown): ReadonlyArray<readonly [string, unknown]>;
}

/** Plain JS: arrays, objects by field name, objects as maps (decoded Avro, JSON). */
export const PLAIN_CONTAINERS: ContainerReader = {
  items: (value) => value as unknown[],
  field: (value, name) => (value as Record<string, unknown>)[name],
  entries: (value) => Object.entries(value as Record<string, unknown>),
};

/**
 * The normal form of a value: null, nullable, arrays, records and maps (keys sorted) are walked
 * here for every source; `leaf` turns one scalar of a type into its normal form.
 */
export function normalWith(
  type: ColumnType,
  value: unknown,
  leaf: (type: ColumnType, value: unknown) => NormalValue,
  reader: ContainerReader = PLAIN_CONTAINERS,
): NormalValue {
  if (value === null || value === undefined) return null;
  switch (type.kind) {
    case 'nullable':
      return normalWith(type.inner, value, leaf, reader);
    case 'array':
      return reader.items(value).map((item) => normalWith(type.items, item, leaf, reader));
    case 'struct':
      return Object.fromEntries(
        type.fields.map((field) => [field.name, normalWith(field.type, reader.field(value, field.name), leaf, reader)]),
      );
    case 'map': {
      const entries = [...reader.entries(value)].sort(([a], [b]) => a.localeCompare(b));
      return Object.fromEntries(entries.map(([key, inner]) => [key, normalWith(type.values, inner, leaf, reader)]));
    }
    default:
      return leaf(type, value);
  }
}

/** A decoded Avro scalar → the normal form. */
function decodedLeaf(type: ColumnType, value: unknown): NormalValue {
  switch (type.kind) {
    case 'timestamp':
      return isoMillis(Number(value));
    case 'date':
      return isoDay(Number(value));
    case 'decimal':
      return decimalText(String(value), type.scale);
    case 'boolean':
      return Boolean(value);
    case 'bytes':
      return Buffer.from(value as Uint8Array).toString('hex');
    case 'json':
      return typeof value === 'string' ? value : JSON.stringify(value);
    case 'string':
    case 'enum':
      return String(value);
    default:
      return Number(value);
  }
}

/** The normal form of one decoded value of a column type. */
export function normalValue(type: ColumnType, value: unknown): NormalValue {
  return normalWith(type, value, decodedLeaf);
}

/** Walks a flattened column's path through the value record; null as soon as a parent is missing. */
function at(value: Readonly<Record<string, unknown>>, path: readonly string[]): unknown {
  let current: unknown = value;
  for (const step of path) {
    if (current === null || current === undefined) return null;
    current = (current as Record<string, unknown>)[step];
  }
  return current;
}

/**
 * The live rows a destination must hold after loading these records in offset order: the last
 * state of each key, tombstoned keys absent, sorted by the key columns.
 */
export function expectedLiveRows(
  spec: TableSpec,
  records: ReadonlyArray<{ key: Readonly<Record<string, unknown>>; value: Readonly<Record<string, unknown>> | null }>,
): NormalRow[] {
  const latest = new Map<string, (typeof records)[number]>();
  for (const record of records)
    latest.set(spec.keyColumns.map((name) => String(record.key[name])).join('\u0000'), record);
  const rows: NormalRow[] = [];
  for (const record of latest.values()) {
    const value = record.value;
    if (value === null) continue;
    const row: Record<string, NormalValue> = {};
    for (const column of spec.columns) {
      if (column.role === 'key') row[column.name] = normalValue(column.type, record.key[column.name]);
      else if (column.role === 'value') row[column.name] = normalValue(column.type, at(value, column.path));
    }
    rows.push(row);
  }
  return sortByKey(spec, rows);
}

export function sortByKey(spec: TableSpec, rows: NormalRow[]): NormalRow[] {
  const keyOf = (row: NormalRow): string => spec.keyColumns.map((name) => String(row[name])).join('\u0000');
  return rows.sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
}
