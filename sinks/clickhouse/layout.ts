/**
 * Which tables a resource occupies in ClickHouse and the statements that create, evolve, swap and
 * drop them, from the `clickhouse` section. Pure, so every statement is unit-tested as text.
 *
 * - One server (no `cluster`; ClickHouse Cloud too): one ReplacingMergeTree table per resource,
 *   the statements of ddl.ts exactly as they have always been.
 * - `cluster`: every statement `ON CLUSTER`, the table ReplicatedReplacingMergeTree with the
 *   configured Keeper path and replica (macros expanded by each server).
 * - `cluster` + `distributed`: the replicated table is `<resource>_local` on every shard and
 *   `<resource>` is a Distributed table over them: inserts and reads keep naming `<resource>`. Inserts are
 *   synchronous (`insert_distributed_sync`), so a batch has reached its shards when the write
 *   returns and offsets are committed.
 *
 * A swap (the end of `sink rebuild`) exchanges the stored tables with EXCHANGE TABLES; with a
 * Distributed table, a new Distributed table with the rebuilt columns over `<resource>_local` is
 * exchanged with the old one right after.
 */
import type { ClickHouseSettings } from '@clickhouse/client';
import type { Column, TableSpec } from '../columns.js';
import type { ClickHouseConfig } from './config.js';
import {
  addColumnsSql,
  createDatabaseSql,
  createDistributedTableSql,
  createTableSql,
  dropTableSql,
  exchangeTablesSql,
  type Replication,
} from './ddl.js';

/** Keeper path of a replicated table by default: one per shard, database and table (the server expands the macros). */
export const DEFAULT_ZOOKEEPER_PATH = '/clickhouse/tables/{shard}/{database}/{table}';
export const DEFAULT_REPLICA_NAME = '{replica}';
/** Suffix of the replicated tables under a Distributed table. */
export const LOCAL_SUFFIX = '_local';

export interface ClickHouseLayout {
  readonly database: string;
  /** Every table of a resource whose columns must match its schema: the stored table first, then the Distributed one. */
  tablesOf(table: string): string[];
  createDatabase(): string;
  /** Creates what is missing of the resource's tables (IF NOT EXISTS), stored table first. */
  createTables(spec: TableSpec): string[];
  /** Adds columns to every table of the resource (IF NOT EXISTS, so a repeat after a crash is harmless). */
  addColumns(table: string, columns: readonly Column[]): string[];
  /** Drops every table of the resource, the Distributed one first. */
  dropTables(table: string): string[];
  /** Puts the tables of `rebuilt` in place of those of `live` (created first when missing) and drops the old ones. */
  swap(live: TableSpec, rebuilt: string): string[];
  /** Settings every insert carries besides the deduplication token. */
  readonly insertSettings: Readonly<ClickHouseSettings>;
}

function singleServer(database: string): ClickHouseLayout {
  return {
    database,
    tablesOf: (table) => [table],
    createDatabase: () => createDatabaseSql(database),
    createTables: (spec) => [createTableSql(database, spec)],
    addColumns: (table, columns) => [addColumnsSql(database, table, columns)],
    dropTables: (table) => [dropTableSql(database, table)],
    swap: (live, rebuilt) => [
      // The live table may not exist yet (first load): EXCHANGE needs both sides.
      createTableSql(database, live),
      exchangeTablesSql(database, live.name, rebuilt),
      dropTableSql(database, rebuilt),
    ],
    insertSettings: {},
  };
}

/** Both cluster layouts: ON CLUSTER everywhere, replicated stored tables, optionally a Distributed table in front. */
function clusterLayout(
  database: string,
  replication: Replication,
  options: { readonly distributed: boolean; readonly insertQuorum: number | 'auto' | undefined },
): ClickHouseLayout {
  const { cluster } = replication;
  const { distributed } = options;
  /** The replicated table of a resource: under the Distributed one, or the resource's table itself. */
  const stored = (table: string): string => (distributed ? `${table}${LOCAL_SUFFIX}` : table);
  const tablesOf = (table: string): string[] => (distributed ? [stored(table), table] : [table]);
  const createTables = (spec: TableSpec): string[] => [
    createTableSql(database, { ...spec, name: stored(spec.name) }, replication),
    ...(distributed ? [createDistributedTableSql(database, spec, cluster, stored(spec.name))] : []),
  ];
  const dropAll = (tables: readonly string[]): string[] =>
    tables.map((table) => dropTableSql(database, table, cluster));
  const quorum: ClickHouseSettings =
    options.insertQuorum === undefined ? {} : { insert_quorum: String(options.insertQuorum) };
  return {
    database,
    tablesOf,
    createDatabase: () => createDatabaseSql(database, cluster),
    createTables,
    addColumns: (table, columns) => tablesOf(table).map((name) => addColumnsSql(database, name, columns, cluster)),
    // The Distributed table first: it must never outlive the table it reads.
    dropTables: (table) => dropAll(tablesOf(table).reverse()),
    swap: (live, rebuilt) => {
      if (!distributed)
        return [...createTables(live), exchangeTablesSql(database, live.name, rebuilt, cluster), ...dropAll([rebuilt])];
      // The new Distributed table reads the live stored table, which holds the rebuilt rows after the first exchange.
      const front = `${rebuilt}_front`;
      return [
        ...createTables(live),
        createDistributedTableSql(database, { ...live, name: front }, cluster, stored(live.name)),
        exchangeTablesSql(database, stored(live.name), stored(rebuilt), cluster),
        exchangeTablesSql(database, live.name, front, cluster),
        ...dropAll([front, rebuilt, stored(rebuilt)]),
      ];
    },
    // With a Distributed table, the write returns once every shard has its rows: only then may offsets be committed.
    insertSettings: distributed ? { ...quorum, insert_distributed_sync: 1 } : quorum,
  };
}

export function clickhouseLayout(config: ClickHouseConfig): ClickHouseLayout {
  if (config.cluster === undefined) return singleServer(config.database);
  const replication: Replication = {
    cluster: config.cluster,
    zookeeperPath: config.zookeeperPath ?? DEFAULT_ZOOKEEPER_PATH,
    replicaName: config.replicaName ?? DEFAULT_REPLICA_NAME,
  };
  return clusterLayout(config.database, replication, {
    distributed: config.distributed === true,
    insertQuorum: config.insertQuorum,
  });
}
