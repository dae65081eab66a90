import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClickHouseError } from '@clickhouse/client';
import { describeTable } from '../../sinks/runner/avro-table.js';
import { batchToken } from '../../sinks/destination.js';
import { DestinationError } from '../../sinks/errors.js';
import {
  addColumnsSql,
  createTableSql,
  dropTableSql,
  exchangeTablesSql,
  planTable,
  quoteIdentifier,
} from '../../sinks/clickhouse/ddl.js';
import { classifyClickHouseError } from '../../sinks/clickhouse/errors.js';
import { canHold, clickhouseType, withoutLowCardinality } from '../../sinks/clickhouse/types.js';
import { bookingKeySchema } from '../../testkit/booking-avro.js';

const value = (fields: unknown[]) => ({ type: 'record', name: 'V', fields });
const small = describeTable(
  'bookings',
  bookingKeySchema,
  value([
    {
      name: 'total',
      type: ['null', { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 4 }],
      default: null,
    },
    { name: 'tags', type: { type: 'array', items: 'string' } },
  ]),
);

describe('ClickHouse DDL', () => {
  it('creates a ReplacingMergeTree keyed by account and id, with the dedup window', () => {
    assert.equal(
      createTableSql('bookeo', small),
      [
        'CREATE TABLE IF NOT EXISTS `bookeo`.`bookings`',
        '(',
        '    `account` String,',
        '    `id` String,',
        '    `total` Nullable(Decimal(12, 4)),',
        '    `tags` Array(String),',
        '    `_topic` LowCardinality(String),',
        '    `_partition` UInt32,',
        '    `_offset` UInt64,',
        '    `_schema_id` UInt32,',
        "    `_ingested_at` DateTime64(3, 'UTC'),",
        '    `_version` UInt64,',
        '    `_is_deleted` UInt8',
        ')',
        'ENGINE = ReplacingMergeTree(`_version`, `_is_deleted`)',
        'ORDER BY (`account`, `id`)',
        'SETTINGS non_replicated_deduplication_window = 1000, min_bytes_for_wide_part = 536870912',
      ].join('\n'),
    );
  });

  it('adds columns in one ALTER, swaps and drops tables, quotes identifiers', () => {
    const [total, tags] = small.columns.slice(2, 4);
    assert.equal(
      addColumnsSql('db', 't', [total!, tags!]),
      'ALTER TABLE `db`.`t`\n    ADD COLUMN IF NOT EXISTS `total` Nullable(Decimal(12, 4)),\n    ADD COLUMN IF NOT EXISTS `tags` Array(String)',
    );
    assert.equal(exchangeTablesSql('db', 'a', 'a__rebuild_1'), 'EXCHANGE TABLES `db`.`a` AND `db`.`a__rebuild_1`');
    assert.equal(dropTableSql('db', 'a'), 'DROP TABLE IF EXISTS `db`.`a` SYNC');
    assert.equal(quoteIdentifier('we`ird\\name'), '`we\\`ird\\\\name`');
  });

  it('plans missing columns and refuses types that cannot hold the new values', () => {
    const existing = new Map(small.columns.map((column) => [column.name, clickhouseType(column.type)]));
    assert.deepEqual(planTable(existing, small), { missing: [], conflicts: [] });
    existing.delete('tags');
    existing.set('total', 'Decimal(12, 4)');
    existing.set('extra_removed_field', 'String');
    const plan = planTable(existing, small);
    assert.deepEqual(
      plan.missing.map((column) => column.name),
      ['tags'],
    );
    assert.deepEqual(plan.conflicts, [
      { column: 'total', existing: 'Decimal(12, 4)', wanted: 'Nullable(Decimal(12, 4))' },
    ]);
  });

  it('judges type compatibility by values, not storage', () => {
    const cases: [string, string, boolean][] = [
      ['String', 'LowCardinality(String)', true],
      ['LowCardinality(Nullable(String))', 'Nullable(String)', true],
      ['Nullable(Int64)', 'Int64', true],
      ['Int64', 'Int32', true],
      ['Float64', 'Float32', true],
      ['Int32', 'Int64', false],
      ['String', 'Nullable(String)', false],
      ['Decimal(12, 4)', 'Decimal(12,4)', true],
      ['Decimal(12, 4)', 'Decimal(12, 2)', false],
      ['Array(Tuple(a String))', 'Array(Tuple(a String, b Int32))', false],
      ['Array(LowCardinality(String))', 'Array(String)', true],
      // As system.columns reports a keyword-named tuple element, and as we write it.
      ['Array(Tuple(id String, `values` Array(String)))', 'Array(Tuple(id String, values Array(String)))', true],
    ];
    for (const [existing, wanted, ok] of cases) assert.equal(canHold(existing, wanted), ok, `${existing} ⊇ ${wanted}`);
    assert.equal(
      withoutLowCardinality('Map(String,LowCardinality(Nullable(String)))'),
      'Map(String, Nullable(String))',
    );
  });

  it('derives the batch token from the offset range only', () => {
    assert.equal(
      batchToken({ topic: 'bookeo.bookings', partition: 3, firstOffset: 100, lastOffset: 199 }),
      'bookeo.bookings-3-100-199',
    );
  });
});

describe('ClickHouse error classification', () => {
  const engine = (code: string, type: string) => new ClickHouseError({ message: 'boom', code, type });

  it('retries transient engine errors, socket failures and our own timeouts', () => {
    for (const error of [
      engine('252', 'TOO_MANY_PARTS'),
      engine('159', 'TIMEOUT_EXCEEDED'),
      Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }),
      new Error('Bad Gateway'),
    ]) {
      const classified = classifyClickHouseError(error, 'insert', 'db.t');
      assert.ok(classified instanceof DestinationError && classified.retriable, String(error));
    }
    const timedOut = classifyClickHouseError(new Error('Timeout error.'), 'insert', 'db.t', AbortSignal.abort());
    assert.ok(timedOut instanceof DestinationError && timedOut.reason === 'timeout');
  });

  it('refuses bad data and DDL problems with the code, and leaves bugs alone', () => {
    const bad = classifyClickHouseError(engine('27', 'CANNOT_PARSE_INPUT_ASSERTION_FAILED'), 'insert', 'db.t');
    assert.ok(bad instanceof DestinationError && bad.reason === 'bad-data' && !bad.retriable && bad.code === '27');
    assert.match(
      (bad as Error).message,
      /insert \(db\.t\): ClickHouse error 27 CANNOT_PARSE_INPUT_ASSERTION_FAILED: boom/,
    );
    const ddl = classifyClickHouseError(engine('62', 'SYNTAX_ERROR'), 'DDL', 'db.t');
    assert.ok(ddl instanceof DestinationError && ddl.reason === 'rejected' && !ddl.retriable);
    const bug = new TypeError('x is undefined');
    assert.equal(classifyClickHouseError(bug, 'insert', 'db.t'), bug);
  });
});
