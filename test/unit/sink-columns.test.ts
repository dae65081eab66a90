import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ColumnType } from '../../sinks/columns.js';
import { describeTable } from '../../sinks/runner/avro-table.js';
import { DestinationError } from '../../sinks/errors.js';
import { createRowConverter } from '../../sinks/rows.js';
import { clickhouseType } from '../../sinks/clickhouse/types.js';
import { bookingKeySchema, bookingRecord, bookingValueSchema } from '../../testkit/booking-avro.js';

const key = bookingKeySchema;
const valueOf = (fields: unknown[]) => ({ type: 'record', name: 'V', namespace: 'x', fields });
const context = { topic: 'bookeo.bookings', partition: 2, ingestedAtMs: 1_767_225_600_000 };

describe('sink column model', () => {
  it('lays out a Bookeo booking: key, flattened records, arrays of records, lineage', () => {
    const spec = describeTable('bookings', key, bookingValueSchema);
    const names = spec.columns.map((column) => column.name);
    assert.deepEqual(spec.keyColumns, ['account', 'id']);
    assert.deepEqual(names.slice(0, 3), ['account', 'id', 'bookingNumber']);
    assert.ok(names.includes('customer_firstName'));
    assert.ok(names.includes('price_totalGross_amount') && names.includes('price_totalPaid_currency'));
    assert.deepEqual(names.slice(-7), [
      '_topic',
      '_partition',
      '_offset',
      '_schema_id',
      '_ingested_at',
      '_version',
      '_is_deleted',
    ]);
    const typeOf = (name: string) =>
      clickhouseType(spec.columns.find((column) => column.name === name)?.type as ColumnType);
    assert.equal(
      typeOf('price_totalGross_amount'),
      'Nullable(Decimal(12, 4))',
      'a nullable parent record makes its leaves nullable',
    );
    assert.equal(typeOf('price_totalGross_currency'), 'LowCardinality(Nullable(String))');
    assert.equal(typeOf('customer_id'), 'String');
    assert.equal(
      typeOf('participants_details'),
      'Array(Tuple(personId String, firstName Nullable(String), personType LowCardinality(String)))',
    );
    assert.equal(typeOf('couponCodes'), 'Array(String)', 'ClickHouse has no Nullable(Array): null becomes []');
    assert.equal(typeOf('labels'), 'Map(String, String)');
  });

  it('maps every Avro type to a logical type and a ClickHouse type', () => {
    const table: [unknown, string][] = [
      ['string', 'String'],
      ['boolean', 'Bool'],
      ['int', 'Int32'],
      ['long', 'Int64'],
      ['float', 'Float32'],
      ['double', 'Float64'],
      ['bytes', 'String'],
      [{ type: 'long', logicalType: 'timestamp-millis' }, "DateTime64(3, 'UTC')"],
      [{ type: 'int', logicalType: 'date' }, 'Date32'],
      [{ type: 'bytes', logicalType: 'decimal', precision: 20, scale: 2 }, 'Decimal(20, 2)'],
      [{ type: 'fixed', name: 'F', size: 8, logicalType: 'decimal', precision: 9 }, 'Decimal(9, 0)'],
      [{ type: 'string', logicalType: 'uuid' }, 'String'],
      [{ type: 'long', logicalType: 'timestamp-micros' }, 'Int64'],
      [{ type: 'enum', name: 'E', symbols: ['a', 'b'] }, 'LowCardinality(String)'],
      [['null', 'long'], 'Nullable(Int64)'],
      [['null', 'string', 'long'], 'Nullable(String)'],
      [{ type: 'array', items: ['null', 'int'] }, 'Array(Nullable(Int32))'],
      [{ type: 'map', values: { type: 'long', logicalType: 'timestamp-millis' } }, "Map(String, DateTime64(3, 'UTC'))"],
      [['null', { type: 'map', values: 'double' }], 'Map(String, Float64)'],
    ];
    for (const [avro, expected] of table) {
      const spec = describeTable('t', key, valueOf([{ name: 'f', type: avro }]));
      assert.equal(clickhouseType(spec.columns[2]?.type as ColumnType), expected, JSON.stringify(avro));
    }
  });

  it('guesses low cardinality from the field name, and an explicit attribute wins', () => {
    const spec = describeTable(
      't',
      key,
      valueOf([
        { name: 'currency', type: 'string' },
        { name: 'bookingStatus', type: 'string' },
        { name: 'productType', type: 'string', lowCardinality: false },
        { name: 'note', type: 'string', lowCardinality: true },
        { name: 'name', type: 'string' },
      ]),
    );
    assert.deepEqual(
      spec.columns.slice(2, 7).map((column) => clickhouseType(column.type)),
      ['LowCardinality(String)', 'LowCardinality(String)', 'String', 'LowCardinality(String)', 'String'],
    );
  });

  it('leaves out a value field repeating a key column, renames clashes, refuses recursion and bad schemas', () => {
    const withId = describeTable(
      't',
      key,
      valueOf([
        { name: 'id', type: 'long' },
        { name: 'x', type: 'int' },
      ]),
    );
    assert.deepEqual(
      withId.columns.slice(0, 3).map((column) => [column.name, column.role]),
      [
        ['account', 'key'],
        ['id', 'key'],
        ['x', 'value'],
      ],
    );
    // A clash renames the later column (field order), never the whole table into an error.
    const clash = valueOf([
      { name: 'a_b', type: 'int' },
      { name: 'a', type: { type: 'record', name: 'A', fields: [{ name: 'b', type: 'int' }] } },
      { name: '_offset', type: 'long' },
      { name: 'XMIN', type: 'long' },
    ]);
    const renamed = describeTable('t', key, clash).columns.filter((column) => column.role === 'value');
    assert.deepEqual(
      renamed.map((column) => [column.name, column.path.join('.')]),
      [
        ['a_b', 'a_b'],
        ['a_b_2', 'a.b'],
        ['_offset_2', '_offset'],
        ['XMIN_2', 'XMIN'],
      ],
    );
    const recursive = valueOf([
      { name: 'node', type: { type: 'record', name: 'Node', fields: [{ name: 'next', type: ['null', 'Node'] }] } },
    ]);
    assert.throws(() => describeTable('t', key, recursive), /recursive record x.Node/);
    assert.throws(
      () => describeTable('t', key, valueOf([{ name: 'f', type: 'nope' }])),
      (error: unknown) => error instanceof DestinationError && /invalid value schema/.test(error.message),
    );
    assert.throws(
      () => describeTable('t', valueOf([{ name: 'id', type: ['null', 'string'] }]), valueOf([])),
      /key field id/,
    );
  });
});

