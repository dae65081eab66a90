/**
 * PostgreSQL statements as text: its dialect of the shared layout (sinks/sql-tables.ts: live table,
 * `__deleted` tombstones, `__rebuild` twins) and the merge of one staged batch. Pure, so every
 * statement can be read and tested without a server.
 *
 * Dialect: key columns are NOT NULL with a named primary key (`<table>_pkey`, so a rebuild can
 * rename it with its table); every other column is nullable, because a field removed from the
 * schema keeps its column and rows written after the removal have no value for it. No view sits
 * over the table (a view would have to be recreated on every ADD COLUMN and swapped on a rebuild).
 *
 * Merge of a staged batch (one row per key, the highest offset, see destination.ts), in one
 * transaction, every step guarded by `_version` so a replay or an out-of-order batch is a no-op,
 * sent with the COMMIT as one multi-statement query (one round trip; a failing statement skips the
 * rest, and the caller rolls back):
 *   1. upsert the live rows: INSERT … ON CONFLICT (key) DO UPDATE … WHERE stored _version < new,
 *      skipping keys whose tombstone is newer; the update sets every non-key column of the table,
 *      so a removed field's column reads NULL after the update rather than a stale value;
 *   2. drop the tombstones those upserts supersede (the entity came back);
 *   3. delete the live rows the batch's tombstones supersede, and record those tombstones unless
 *      the stored live row is newer.
 *
 * Insert of a batch of upserts as it is (`insertSql`): COPY straight into the live table, whose
 * primary key refuses a stored key, then the batch's own keys looked up in the tombstones (older
 * ones dropped, a newer one refuses the insert). A refused insert is rolled back and the batch merges.
 */
import type { Column, TableSpec } from '../columns.js';
import {
  columnDefinition,
  quoteIdentifier,
  rebuildTable,
  sameKey,
  tombstoneColumns,
  tombstoneTable,
  type SqlDialect,
} from '../sql-tables.js';
import { canHold, postgresType } from './types.js';

/** PostgreSQL truncates longer identifiers (NAMEDATALEN - 1 bytes), which would make names collide. */
export const MAX_IDENTIFIER_BYTES = 63;

export function qualifiedName(schema: string, table: string): string {
  return `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`;
}

/** Named so that a rebuild can rename it with its table (the index name is schema-wide: two `_pkey`s would clash). */
export function primaryKeyName(table: string): string {
  return `${table}_pkey`;
}

/** Every identifier a table brings (its tombstones, rebuild twins and their keys), for the length check. */
export function derivedIdentifiers(spec: TableSpec): string[] {
  const tables = [
    spec.name,
    tombstoneTable(spec.name),
    rebuildTable(spec.name),
    tombstoneTable(rebuildTable(spec.name)),
  ];
  return [...tables, ...tables.map(primaryKeyName), ...spec.columns.map((column) => column.name)];
}

/** PostgreSQL's dialect of the shared layout, for tables in `schema`. */
export function postgresSqlDialect(schema: string): SqlDialect {
  return {
    render: postgresType,
    canHold,
    tableName: (table) => qualifiedName(schema, table),
    notNullKeys: true,
    primaryKey: (table, keyColumns) =>
      `CONSTRAINT ${quoteIdentifier(primaryKeyName(table))} PRIMARY KEY (${keyColumns.map(quoteIdentifier).join(', ')})`,
    indent: '  ',
  };
}

export function createSchemaSql(schema: string): string {
  return `CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`;
}

/** One ALTER for all new columns, so a schema version appears at once. */
export function addColumnsSql(schema: string, table: string, columns: readonly Column[]): string {
  const dialect = postgresSqlDialect(schema);
  return `ALTER TABLE ${qualifiedName(schema, table)}\n  ${columns.map((col: Column) => `ADD COLUMN IF NOT EXISTS ${columnDefinition(dialect, col)}`).join(',\n  ')}`;
}

/** Renames a table and its primary key (which renames the key's index too). */
export function renameTableSql(schema: string, from: string, to: string): string[] {
  return [
    `ALTER TABLE ${qualifiedName(schema, from)} RENAME TO ${quoteIdentifier(to)}`,
    `ALTER TABLE ${qualifiedName(schema, to)} RENAME CONSTRAINT ${quoteIdentifier(primaryKeyName(from))} TO ${quoteIdentifier(primaryKeyName(to))}`,
  ];
}

/** A transaction-scoped lock serialising DDL on one schema across sink instances (CREATE … IF NOT EXISTS races otherwise). */
export const LOCK_SQL = 'SELECT pg_advisory_xact_lock(hashtextextended($1, 0))';

/** A table's columns as format_type() spells them, with their position in the primary key (null when not in it). */
export const READ_COLUMNS_SQL = `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, array_position(i.indkey::int2[], a.attnum) AS key_position
FROM pg_attribute a
LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary
WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum`;

/** Batches of rows the live-versions cursor hands over per round trip. */
export const LIVE_VERSIONS_FETCH = 10_000;

/** A cursor (inside a transaction) over key values as text, in key order, and version of every live entity: the table holds live rows only. */
export function declareLiveVersionsSql(schema: string, table: string, keyColumns: readonly string[]): string {
  const key = keyColumns.map((name) => `${quoteIdentifier(name)}::text`).join(', ');
  return `DECLARE live_versions NO SCROLL CURSOR FOR SELECT ARRAY[${key}] AS key, "_version"::text AS version FROM ${qualifiedName(schema, table)}`;
}

/** The session's staging table for one column layout; emptied by every commit, private to its connection. */
export function createStagingSql(stage: string, spec: TableSpec): string {
  const columns = spec.columns.map((col) => `${quoteIdentifier(col.name)} ${postgresType(col.type)}`);
  return `CREATE TEMPORARY TABLE IF NOT EXISTS ${quoteIdentifier(stage)} (\n  ${columns.join(',\n  ')}\n) ON COMMIT DELETE ROWS`;
}

