/**
 * The SQL layout DuckDB and PostgreSQL share (sinks/sql-tables.ts), in each one's dialect: the live
 * table, its tombstones and the rebuild statements, as exact text (the layouts must not drift), and
 * the checks of an existing table before a write.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { duckdbSqlDialect, renameTableSql as duckdbRename } from '../../sinks/duckdb/sql.js';
import { DestinationError } from '../../sinks/errors.js';
import { postgresSqlDialect, renameTableSql as postgresRename } from '../../sinks/postgres/ddl.js';
import { describeTable } from '../../sinks/runner/avro-table.js';
import { createTableSql, createTombstoneTableSql, planEvolution, swapInRebuildSql } from '../../sinks/sql-tables.js';

const key = {
  type: 'record',
  name: 'K',
  fields: [
    { name: 'account', type: 'string' },
    { name: 'id', type: 'string' },
  ],
};
const value = { type: 'record', name: 'V', fields: [{ name: 'n', type: ['null', 'long'], default: null }] };
const spec = describeTable('t', key, value);
const duckdb = duckdbSqlDialect({ catalog: 'f', schema: 'main' });
const postgres = postgresSqlDialect('s');

describe('SQL tables shared by DuckDB and PostgreSQL', () => {
  it('lays out the live table in each dialect: PostgreSQL with NOT NULL keys and a named key', () => {
    const lineage = [
      '"_topic" VARCHAR',
      '"_partition" UINTEGER',
      '"_offset" UBIGINT',
      '"_schema_id" UINTEGER',
      '"_ingested_at" TIMESTAMP WITH TIME ZONE',
      '"_version" UBIGINT',
      '"_is_deleted" UTINYINT',
    ];
    assert.equal(
      createTableSql(duckdb, spec),
      `CREATE TABLE IF NOT EXISTS "f"."main"."t" (\n    ${['"account" VARCHAR', '"id" VARCHAR', '"n" BIGINT', ...lineage, 'PRIMARY KEY ("account", "id")'].join(',\n    ')}\n)`,
    );
    const pg = createTableSql(postgres, spec);
    assert.match(
      pg,
      /^CREATE TABLE IF NOT EXISTS "s"\."t" \(\n {2}"account" text NOT NULL,\n {2}"id" text NOT NULL,\n {2}"n" bigint,/,
    );
    assert.match(pg, /,\n {2}CONSTRAINT "t_pkey" PRIMARY KEY \("account", "id"\)\n\)$/);
  });

  it('keeps a tombstone as key, _version and _ingested_at', () => {
    assert.equal(
      createTombstoneTableSql(duckdb, spec),
      'CREATE TABLE IF NOT EXISTS "f"."main"."t__deleted" (\n    "account" VARCHAR,\n    "id" VARCHAR,\n    "_version" UBIGINT,\n    "_ingested_at" TIMESTAMP WITH TIME ZONE,\n    PRIMARY KEY ("account", "id")\n)',
    );
    assert.match(
      createTombstoneTableSql(postgres, spec),
      /"t__deleted" \(\n {2}"account" text NOT NULL,\n {2}"id" text NOT NULL,\n {2}"_version" numeric\(20,0\) NOT NULL,\n {2}"_ingested_at" timestamp with time zone NOT NULL,\n {2}CONSTRAINT "t__deleted_pkey" PRIMARY KEY/,
    );
  });

  it('swaps a rebuild in: live tables dropped, twins renamed (PostgreSQL renames the key too)', () => {
    assert.deepEqual(
      swapInRebuildSql(
        duckdb,
        (from, to) => duckdbRename({ catalog: 'f', schema: 'main' }, from, to),
        't__rebuild',
        't',
      ),
      [
        'DROP TABLE IF EXISTS "f"."main"."t"',
        'DROP TABLE IF EXISTS "f"."main"."t__deleted"',
        'ALTER TABLE "f"."main"."t__rebuild" RENAME TO "t"',
        'ALTER TABLE "f"."main"."t__rebuild__deleted" RENAME TO "t__deleted"',
      ],
    );
    assert.equal(swapInRebuildSql(postgres, (from, to) => postgresRename('s', from, to), 't__rebuild', 't').length, 6);
  });

  it('plans an existing table: missing columns and tombstones for evolve and freeze, incompatible when no DDL fixes it', () => {
    const existing = new Map(
      spec.columns.filter((column) => column.name !== 'n').map((column) => [column.name, duckdb.render(column.type)]),
    );
    const plan = planEvolution(duckdb, existing, spec, [], false, 'main.t');
    assert.deepEqual(
      plan.missing.map((column) => column.name),
      ['n'],
    );
    assert.deepEqual(plan.frozenProblems, ['columns missing: n', 'the table t__deleted does not exist']);
    const narrower = new Map([...existing, ['n', 'INTEGER']]);
    assert.throws(
      () => planEvolution(duckdb, narrower, spec, ['id is a new key column'], true, 'main.t'),
      (error: unknown) =>
        error instanceof DestinationError &&
        error.reason === 'incompatible' &&
        /main\.t cannot take this schema version: n is INTEGER, the schema needs BIGINT; id is a new key column/.test(
          error.message,
        ),
    );
  });
});
