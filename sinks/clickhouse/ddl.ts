/**
 * ClickHouse DDL as text, and the plan of what a table needs for a schema version. Pure, so the
 * statements are unit-tested without a server.
 *
 * Engine: ReplacingMergeTree(_version, _is_deleted) ordered by the key columns. Merges (and FINAL)
 * keep the row with the highest `_version` (= Kafka offset) per key and drop keys whose latest row is
 * a delete. `non_replicated_deduplication_window` makes a single server remember the last 1000
 * insert tokens, so a retried batch is dropped. On a cluster (`clickhouse.cluster`, composed in
 * layout.ts) every statement carries `ON CLUSTER '<name>'` and the table is
 * `ReplicatedReplacingMergeTree(<keeper path>, <replica>, _version, _is_deleted)`, where token
 * deduplication is on by default (`replicated_deduplication_window`); a Distributed table may
 * front the replicated ones.
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

/** A string literal (engine arguments, cluster names, which may be macros such as `{cluster}`). */
export function quoteString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** ` ON CLUSTER '<name>'`, or nothing on a single server (ClickHouse Cloud included). */
function onCluster(cluster: string | undefined): string {
  return cluster === undefined ? '' : ` ON CLUSTER ${quoteString(cluster)}`;
}

export function createDatabaseSql(database: string, cluster?: string): string {
  return `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(database)}${onCluster(cluster)}`;
}

/** Where a replicated table keeps its metadata in ClickHouse Keeper / ZooKeeper, and this server's replica name. */
export interface Replication {
  readonly cluster: string;
  readonly zookeeperPath: string;
  readonly replicaName: string;
}

function columnList(spec: TableSpec): string {
  return `(\n${spec.columns.map((column) => `    ${columnDefinition(column)}`).join(',\n')}\n)`;
}

/** The table rows are stored in: ReplacingMergeTree on one server, ReplicatedReplacingMergeTree ON CLUSTER with `replication`. */
export function createTableSql(database: string, spec: TableSpec, replication?: Replication): string {
  const engine =
    replication === undefined
      ? 'ReplacingMergeTree(`_version`, `_is_deleted`)'
      : `ReplicatedReplacingMergeTree(${quoteString(replication.zookeeperPath)}, ${quoteString(replication.replicaName)}, \`_version\`, \`_is_deleted\`)`;
  const settings =
    replication === undefined
      ? `non_replicated_deduplication_window = ${DEDUPLICATION_WINDOW}, min_bytes_for_wide_part = ${MIN_BYTES_FOR_WIDE_PART}`
      : `min_bytes_for_wide_part = ${MIN_BYTES_FOR_WIDE_PART}`;
  return [
    `CREATE TABLE IF NOT EXISTS ${qualifiedName(database, spec.name)}${onCluster(replication?.cluster)}`,
    columnList(spec),
    `ENGINE = ${engine}`,
    `ORDER BY (${spec.keyColumns.map(quoteIdentifier).join(', ')})`,
    `SETTINGS ${settings}`,
  ].join('\n');
}

/**
 * A Distributed table named `spec.name` over `localTable` on every shard of `cluster`, sharded by a
 * hash of the key columns: every version of a key lands on the same shard, so FINAL (run on each
 * shard) collapses them.
 */
export function createDistributedTableSql(
  database: string,
  spec: TableSpec,
  cluster: string,
  localTable: string,
): string {
  const shardingKey = `cityHash64(${spec.keyColumns.map(quoteIdentifier).join(', ')})`;
  return [
    `CREATE TABLE IF NOT EXISTS ${qualifiedName(database, spec.name)}${onCluster(cluster)}`,
    columnList(spec),
    `ENGINE = Distributed(${quoteString(cluster)}, ${quoteString(database)}, ${quoteString(localTable)}, ${shardingKey})`,
  ].join('\n');
}

/** One ALTER for all new columns, so a schema version appears at once. */
export function addColumnsSql(database: string, table: string, columns: readonly Column[], cluster?: string): string {
  const adds = columns.map((column) => `ADD COLUMN IF NOT EXISTS ${columnDefinition(column)}`);
  return `ALTER TABLE ${qualifiedName(database, table)}${onCluster(cluster)}\n    ${adds.join(',\n    ')}`;
}

export function exchangeTablesSql(database: string, a: string, b: string, cluster?: string): string {
  return `EXCHANGE TABLES ${qualifiedName(database, a)} AND ${qualifiedName(database, b)}${onCluster(cluster)}`;
}

export function dropTableSql(database: string, table: string, cluster?: string): string {
  return `DROP TABLE IF EXISTS ${qualifiedName(database, table)}${onCluster(cluster)} SYNC`;
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
