/**
 * The DuckDB destination: one embedded database file (config `duckdb.path`), tables in the schema
 * `duckdb.schema`, through @duckdb/node-api (and its node-bindings for the vectors, vectors.ts), the
 * only module set that talks to it.
 *
 * - prepare: reads the table's columns from `duckdb_columns()`, then creates the table and its
 *   tombstone table or adds the columns of new fields (mode `evolve`), or refuses with every
 *   difference listed (mode `freeze`). A column that cannot hold the new values, or a new key
 *   column, is an `incompatible` error in both modes.
 * - write: the batch's latest record per key (data chunks transcoded from the Avro bodies,
 *   chunks.ts) is applied in one transaction (apply.ts, sql.ts): the latest state per key is kept,
 *   older versions and replays change nothing, deletes move the key to `<table>__deleted` so an
 *   older upsert replayed later cannot bring it back. A batch whose keys are stored nowhere yet is
 *   inserted as it is, appended straight into the table when it can be.
 * - startRebuild: `<table>__rebuild` (and its tombstones) next to the live table, swapped in by a
 *   DROP + RENAME in one transaction.
 * See database.ts for how the file and connections are shared and serialized (one connection per
 * table: `withConnection` names the table whose lane the work runs in).
 */
import type { DuckDBConnection, DuckDBDataChunk } from '@duckdb/node-api';
import type { Logger } from '../../common/logger.js';
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
import { checkStorable, frozenTableError, type DestinationError } from '../errors.js';
import { batchChunks, compileChunkPlan, releaseChunks, type ChunkPlan } from './chunks.js';
import type { DuckDBConfig } from './config.js';
import { duckdbFile, type DuckDBFile, type Session } from './database.js';
import { classifyDuckDBError, duckdbExceptionType } from './errors.js';
import {
  createTableSql,
  createTombstoneTableSql,
  dropRebuildSql,
  planEvolution,
  rebuildTable,
  startRebuildSql,
  swapInRebuildSql,
  tombstoneTable,
} from '../sql-tables.js';
import { applyStaged, insertAppended, inTransaction, runAll, stage, type ApplyStatements } from './apply.js';
import {
  addColumnSql,
  createSchemaSql,
  createStagingSql,
  duckdbSqlDialect,
  existingColumnsSql,
  insertedKeysDeletedSql,
  insertStagedSql,
  liveVersionsSql,
  mergeStagedSql,
  type Location,
  renameTableSql,
  storedKeysSql,
} from './sql.js';
import { duckdbType } from './types.js';
import { WriteStages, type WriteStageTotals } from './write-stages.js';

export interface DuckDBDestinationOptions {
  readonly connection: DuckDBConfig;
  readonly mode: SchemaMode;
  readonly logger: Logger;
}

/** The DuckDB destination, which also tells where its writes spent their time (write-stages.ts). */
export interface DuckDBDestination extends Destination {
  writeStages(): WriteStageTotals;
}

/** Per resolved schema (one table spec each): compiled once, reused for every batch of that version. */
interface WritePlan {
  readonly chunks: ChunkPlan;
  readonly createStaging: string;
  /** Built on first use inside a lane, where the file's catalog name is known. */
  apply: ApplyStatements | undefined;
}

async function existingColumns(
  connection: DuckDBConnection,
  at: Location,
  table: string,
): Promise<Map<string, string>> {
  const reader = await connection.runAndReadAll(existingColumnsSql(), {
    catalog: at.catalog,
    schema: at.schema,
    table,
  });
  return new Map(reader.getRows().map(([name, type]) => [String(name), String(type)]));
}

/** Megabytes DuckDB's buffer manager holds now (`duckdb_memory()`), read on a connection of its own. */
async function engineMemoryMb(file: DuckDBFile): Promise<number> {
  const { connection } = await file.reader();
  try {
    const [[bytes]] = (
      await connection.runAndReadAll('SELECT sum(memory_usage_bytes) FROM duckdb_memory()')
    ).getRows() as [[bigint]];
    return Math.round(Number(bytes) / 1048576);
  } finally {
    connection.closeSync();
  }
}

function inSpecOrder(names: readonly string[], spec: TableSpec): boolean {
  return names.length === spec.columns.length && spec.columns.every((column, i) => column.name === names[i]);
}