/** Key kinds whose JavaScript values pg sends in PostgreSQL's own input syntax, so a batch's keys can go as array parameters. */
const ARRAY_PARAMETER_KINDS: ReadonlySet<string> = new Set([
  'string',
  'enum',
  'int32',
  'int64',
  'uint8',
  'uint32',
  'boolean',
]);

export interface InsertSql {
  /** COPY straight into the live table: its primary key refuses any key the table holds. */
  readonly copy: string;
  /**
   * Drops the tombstones of the batch's keys (one array parameter per key column, in key order)
   * and returns one row, `newer`: whether one of them was newer than the row just inserted, which
   * must then not stay. A key is live or deleted, never both, so every tombstone found is of a
   * key the batch brought back.
   */
  readonly revive: string;
}

/**
 * The statements that insert a batch of upserts as it is, with no merge: undefined when a key
 * column's values cannot go as an array parameter (the batch then always merges).
 */
export function insertSql(schema: string, spec: TableSpec): InsertSql | undefined {
  const keyColumns = spec.keyColumns.map((name) => spec.columns.find((column) => column.name === name) as Column);
  if (!keyColumns.every((column) => ARRAY_PARAMETER_KINDS.has(column.type.kind))) return undefined;
  const table = qualifiedName(schema, spec.name);
  const tombstones = qualifiedName(schema, tombstoneTable(spec.name));
  const names = spec.columns.map((col) => quoteIdentifier(col.name)).join(', ');
  const arrays = keyColumns.map((column, index) => `$${index + 1}::${postgresType(column.type)}[]`);
  const keys = spec.keyColumns.map(quoteIdentifier).join(', ');
  // The live table is probed only for the tombstones found, which a fresh table has none of.
  const revive = [
    'WITH revived AS (',
    `  DELETE FROM ${tombstones} d`,
    `  USING unnest(${arrays.join(', ')}) AS k (${keys})`,
    `  WHERE ${sameKey(spec.keyColumns, 'd', 'k')}`,
    `  RETURNING ${spec.keyColumns.map((name) => `d.${quoteIdentifier(name)}`).join(', ')}, d."_version"`,
    ')',
    'SELECT coalesce(bool_or(r."_version" > t."_version"), false) AS newer',
    `FROM revived r JOIN ${table} t ON ${sameKey(spec.keyColumns, 't', 'r')}`,
  ].join('\n');
  return { copy: `COPY ${table} (${names}) FROM STDIN (FORMAT binary)`, revive };
}

export interface MergeSql {
  readonly copy: string;
  /** Upsert, revive, COMMIT: one round trip for a batch without tombstones. */
  readonly upserts: string;
  /** The same with the deletes and tombstones of a batch that has some. */
  readonly withDeletes: string;
}

/**
 * The statements that merge the staged batch into the table. `tableColumns` are the table's
 * columns as they exist (the spec's plus those of removed fields), for the update's SET list.
 */
export function mergeSql(schema: string, spec: TableSpec, tableColumns: readonly string[], stage: string): MergeSql {
  const table = qualifiedName(schema, spec.name);
  const tombstones = qualifiedName(schema, tombstoneTable(spec.name));
  const staged = `pg_temp.${quoteIdentifier(stage)}`;
  const names = spec.columns.map((col) => quoteIdentifier(col.name)).join(', ');
  const keys = spec.keyColumns.map(quoteIdentifier);
  const keysMatch = (a: string, b: string): string => sameKey(spec.keyColumns, a, b);
  const keySet = new Set(spec.keyColumns);
  const updates = tableColumns
    .filter((name) => !keySet.has(name))
    .map((name) => `${quoteIdentifier(name)} = excluded.${quoteIdentifier(name)}`);
  const tombstone = tombstoneColumns(spec);
  const upsert = [
    `INSERT INTO ${table} AS t (${names})`,
    `SELECT ${names} FROM ${staged} s`,
    `WHERE s."_is_deleted" = 0 AND NOT EXISTS (SELECT 1 FROM ${tombstones} d WHERE ${keysMatch('d', 's')} AND d."_version" > s."_version")`,
    `ON CONFLICT (${keys.join(', ')}) DO UPDATE SET ${updates.join(', ')}`,
    'WHERE t."_version" < excluded."_version"',
  ].join('\n');
  const revive = `DELETE FROM ${tombstones} d USING ${staged} s WHERE s."_is_deleted" = 0 AND ${keysMatch('d', 's')} AND d."_version" < s."_version"`;
  const deleteLive = `DELETE FROM ${table} t USING ${staged} s WHERE s."_is_deleted" = 1 AND ${keysMatch('t', 's')} AND t."_version" < s."_version"`;
  const recordTombstones = [
    `INSERT INTO ${tombstones} AS d (${tombstone})`,
    `SELECT ${tombstone} FROM ${staged} s`,
    `WHERE s."_is_deleted" = 1 AND NOT EXISTS (SELECT 1 FROM ${table} t WHERE ${keysMatch('t', 's')} AND t."_version" > s."_version")`,
    `ON CONFLICT (${keys.join(', ')}) DO UPDATE SET "_version" = excluded."_version", "_ingested_at" = excluded."_ingested_at"`,
    'WHERE d."_version" < excluded."_version"',
  ].join('\n');
  const script = (statements: readonly string[]): string => [...statements, 'COMMIT'].join(';\n');
  return {
    copy: `COPY ${staged} (${names}) FROM STDIN (FORMAT binary)`,
    upserts: script([upsert, revive]),
    withDeletes: script([upsert, revive, deleteLive, recordTombstones]),
  };
}
