/**
 * The destination-neutral table model: logical column types, the columns of a table (key, value,
 * lineage) and the spec a destination creates, evolves and fills a table from. Every destination
 * (ClickHouse, DuckDB, PostgreSQL) maps these logical types to its own SQL types; nothing here
 * reads Avro (the mapping from Avro schemas is sinks/runner/avro-table.ts). The lineage names are
 * the contract's (contract/columns.ts), which schema drift keeps clear of.
 */
import { LINEAGE_COLUMN_NAMES } from '../contract/columns.js';

export type ColumnType =
  | { readonly kind: 'string'; readonly lowCardinality: boolean }
  | { readonly kind: 'boolean' | 'int32' | 'int64' | 'float32' | 'float64' | 'bytes' | 'json' }
  | { readonly kind: 'timestamp' | 'date' }
  | { readonly kind: 'decimal'; readonly precision: number; readonly scale: number }
  | { readonly kind: 'enum'; readonly symbols: readonly string[] }
  | { readonly kind: 'uint8' | 'uint32' | 'uint64' }
  | { readonly kind: 'nullable'; readonly inner: ColumnType }
  | { readonly kind: 'array'; readonly items: ColumnType }
  | { readonly kind: 'map'; readonly values: ColumnType }
  | { readonly kind: 'struct'; readonly fields: readonly StructField[] };

export interface StructField {
  readonly name: string;
  readonly type: ColumnType;
}

export type ColumnRole = 'key' | 'value' | 'lineage';

export interface Column {
  readonly name: string;
  readonly type: ColumnType;
  readonly role: ColumnRole;
  /** Field path inside the Avro key or value record; empty for lineage columns. */
  readonly path: readonly string[];
}

/** Everything a destination needs to create, evolve and fill one table. */
export interface TableSpec {
  readonly name: string;
  /** Key columns first (the sort/primary key), then value columns, then lineage columns. */
  readonly columns: readonly Column[];
  readonly keyColumns: readonly string[];
}

const LINEAGE_TYPES: Readonly<Record<(typeof LINEAGE_COLUMN_NAMES)[number], ColumnType>> = {
  _topic: { kind: 'string', lowCardinality: true },
  _partition: { kind: 'uint32' },
  _offset: { kind: 'uint64' },
  _schema_id: { kind: 'uint32' },
  _ingested_at: { kind: 'timestamp' },
  _version: { kind: 'uint64' },
  _is_deleted: { kind: 'uint8' },
};

/** Lineage columns, in order, appended to every table; `_version` is the Kafka offset (see rows.ts). */
export const LINEAGE_COLUMNS: readonly Column[] = Object.freeze(
  LINEAGE_COLUMN_NAMES.map((name): Column => ({ name, type: LINEAGE_TYPES[name], role: 'lineage', path: [] })),
);

export function nullableOf(type: ColumnType): ColumnType {
  return type.kind === 'nullable' ? type : { kind: 'nullable', inner: type };
}