export function createDuckDBDestination(options: DuckDBDestinationOptions): DuckDBDestination {
  const { mode } = options;
  const schema = options.connection.schema;
  const file = duckdbFile(options.connection.path, options.connection);
  const logger = options.logger.child({ component: 'duckdb-destination', path: file.path, schema });
  const plans = new WeakMap<ResolvedSchema, WritePlan>();
  const stages = new WriteStages();
  /** Tables whose next batch is applied after a look at the stored keys, its last having been merged (apply.ts). */
  const lookFirst = new Set<string>();
  /** Each table's column names in the table's order, read on first use; forgotten by any DDL. */
  const tableColumns = new Map<string, readonly string[]>();

  const qualified = (table: string): string => `${schema}.${table}`;

  /** Runs `work` in the table's lane, with the connection and where the tables live. */
  async function withConnection<T>(
    what: string,
    table: string,
    work: (connection: DuckDBConnection, at: Location) => Promise<T>,
  ): Promise<T> {
    try {
      return await file.exclusive(table, ({ connection, catalog }) => work(connection, { catalog, schema }));
    } catch (error) {
      throw classifyDuckDBError(error, what, qualified(table));
    }
  }

  async function ddl(connection: DuckDBConnection, table: string, statements: readonly string[]): Promise<void> {
    tableColumns.clear();
    for (const statement of statements) logger.info({ table, statement }, 'running DDL');
    await inTransaction(connection, () => runAll(connection, statements));
  }

  const frozen = (table: string, problems: readonly string[]): DestinationError =>
    frozenTableError(qualified(table), problems);

  /** A schema DuckDB cannot store (e.g. decimal precision above 38) is the schema's fault: say so before any DDL. */
  const checkTypes = (spec: TableSpec): void =>
    checkStorable(spec.name, () => spec.columns.forEach((column) => duckdbType(column.type)));

  function planFor(schema: ResolvedSchema): WritePlan {
    let plan = plans.get(schema);
    if (plan === undefined) {
      plan = {
        chunks: compileChunkPlan(schema),
        createStaging: createStagingSql(schema.table),
        apply: undefined,
      };
      plans.set(schema, plan);
    }
    return plan;
  }

  /** Chunks converted before taking the connection (a bad value fails the batch here, without touching the file), then staged and merged. */
  async function write(batch: WriteBatch): Promise<WriteResult> {
    const token = batchToken(batch);
    if (batch.records.length === 0) return { rows: 0, token };
    const plan = planFor(batch.schema);
    const chunks = await stages.time('convert', () => batchChunks(plan.chunks, batch));
    const rows = chunks.reduce((sum, chunk) => sum + chunk.rowCount, 0);
    try {
      await applyChunks(batch, plan, chunks, rows);
    } finally {
      releaseChunks(plan.chunks, chunks);
    }
    return { rows: batch.records.length, token };
  }

  /** Whether the table's columns are the spec's, in the spec's order: the Appender fills them by position. */
  async function columnsInSpecOrder(connection: DuckDBConnection, at: Location, spec: TableSpec): Promise<boolean> {
    let names = tableColumns.get(spec.name);
    if (names === undefined) {
      names = [...(await existingColumns(connection, at, spec.name)).keys()];
      tableColumns.set(spec.name, names);
    }
    return inSpecOrder(names, spec);
  }

  /** Applies the chunks in the table's lane: appended straight into the table, or staged and applied (apply.ts). */
  async function applyChunks(
    batch: WriteBatch,
    plan: WritePlan,
    chunks: readonly DuckDBDataChunk[],
    rows: number,
  ): Promise<void> {
    const spec = batch.schema.table;
    await withConnection('write', spec.name, async (connection, at) => {
      plan.apply ??= {
        storedKeys: storedKeysSql(at, spec),
        insert: insertStagedSql(at, spec),
        merge: mergeStagedSql(at, spec),
        insertedKeysDeleted: insertedKeysDeletedSql(at, spec),
      };
      const statements = plan.apply;
      const appendFirst =
        !lookFirst.has(spec.name) &&
        batch.records.every((record) => record.body !== null) &&
        (await columnsInSpecOrder(connection, at, spec));
      if (appendFirst) {
        const target = { ...at, name: spec.name };
        if (await stages.time('apply', () => insertAppended(connection, batch, target, chunks, statements))) {
          stages.applied(rows, 'appended');
          return;
        }
        stages.refusedInsert();
      }
      await stages.time('append', () => stage(connection, plan.createStaging, chunks));
      const path = await stages.time('apply', () => applyStaged(connection, statements));
      // Keys stored nowhere: the next batch probably holds new entities too, and is inserted without the look.
      if (path === 'inserted') lookFirst.delete(spec.name);
      else lookFirst.add(spec.name);
      stages.applied(rows, path);
    });
  }

  async function prepareExisting(
    connection: DuckDBConnection,
    at: Location,
    spec: TableSpec,
    existing: ReadonlyMap<string, string>,
  ): Promise<PrepareResult> {
    const dialect = duckdbSqlDialect(at);
    // The key is the table's PRIMARY KEY: a key column the table lacks cannot be added.
    const newKeys = spec.keyColumns.filter((name) => !existing.has(name)).map((name) => `${name} is a new key column`);
    const hasTombstones = (await existingColumns(connection, at, tombstoneTable(spec.name))).size > 0;
    const plan = planEvolution(dialect, existing, spec, newKeys, hasTombstones, qualified(spec.name));
    if (mode === 'freeze') {
      if (plan.frozenProblems.length > 0) throw frozen(spec.name, plan.frozenProblems);
      return { created: false, addedColumns: [] };
    }
    const statements = [
      ...(hasTombstones ? [] : [createTombstoneTableSql(dialect, spec)]),
      ...plan.missing.map((column) => addColumnSql(at, spec.name, column)),
    ];
    if (statements.length > 0) await ddl(connection, spec.name, statements);
    return { created: false, addedColumns: plan.missing.map((column) => column.name) };
  }

  return {
    capabilities: { idempotency: 'version' },

    async prepare(spec): Promise<PrepareResult> {
      checkTypes(spec);
      return withConnection('prepare', spec.name, async (connection, at) => {
        const existing = await existingColumns(connection, at, spec.name);
        if (existing.size > 0) return prepareExisting(connection, at, spec, existing);
        if (mode === 'freeze') throw frozen(spec.name, ['the table does not exist']);
        const dialect = duckdbSqlDialect(at);
        await ddl(connection, spec.name, [
          createSchemaSql(at),
          createTableSql(dialect, spec),
          createTombstoneTableSql(dialect, spec),
        ]);
        return { created: true, addedColumns: [] };
      });
    },

    async ping() {
      await withConnection('ping', 'ping', async (connection) => void (await connection.run('SELECT 1')));
    },

    write,

    async *liveVersions(table: string, keyColumns: readonly string[]): AsyncIterable<LiveVersion> {
      const where = qualified(table);
      let session: Session;
      try {
        session = await file.reader();
      } catch (error) {
        throw classifyDuckDBError(error, 'read live versions', where);
      }
      const { connection, catalog } = session;
      try {
        const result = await connection
          .stream(liveVersionsSql({ catalog, schema }, table, keyColumns))
          .catch((error: unknown) => {
            // A table that does not exist has no live entities (contract); any other failure is reported.
            if (duckdbExceptionType(error) === 'Catalog') return undefined;
            throw classifyDuckDBError(error, 'read live versions', where);
          });
        if (result === undefined) return;
        for await (const rows of result.yieldRowsJs()) {
          for (const [key, version] of rows) yield { key: key as string[], version: Number(version) };
        }
      } finally {
        connection.closeSync();
      }
    },

    async startRebuild(spec): Promise<Rebuild> {
      if (mode === 'freeze') throw frozen(spec.name, ['a rebuild creates a table']);
      checkTypes(spec);
      const live = spec.name;
      const table: TableSpec = Object.freeze({ ...spec, name: rebuildTable(live) });
      await withConnection('start rebuild', table.name, (connection, at) =>
        ddl(connection, table.name, startRebuildSql(duckdbSqlDialect(at), createSchemaSql(at), table)),
      );
      return {
        table,
        commit: () =>
          withConnection('swap in rebuild', live, (connection, at) =>
            ddl(
              connection,
              live,
              swapInRebuildSql(duckdbSqlDialect(at), (from, to) => renameTableSql(at, from, to), table.name, live),
            ),
          ),
        abort: () =>
          withConnection('drop rebuild', table.name, (connection, at) =>
            ddl(connection, table.name, dropRebuildSql(duckdbSqlDialect(at), table.name)),
          ),
      };
    },

    writeStages: () => stages.totals(),

    async close() {
      const totals = stages.totals();
      // What the engine holds in its buffer manager after the last batch, beside its cap: the sink's RSS includes it.
      const memory = totals.batches > 0 ? await engineMemoryMb(file).catch(() => undefined) : undefined;
      await file.close();
      if (totals.batches > 0)
        logger.info(
          { writeStages: { ...totals, duckdbMemoryMb: memory, memoryLimit: options.connection.memoryLimit } },
          'write stages since start',
        );
    },
  };
}