describe('row conversion', () => {
  const spec = describeTable('bookings', key, bookingValueSchema);
  const convert = createRowConverter(spec);
  const cell = (row: unknown[], name: string) => row[spec.columns.findIndex((column) => column.name === name)];

  it('keeps decoded values exact: epoch ms, days, decimal text, unicode, nested arrays', () => {
    const row = convert(bookingRecord(3, 42), context);
    assert.equal(row.length, spec.columns.length);
    assert.equal(cell(row, 'account'), 'acme');
    assert.equal(cell(row, 'id'), 'B1000003');
    assert.equal(cell(row, 'startTime'), 1_767_225_780_123);
    assert.equal(cell(row, 'startDate'), 20_457);
    assert.equal(cell(row, 'price_totalGross_amount'), '103.0003');
    assert.equal(cell(row, 'customer_firstName'), 'Zoë');
    assert.deepEqual(cell(row, 'participants_details'), [{ personId: 'P3', firstName: 'Åsa', personType: 'customer' }]);
    assert.deepEqual(cell(row, 'labels'), { channel: 'web', 'lang-ü': 'de' });
    assert.equal(cell(row, 'eventId'), null);
  });

  it('fills lineage: version = offset, deletes flagged, schema id and ingestion time carried', () => {
    const row = convert(bookingRecord(1, 900), context);
    assert.deepEqual(
      spec.columns.slice(-7).map((column) => cell(row, column.name)),
      ['bookeo.bookings', 2, 900, 7, 1_767_225_600_000, 900, 0],
    );
    const tombstone = convert({ key: { account: 'acme', id: 'B1' }, value: null, offset: 901, schemaId: 3 }, context);
    assert.equal(cell(tombstone, '_is_deleted'), 1);
    assert.equal(cell(tombstone, '_version'), 901);
    assert.equal(cell(tombstone, 'id'), 'B1');
    assert.equal(cell(tombstone, 'price_totalGross_amount'), null);
    assert.equal(cell(tombstone, 'bookingNumber'), null);
  });

  it('turns a null parent record into null leaves', () => {
    const row = convert(bookingRecord(2, 5, { price: null }), context);
    assert.equal(cell(row, 'price_totalNet_amount'), null);
    assert.equal(cell(row, 'price_totalNet_currency'), null);
  });

  it('rewrites only what no engine reads: bytes as base64, multi-branch unions as JSON', () => {
    const odd = describeTable(
      't',
      key,
      valueOf([
        { name: 'blob', type: 'bytes' },
        { name: 'either', type: ['null', 'string', 'long'] },
        {
          name: 'items',
          type: {
            type: 'array',
            items: { type: 'record', name: 'I', fields: [{ name: 'raw', type: ['null', 'bytes'] }] },
          },
        },
      ]),
    );
    const row = createRowConverter(odd)(
      {
        key: { account: 'a', id: '1' },
        value: { blob: Buffer.from('hi'), either: 5, items: [{ raw: Buffer.from([255]) }, { raw: null }] },
        offset: 1,
        schemaId: 1,
      },
      context,
    );
    assert.deepEqual(row.slice(2, 5), ['aGk=', '5', [{ raw: '/w==' }, { raw: null }]]);
  });
});
