/**
 * The ClickHouse destination: any ClickHouse server reachable by URL (the local stack's service or
 * a production cluster), through @clickhouse/client, the only module that talks to it.
 *
 * - prepare: reads the columns of the resource's tables (layout.ts: one table, or on a cluster the
 *   replicated and the Distributed one) from `system.columns`, then creates what is missing or adds
 *   the columns of new fields to each (mode `evolve`), or refuses with every difference listed
 *   (mode `freeze`). A column that cannot hold the new values is an `incompatible` error in both modes.
 * - write: one INSERT per batch in the Native format (native.ts), naming its columns, with the
 *   batch token as `insert_deduplication_token`: a retried or replayed batch is dropped by the
 *   server, and ReplacingMergeTree collapses versions of a key whatever the batching was. Native is
 *   the format the engine reads fastest (bench/clickhouse-insert-formats.ts), and writing it costs
 *   the sink less than JSON text. `optimize_on_insert = 0`: collapsing a batch's versions of a key
 *   at insert is what merges and FINAL do anyway, and for wide rows it cost more than the rest of
 *   the insert.
 * - Every request carries its own timeout signal, so a timeout is recognised by our signal, not by
 *   the client's message text. Table names are always qualified; the client's default database is
 *   left alone because it must exist before the first request, and prepare is what creates it.
 */
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import type { Logger } from '../../common/logger.js';
import { maskUrlPassword } from '../../common/secrets.js';
import { BlockPlan } from '../columnar/block-plan.js';
import type { TableSpec } from '../columns.js';
import {
  batchToken,
  type Destination,
  type LiveVersion,
  type PrepareResult,
  type Rebuild,
  type ResolvedSchema,
  type SchemaMode,
  type WriteBatch,
  type WriteResult,
} from '../destination.js';
import { DestinationError, checkStorable, frozenTableError } from '../errors.js';
import { clickhouseClientOptions } from './client-options.js';
import { describeConflicts, planTable, qualifiedName, quoteIdentifier } from './ddl.js';
import type { ClickHouseConfig } from './config.js';
import { classifyClickHouseError } from './errors.js';
import { clickhouseLayout } from './layout.js';
import { nativeBody } from './native-batch.js';
import { clickhouseType } from './types.js';

export interface ClickHouseDestinationOptions {
  readonly connection: ClickHouseConfig;
  readonly mode: SchemaMode;
  readonly logger: Logger;
}

/** Per resolved schema: compiled once, reused for every batch of that schema version. */
interface WritePlan {
  readonly block: BlockPlan;
  /** `INSERT INTO db.table (columns) FORMAT Native`, names quoted. */
  readonly insert: string;
}

/** The client's own timeout is a backstop only; our per-request signal fires first and is what we classify. */
const CLIENT_TIMEOUT_MARGIN_MS = 5_000;

