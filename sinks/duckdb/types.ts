/**
 * Logical column types → DuckDB types, twice: as SQL text for DDL (written the way
 * `duckdb_columns().data_type` prints it, so existing and wanted columns compare as strings) and as
 * `DuckDBType` objects for the data chunks the appender takes.
 *
 * Choices:
 * - timestamp → TIMESTAMPTZ: the value is an instant; DuckDB stores it as UTC microseconds and
 *   shows it in the session's TimeZone (`SET TimeZone = 'UTC'` to read it as UTC). Milliseconds
 *   are kept exactly.
 * - Every value column is nullable, whatever the Avro type: a field removed from the schema keeps
 *   its column and new rows must be able to leave it NULL (the Avro schema, not the table, is what
 *   enforces non-null values). Key columns are NOT NULL through the primary key.
 * - enum → VARCHAR (a new symbol needs no DDL), strings → VARCHAR (DuckDB dictionary-compresses
 *   repetitive strings by itself, so `lowCardinality` needs no type), bytes → BLOB,
 *   multi-branch unions → JSON, arrays → LIST (`T[]`), maps → MAP(VARCHAR, T), arrays of records →
 *   lists of STRUCT.
 * - decimal(p, s) → DECIMAL(p, s) up to DuckDB's maximum precision of 38; a wider decimal is a
 *   schema error (as for ClickHouse beyond 76), never a silent DOUBLE.
 */
import {
  BIGINT,
  BLOB,
  BOOLEAN,
  DATE,
  DECIMAL,
  DOUBLE,
  FLOAT,
  INTEGER,
  LIST,
  MAP,
  STRUCT,
  TIMESTAMPTZ,
  UBIGINT,
  UINTEGER,
  UTINYINT,
  VARCHAR,
  type DuckDBType,
} from '@duckdb/node-api';
import type { ColumnType } from '../columns.js';

const MAX_DECIMAL_PRECISION = 38;

const SIMPLE: Readonly<Record<string, { readonly sql: string; readonly chunk: DuckDBType }>> = {
  string: { sql: 'VARCHAR', chunk: VARCHAR },
  enum: { sql: 'VARCHAR', chunk: VARCHAR },
  // Multi-branch unions arrive as JSON text (rows.ts); the JSON type is VARCHAR underneath.
  json: { sql: 'JSON', chunk: VARCHAR },
  boolean: { sql: 'BOOLEAN', chunk: BOOLEAN },
  int32: { sql: 'INTEGER', chunk: INTEGER },
  int64: { sql: 'BIGINT', chunk: BIGINT },
  float32: { sql: 'FLOAT', chunk: FLOAT },
  float64: { sql: 'DOUBLE', chunk: DOUBLE },
  bytes: { sql: 'BLOB', chunk: BLOB },
  timestamp: { sql: 'TIMESTAMP WITH TIME ZONE', chunk: TIMESTAMPTZ },
  date: { sql: 'DATE', chunk: DATE },
  uint8: { sql: 'UTINYINT', chunk: UTINYINT },
  uint32: { sql: 'UINTEGER', chunk: UINTEGER },
  uint64: { sql: 'UBIGINT', chunk: UBIGINT },
};

function checkDecimal(precision: number, scale: number): void {
  if (precision < 1 || precision > MAX_DECIMAL_PRECISION || scale < 0 || scale > precision) {
    throw new RangeError(
      `decimal(${precision}, ${scale}) does not fit DuckDB DECIMAL (precision 1-${MAX_DECIMAL_PRECISION})`,
    );
  }
}

/** Struct field names are always quoted here; DuckDB quotes only keywords when it prints a type (see `canHold`). */
function quotedField(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The SQL type of a column. Throws RangeError for a type DuckDB cannot store (the caller makes it a schema error). */
export function duckdbType(type: ColumnType): string {
  switch (type.kind) {
    case 'decimal':
      checkDecimal(type.precision, type.scale);
      return `DECIMAL(${type.precision},${type.scale})`;
    case 'nullable':
      return duckdbType(type.inner);
    case 'array':
      return `${duckdbType(type.items)}[]`;
    case 'map':
      return `MAP(VARCHAR, ${duckdbType(type.values)})`;
    case 'struct':
      return `STRUCT(${type.fields.map((field) => `${quotedField(field.name)} ${duckdbType(field.type)}`).join(', ')})`;
    default:
      return (SIMPLE[type.kind] as { sql: string }).sql;
  }
}

/** The same type as a node-api `DuckDBType`, for building data chunks. */
export function chunkType(type: ColumnType): DuckDBType {
  switch (type.kind) {
    case 'decimal':
      checkDecimal(type.precision, type.scale);
      return DECIMAL(type.precision, type.scale);
    case 'nullable':
      return chunkType(type.inner);
    case 'array':
      return LIST(chunkType(type.items));
    case 'map':
      return MAP(VARCHAR, chunkType(type.values));
    case 'struct':
      return STRUCT(Object.fromEntries(type.fields.map((field) => [field.name, chunkType(field.type)])));
    default:
      return (SIMPLE[type.kind] as { chunk: DuckDBType }).chunk;
  }
}

/** `"order" INTEGER` → `order INTEGER`: names compare unquoted (Avro names never hold quotes). */
function withoutIdentifierQuotes(type: string): string {
  return type.replace(/"((?:[^"]|"")*)"/g, (_match, name: string) => name.replace(/""/g, '"'));
}

/** Existing ← wanted pairs where the existing column already stores every wanted value exactly. */
const WIDER: ReadonlySet<string> = new Set(['BIGINT<INTEGER', 'DOUBLE<FLOAT', 'DOUBLE<INTEGER']);

/** The same type, quoting aside. */
function sameType(existing: string, wanted: string): boolean {
  return withoutIdentifierQuotes(existing) === withoutIdentifierQuotes(wanted);
}

/** The same type (quoting aside) or a lossless widening; anything else needs a rebuild of the table. */
export function canHold(existing: string, wanted: string): boolean {
  return (
    sameType(existing, wanted) || WIDER.has(`${withoutIdentifierQuotes(existing)}<${withoutIdentifierQuotes(wanted)}`)
  );
}
