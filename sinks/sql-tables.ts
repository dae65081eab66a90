/**
 * The SQL base the DuckDB and PostgreSQL destinations share: one layout per resource and the rules
 * that check an existing table, each destination supplying only its dialect (how it names tables
 * and types, its key constraint) and its merge (sinks/duckdb/sql.ts, sinks/postgres/ddl.ts).
 *
 * Layout per resource (`bookings`):
 * - `bookings`: the latest state of every live entity, PRIMARY KEY on the key columns, lineage
 *   columns included (`_version` = Kafka offset of that state; `_is_deleted` is always 0 here), so
 *   `SELECT * FROM bookings` shows live entities only: no deleted rows, no old versions.
 * - `bookings__deleted`: one row per deleted entity, key columns + `_version` of the delete +
 *   `_ingested_at`. It keeps a replayed older upsert (a rebalance re-delivery, `sink reset`) from
 *   bringing a deleted entity back: without it the key would look new. A key is live or
 *   tombstoned, never both.
 * - `bookings__rebuild` (and its tombstones): the twin a replay fills, swapped in by drop + rename.
 * Every merge step compares `_version`, so a replayed or out-of-order batch changes nothing.
 */
import type { Column, TableSpec } from './columns.js';
import { describeConflicts, planColumns, type TypeDialect } from './ddl-plan.js';
import { DestinationError } from './errors.js';

/** Columns of a tombstone after the key columns; both are lineage columns of every spec. */
export const TOMBSTONE_LINEAGE = ['_version', '_ingested_at'] as const;

export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function tombstoneTable(table: string): string {
  return `${table}__deleted`;
}

export function rebuildTable(table: string): string {
  return `${table}__rebuild`;
}

/** Where the two engines differ in the layout's DDL. */
export interface SqlDialect extends TypeDialect {
  /** A table's full name, quoted. */
  readonly tableName: (table: string) => string;
  /** Whether key and tombstone lineage columns are declared NOT NULL (PostgreSQL) or left to the key constraint (DuckDB). */
  readonly notNullKeys: boolean;
  /** The key constraint of a table. */
  readonly primaryKey: (table: string, keyColumns: readonly string[]) => string;
  /** Indentation of a column list (each engine's statements as they were logged). */
  readonly indent: string;
}

function columnOf(spec: TableSpec, name: string): Column {
  return spec.columns.find((column) => column.name === name) as Column;
}

/** A column's definition; key columns (and, with `required`, any column) NOT NULL where the dialect says so. */
export function columnDefinition(dialect: SqlDialect, column: Column, required = column.role === 'key'): string {
  return `${quoteIdentifier(column.name)} ${dialect.render(column.type)}${dialect.notNullKeys && required ? ' NOT NULL' : ''}`;
}

function createSql(
  dialect: SqlDialect,
  table: string,
  definitions: readonly string[],
  keyColumns: readonly string[],
): string {
  const lines = [...definitions, dialect.primaryKey(table, keyColumns)];
  return `CREATE TABLE IF NOT EXISTS ${dialect.tableName(table)} (\n${dialect.indent}${lines.join(`,\n${dialect.indent}`)}\n)`;
}

export function createTableSql(dialect: SqlDialect, spec: TableSpec): string {
  return createSql(
    dialect,
    spec.name,
    spec.columns.map((column) => columnDefinition(dialect, column)),
    spec.keyColumns,
  );
}

export function createTombstoneTableSql(dialect: SqlDialect, spec: TableSpec): string {
  const definitions = [...spec.keyColumns, ...TOMBSTONE_LINEAGE].map((name) =>
    columnDefinition(dialect, columnOf(spec, name), true),
  );
  return createSql(dialect, tombstoneTable(spec.name), definitions, spec.keyColumns);
}

export function dropTableSql(dialect: SqlDialect, table: string): string {
  return `DROP TABLE IF EXISTS ${dialect.tableName(table)}`;
}

/** `a.k1 = b.k1 AND …` over the key columns. */
export function sameKey(keyColumns: readonly string[], a: string, b: string): string {
  return keyColumns.map((name) => `${a}.${quoteIdentifier(name)} = ${b}.${quoteIdentifier(name)}`).join(' AND ');
}

/** The quoted column list of a tombstone row. */
export function tombstoneColumns(spec: TableSpec): string {
  return [...spec.keyColumns, ...TOMBSTONE_LINEAGE].map(quoteIdentifier).join(', ');
}

export interface TableEvolution {
  /** Columns of the spec the table lacks (added in mode `evolve`). */
  readonly missing: readonly Column[];
  /** What a frozen destination refuses: missing columns and a missing tombstone table. */
  readonly frozenProblems: readonly string[];
}

/**
 * What an existing table needs before this version is written. Throws `incompatible` for what no
 * DDL fixes (a column that cannot hold the new values, a key other than the schema's: `keyProblems`),
 * in both modes; `where` is the table's name as errors show it.
 */
export function planEvolution(
  dialect: SqlDialect,
  existing: ReadonlyMap<string, string>,
  spec: TableSpec,
  keyProblems: readonly string[],
  hasTombstones: boolean,
  where: string,
): TableEvolution {
  const plan = planColumns(existing, spec, dialect);
  const problems = [...(plan.conflicts.length > 0 ? [describeConflicts(plan.conflicts)] : []), ...keyProblems];
  if (problems.length > 0) {
    throw new DestinationError(
      `table ${where} cannot take this schema version: ${problems.join('; ')} (rebuild the table from the topic)`,
      { reason: 'incompatible', table: where },
    );
  }
  const names = plan.missing.map((column) => column.name);
  const frozenProblems = [
    ...(names.length > 0 ? [`columns missing: ${names.join(', ')}`] : []),
    ...(hasTombstones ? [] : [`the table ${tombstoneTable(spec.name)} does not exist`]),
  ];
  return { missing: plan.missing, frozenProblems };
}

/** The tables of a rebuild, created empty next to the live ones (a leftover of an interrupted rebuild is dropped first: the replay starts from the first offset anyway). */
export function startRebuildSql(dialect: SqlDialect, createSchema: string, twin: TableSpec): string[] {
  return [
    createSchema,
    dropTableSql(dialect, twin.name),
    dropTableSql(dialect, tombstoneTable(twin.name)),
    createTableSql(dialect, twin),
    createTombstoneTableSql(dialect, twin),
  ];
}

/** Swaps a rebuilt table and its tombstones in for the live ones; run in one transaction, so readers see the old table or the new one. */
export function swapInRebuildSql(
  dialect: SqlDialect,
  rename: (from: string, to: string) => readonly string[],
  twin: string,
  live: string,
): string[] {
  return [
    dropTableSql(dialect, live),
    dropTableSql(dialect, tombstoneTable(live)),
    ...rename(twin, live),
    ...rename(tombstoneTable(twin), tombstoneTable(live)),
  ];
}

/** Drops a rebuild's tables; the live ones are untouched. */
export function dropRebuildSql(dialect: SqlDialect, twin: string): string[] {
  return [dropTableSql(dialect, twin), dropTableSql(dialect, tombstoneTable(twin))];
}
