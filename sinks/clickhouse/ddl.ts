/**
 * ClickHouse DDL as text, and the plan of what a table needs for a schema version. Pure, so the
 * statements are unit-tested without a server.
 *
 * Engine: ReplacingMergeTree(_version, _is_deleted) ordered by the key columns. Merges (and FINAL)
 * keep the row with the highest `_version` (= Kafka offset) per key and drop keys whose latest row is
 * a delete. `non_replicated_deduplication_window` makes a single server remember the last 1000
 * insert tokens, so a retried batch is dropped. On a replicated cluster the same table would be
 * `ReplicatedReplacingMergeTree(<zk path>, <replica>, _version, _is_deleted)` (created ON CLUSTER),
 * where token deduplication is on by default (`replicated_deduplication_window`).
 *
 * `min_bytes_for_wide_part`: a sink batch becomes one compact part (all columns in one file)
 * instead of a wide part with two files per column stream. A booking has ~300 streams (nested
 * arrays of tuples), and opening and buffering ~600 files cost about a second per insert, more than
 * writing the rows; merged parts past the threshold still become wide, as analytics reads want.
 */
import type { Column, TableSpec } from '../columns.js';
import { canHold, clickhouseType } from './types.js';
import { planColumns, type TablePlan, type TypeDialect } from '../ddl-plan.js';

export const DEDUPLICATION_WINDOW = 1000;
/** Parts below this (uncompressed) stay compact: above any sink batch (batch.maxBytes is 64 MiB of Avro). */
export const MIN_BYTES_FOR_WIDE_PART = 512 * 1024 * 1024;

export function quoteIdentifier(name: string): string {
  return `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;
}

export function qualifiedName(database: string, table: string): string {
  return `${quoteIdentifier(database)}.${quoteIdentifier(table)}`;
}

function columnDefinition(column: Column): string {
  return `${quoteIdentifier(column.name)} ${clickhouseType(column.type)}`;
}

export function createDatabaseSql(database: string): string {
  return `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(database)}`;
}

export function createTableSql(database: string, spec: TableSpec): string {
  return [
    `CREATE TABLE IF NOT EXISTS ${qualifiedName(database, spec.name)}`,
    `(\n${spec.columns.map((column) => `    ${columnDefinition(column)}`).join(',\n')}\n)`,
    'ENGINE = ReplacingMergeTree(`_version`, `_is_deleted`)',
    `ORDER BY (${spec.keyColumns.map(quoteIdentifier).join(', ')})`,
    `SETTINGS non_replicated_deduplication_window = ${DEDUPLICATION_WINDOW}, min_bytes_for_wide_part = ${MIN_BYTES_FOR_WIDE_PART}`,
  ].join('\n');
}

/** One ALTER for all new columns, so a schema version appears at once. */
export function addColumnsSql(database: string, table: string, columns: readonly Column[]): string {
  const adds = columns.map((column) => `ADD COLUMN IF NOT EXISTS ${columnDefinition(column)}`);
  return `ALTER TABLE ${qualifiedName(database, table)}\n    ${adds.join(',\n    ')}`;
}

export function exchangeTablesSql(database: string, a: string, b: string): string {
  return `EXCHANGE TABLES ${qualifiedName(database, a)} AND ${qualifiedName(database, b)}`;
}

export function dropTableSql(database: string, table: string): string {
  return `DROP TABLE IF EXISTS ${qualifiedName(database, table)} SYNC`;
}

/** ClickHouse's spelling of the shared evolution rules (sinks/ddl-plan.ts). */
const CLICKHOUSE_DIALECT: TypeDialect = { render: clickhouseType, canHold };

/**
 * What the existing table (name → type, as in `system.columns`) lacks for this spec. Columns the
 * table has and the spec does not (fields removed from the schema) are kept and get defaults/NULL.
 */
export function planTable(existing: ReadonlyMap<string, string>, spec: TableSpec): TablePlan {
  return planColumns(existing, spec, CLICKHOUSE_DIALECT);
}

export { describeConflicts } from '../ddl-plan.js';
