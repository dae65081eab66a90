/**
 * DuckDB under the conformance suite: one database file per namespace in a temporary directory,
 * tables in a schema named after the namespace (so the non-default schema path is the one tested).
 * The live table holds live rows only, so `liveRows` is a plain SELECT, read as node-api values and
 * turned into the normal form by column type (exact: decimals from their scaled integer, timestamps
 * from their microseconds, never through the session's time zone).
 *
 * The suite reads while the sink runs, in the same process: reads go through node-api's instance
 * cache, as the destination's do, so both share one instance of the file (two instances of one
 * file in one process would corrupt it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DuckDBInstance,
  type DuckDBBlobValue,
  type DuckDBConnection,
  type DuckDBDateValue,
  type DuckDBDecimalValue,
  type DuckDBListValue,
  type DuckDBMapValue,
  type DuckDBStructValue,
  type DuckDBTimestampTZValue,
  type DuckDBValue,
} from '@duckdb/node-api';
import { createLogger } from '../../../common/logger.js';
import type { ColumnType } from '../../../sinks/columns.js';
import { createDuckDBDestination } from '../../../sinks/duckdb/destination.js';
import { duckdbSchema } from '../../../sinks/duckdb/config.js';
import { duckdbExceptionType } from '../../../sinks/duckdb/errors.js';
import { qualifiedName, type Location } from '../../../sinks/duckdb/sql.js';
import { quoteIdentifier } from '../../../sinks/sql-tables.js';
import { decimalText, isoDay, isoMillis, normalWith, sortByKey, type ContainerReader } from '../expected.js';
import type { ConformanceTarget, NormalValue, TargetNamespace } from '../target.js';

const quiet = createLogger({ level: 'silent', format: 'json' });

/** node-api's container values: lists, structs and maps hold their parts in their own shapes. */
const DUCKDB_CONTAINERS: ContainerReader = {
  items: (value) => (value as DuckDBListValue).items,
  field: (value, name) => (value as DuckDBStructValue).entries[name] ?? null,
  entries: (value) =>
    [...(value as DuckDBMapValue).entries].map(({ key, value: inner }) => [String(key), inner] as const),
};

/** One node-api scalar read from a column of this type → the normal form. */
function leaf(type: ColumnType, value: unknown): NormalValue {
  switch (type.kind) {
    case 'timestamp':
      return isoMillis(Number((value as DuckDBTimestampTZValue).micros / 1000n));
    case 'date':
      return isoDay((value as DuckDBDateValue).days);
    case 'decimal':
      return decimalText((value as DuckDBDecimalValue).toString(), type.scale);
    case 'boolean':
      return value === true;
    case 'bytes':
      return Buffer.from((value as DuckDBBlobValue).bytes).toString('hex');
    case 'string':
    case 'enum':
    case 'json':
      return String(value);
    default:
      return Number(value);
  }
}

const normal = (type: ColumnType, value: DuckDBValue): NormalValue => normalWith(type, value, leaf, DUCKDB_CONTAINERS);

export const duckdbTarget: ConformanceTarget = {
  name: 'duckdb',
  async open(namespace: string): Promise<TargetNamespace> {
    const directory = mkdtempSync(join(tmpdir(), 'bookeo-conformance-duckdb-'));
    const connection = duckdbSchema.parse({
      path: join(directory, `${namespace}.duckdb`),
      schema: namespace,
      memoryLimit: '256MB',
    });
    let reader: { instance: DuckDBInstance; connection: DuckDBConnection; at: Location } | undefined;

    /** Runs a query built for where the tables live (the catalog is named after the file). */
    async function read(
      query: (at: Location) => string,
      values?: Record<string, string>,
    ): Promise<DuckDBValue[][] | undefined> {
      if (reader === undefined) {
        const instance = await DuckDBInstance.fromCache(connection.path);
        const opened = await instance.connect();
        const catalog = String((await opened.runAndReadAll('SELECT current_database()')).getRows()[0]?.[0]);
        reader = { instance, connection: opened, at: { catalog, schema: connection.schema } };
      }
      try {
        return (await reader.connection.runAndReadAll(query(reader.at), values)).getRows();
      } catch (error) {
        // No such table (yet): the suite polls before the sink has created it.
        if (duckdbExceptionType(error) === 'Catalog') return undefined;
        throw error;
      }
    }

    return {
      destination: (mode) => createDuckDBDestination({ connection, mode, logger: quiet }),
      async liveRows(spec) {
        const columns = spec.columns.filter((column) => column.role !== 'lineage');
        const rows = await read(
          (at) =>
            `SELECT ${columns.map((column) => quoteIdentifier(column.name)).join(', ')} FROM ${qualifiedName(at, spec.name)}`,
        );
        const normalRows = (rows ?? []).map((row) =>
          Object.fromEntries(columns.map((column, i) => [column.name, normal(column.type, row[i] ?? null)])),
        );
        return sortByKey(spec, normalRows);
      },
      async columnNames(table) {
        const rows = await read(
          () =>
            'SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = $schema AND table_name = $table ORDER BY column_index',
          {
            schema: connection.schema,
            table,
          },
        );
        return (rows ?? []).map(([name]) => String(name));
      },
      async drop() {
        reader?.connection.closeSync();
        reader?.instance.closeSync();
        reader = undefined;
        rmSync(directory, { recursive: true, force: true });
      },
    };
  },
};