export function createClickHouseDestination(options: ClickHouseDestinationOptions): Destination {
  const { connection, mode } = options;
  const database = connection.database;
  const layout = clickhouseLayout(connection);
  const logger = options.logger.child({
    component: 'clickhouse-destination',
    url: maskUrlPassword(connection.url),
    database,
    ...(connection.cluster === undefined ? {} : { cluster: connection.cluster }),
  });
  const client: ClickHouseClient = createClient({
    ...clickhouseClientOptions(connection),
    request_timeout: connection.requestTimeoutMs + CLIENT_TIMEOUT_MARGIN_MS,
  });
  const plans = new WeakMap<ResolvedSchema, WritePlan>();

  async function request<T>(
    what: string,
    table: string | undefined,
    run: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const signal = AbortSignal.timeout(connection.requestTimeoutMs);
    try {
      return await run(signal);
    } catch (error) {
      throw classifyClickHouseError(error, what, table === undefined ? undefined : `${database}.${table}`, signal);
    }
  }

  /** Runs statements in order; on a cluster each returns once every host has run it. */
  async function ddl(statements: string | readonly string[], table: string): Promise<void> {
    for (const statement of typeof statements === 'string' ? [statements] : statements) {
      logger.info({ table, statement }, 'running DDL');
      await request('DDL', table, (signal) => client.command({ query: statement, abort_signal: signal }));
    }
  }

  async function existingColumns(table: string): Promise<Map<string, string>> {
    const rows = await request('read columns', table, async (signal) => {
      const result = await client.query({
        query:
          'SELECT name, type FROM system.columns WHERE database = {database:String} AND table = {table:String} ORDER BY position',
        query_params: { database, table },
        format: 'JSONEachRow',
        abort_signal: signal,
      });
      return result.json<{ name: string; type: string }>();
    });
    return new Map(rows.map((row) => [row.name, row.type]));
  }

  /** One INSERT of the batch as a Native block (encoded only when there are rows). */
  async function write(batch: WriteBatch): Promise<WriteResult> {
    const token = batchToken(batch);
    const rows = batch.records.length;
    if (rows === 0) return { rows: 0, token };
    const plan = planFor(batch.schema);
    const body = nativeBody(plan.block, batch);
    await request('insert', batch.schema.table.name, async (signal) => {
      const result = await client.exec({
        query: plan.insert,
        values: Readable.from([body]),
        // Explicit, not server defaults: dedup is what makes retries safe.
        clickhouse_settings: {
          ...layout.insertSettings,
          insert_deduplicate: 1,
          insert_deduplication_token: token,
          optimize_on_insert: 0,
        },
        abort_signal: signal,
      });
      // The answer of an INSERT is empty; reading it to the end completes the request.
      await finished(result.stream.resume());
    });
    return { rows, token };
  }

  const frozen = (table: string, problem: string): DestinationError =>
    frozenTableError(`${database}.${table}`, [problem]);

  function planFor(schema: ResolvedSchema): WritePlan {
    let plan = plans.get(schema);
    if (plan === undefined) {
      const spec = schema.table;
      plan = {
        block: new BlockPlan(schema),
        insert: `INSERT INTO ${qualifiedName(database, spec.name)} (${spec.columns.map((column) => quoteIdentifier(column.name)).join(', ')}) FORMAT Native`,
      };
      plans.set(schema, plan);
    }
    return plan;
  }

  /** A schema ClickHouse cannot store (e.g. decimal precision above 76) is the schema's fault: say so before any DDL. */
  const checkTypes = (spec: TableSpec): void =>
    checkStorable(spec.name, () => spec.columns.forEach((column) => clickhouseType(column.type)));

  return {
    capabilities: { idempotency: 'batch-token' },

    async prepare(spec): Promise<PrepareResult> {
      checkTypes(spec);
      const tables = layout.tablesOf(spec.name);
      let existing = await Promise.all(tables.map(existingColumns));
      const absent = tables.filter((_, at) => existing[at]?.size === 0);
      let created = false;
      if (absent.length > 0) {
        if (mode === 'freeze')
          throw frozen(
            spec.name,
            tables.length === 1 ? 'the table does not exist' : `tables missing: ${absent.join(', ')}`,
          );
        await ddl(layout.createDatabase(), spec.name);
        await ddl(layout.createTables(spec), spec.name);
        created = existing[0]?.size === 0;
        // Re-read: another sink instance may have created the table first, from another schema version.
        existing = await Promise.all(tables.map(existingColumns));
      }
      const plans = existing.map((columns) => planTable(columns, spec));
      const conflicts = plans.find((plan) => plan.conflicts.length > 0)?.conflicts ?? [];
      if (conflicts.length > 0) {
        throw new DestinationError(
          `table ${database}.${spec.name} cannot take this schema version: ${describeConflicts(conflicts)} (rebuild the table from the topic)`,
          {
            reason: 'incompatible',
            table: `${database}.${spec.name}`,
          },
        );
      }
      // A column one table lacks is added to all of them (IF NOT EXISTS): a crash between two ALTERs heals here.
      const missing = spec.columns.filter((column) =>
        plans.some((plan) => plan.missing.some((lacking) => lacking.name === column.name)),
      );
      if (missing.length === 0) return { created, addedColumns: [] };
      const names = missing.map((column) => column.name);
      if (mode === 'freeze') throw frozen(spec.name, `columns missing: ${names.join(', ')}`);
      await ddl(layout.addColumns(spec.name, missing), spec.name);
      return { created, addedColumns: names };
    },

    async ping() {
      await request('ping', undefined, (signal) => client.command({ query: 'SELECT 1', abort_signal: signal }));
    },

    write,

    async *liveVersions(table: string, keyColumns: readonly string[]): AsyncIterable<LiveVersion> {
      if ((await existingColumns(table)).size === 0) return;
      const keys = keyColumns.map((name) => `toString(${quoteIdentifier(name)})`).join(', ');
      const result = await request('read live versions', table, (signal) =>
        client.query({
          query: `SELECT [${keys}], _version FROM ${qualifiedName(database, table)} FINAL WHERE _is_deleted = 0`,
          format: 'JSONCompactEachRow',
          abort_signal: signal,
        }),
      );
      for await (const rows of result.stream<[string[], string | number]>()) {
        for (const row of rows) {
          const [key, version] = row.json();
          yield { key, version: Number(version) };
        }
      }
    },

    async startRebuild(spec): Promise<Rebuild> {
      if (mode === 'freeze') throw frozen(spec.name, 'a rebuild creates a table');
      checkTypes(spec);
      const live = spec.name;
      const table: TableSpec = Object.freeze({ ...spec, name: `${live}__rebuild_${Date.now()}` });
      await ddl(layout.createDatabase(), table.name);
      await ddl(layout.createTables(table), table.name);
      return {
        table,
        async commit() {
          await ddl(layout.swap(spec, table.name), live);
        },
        async abort() {
          await ddl(layout.dropTables(table.name), table.name);
        },
      };
    },

    async close() {
      await client.close();
    },
  };
}
