/**
 * The ClickHouse destination against the real engine, through the stack's ClickHouse HTTP service
 * (stackEndpoints().clickhouseUrl): DDL from the Avro schema, idempotent batches, versions and
 * deletes collapsing under FINAL, evolution, freeze, atomic rebuild and type round-trips. Each run
 * uses its own database and drops it afterwards.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { createLogger } from '../../common/logger.js';
import { stackEndpoints } from '../../deploy/stack/endpoints.js';
import type { TableSpec } from '../../sinks/columns.js';
import { describeTable } from '../../sinks/runner/avro-table.js';
import { resolvedSchema, schemaVersion } from '../../sinks/runner/registry-decoder.js';
import type { Destination, SinkRecord, WriteBatch } from '../../sinks/destination.js';
import { DestinationError } from '../../sinks/errors.js';
import { createClickHouseDestination } from '../../sinks/clickhouse/destination.js';
import { clickhouseType } from '../../sinks/clickhouse/types.js';
import { avroTypeOf } from '../../avro/codec.js';
import type { AvroType } from '../../avro/schema-json.js';
import { bookingKeySchema, bookingRecord, bookingValueSchema } from '../../testkit/booking-avro.js';
import { edge, edgeKey, edgeValue } from '../helpers/edge-avro.js';
import { uniqueName, waitFor } from '../../testkit/wait-for.js';
import { avroBatch } from '../helpers/write-batch.js';

const url = stackEndpoints().clickhouseUrl;
const database = uniqueName('sink_it');
const quiet = createLogger({
  level: 'warn',
  format: 'json',
  destination: new Writable({ write: (_c, _e, done) => done() }),
});
const connection = { url, username: 'default', password: '', database, requestTimeoutMs: 30_000 };
const topic = 'bookeo.bookings';

/** The records as the runner hands them over: Avro bodies of `valueSchema`, the one `table` was described from. */
function batch(
  table: TableSpec,
  records: readonly SinkRecord[],
  partition = 0,
  valueSchema: unknown = bookingValueSchema,
): WriteBatch {
  return avroBatch(table, valueSchema, records, { topic, partition });
}

describe('ClickHouse destination (real engine over HTTP)', () => {
  let admin: ClickHouseClient;
  let destination: Destination;
  const spec = describeTable('bookings', bookingKeySchema, bookingValueSchema);
  const first = Array.from({ length: 50 }, (_, n) => bookingRecord(n, n));

  async function rows<T>(query: string): Promise<T[]> {
    return (await admin.query({ query, format: 'JSONEachRow' })).json<T>();
  }
  async function count(table: string, final = false): Promise<number> {
    const [row] = await rows<{ n: string }>(
      `SELECT count() AS n FROM \`${database}\`.\`${table}\`${final ? ' FINAL' : ''}`,
    );
    return Number(row?.n);
  }

  before(async () => {
    admin = createClient({ url });
    await waitFor(async () => (await admin.ping()).success, {
      what: `ClickHouse at ${url} (start the stack: npm run stack)`,
      timeoutMs: 30_000,
    });
    destination = createClickHouseDestination({ connection, mode: 'evolve', logger: quiet });
  });

  after(async () => {
    await destination?.close();
    await admin?.command({ query: `DROP DATABASE IF EXISTS \`${database}\` SYNC` });
    await admin?.close();
  });

  it('creates the database and table from the Avro schema', async () => {
    assert.deepEqual(await destination.prepare(spec), { created: true, addedColumns: [] });
    const columns = await rows<{ name: string; type: string }>(
      `SELECT name, type FROM system.columns WHERE database = '${database}' AND table = 'bookings' ORDER BY position`,
    );
    assert.deepEqual(
      columns,
      spec.columns.map((column) => ({ name: column.name, type: clickhouseType(column.type) })),
    );
    const [engine] = await rows<{ engine_full: string }>(
      `SELECT engine_full FROM system.tables WHERE database = '${database}' AND name = 'bookings'`,
    );
    assert.match(
      engine?.engine_full ?? '',
      /^ReplacingMergeTree\(_version, _is_deleted\) ORDER BY \(account, id\) SETTINGS non_replicated_deduplication_window = 1000/,
    );
    assert.deepEqual(await destination.prepare(spec), { created: false, addedColumns: [] });
  });

  it('writes a batch once: the same batch again (same token) adds nothing', async () => {
    const result = await destination.write(batch(spec, first));
    assert.deepEqual(result, { rows: 50, token: `${topic}-0-0-49` });
    await destination.write(batch(spec, first));
    assert.equal(await count('bookings'), 50);
    assert.equal(await count('bookings', true), 50);
  });

  it('round-trips types exactly: DateTime64 UTC, Decimal, Date32, Nullable, arrays, map, unicode', async () => {
    const [row] = await rows<Record<string, unknown>>(
      `SELECT toString(toUnixTimestamp64Milli(startTime)) AS ms, toString(startTime) AS text, toInt32(startDate) AS days, toString(price_totalGross_amount) AS gross,
              price_totalGross_currency AS currency, eventId, lastChangeTime, productName, customer_firstName, participants_details, participants_numbers,
              couponCodes, labels, source, canceled, toString(_version) AS _version, toString(_offset) AS _offset, _schema_id, _partition, _topic, _is_deleted
       FROM \`${database}\`.bookings FINAL WHERE id = 'B1000012'`,
    );
    assert.deepEqual(row, {
      ms: '1767226320123',
      text: '2026-01-01 00:12:00.123',
      days: 20466,
      gross: '112.0012',
      currency: 'EUR',
      eventId: null,
      lastChangeTime: null,
      productName: 'Kayak tour – Öresund 🚣',
      customer_firstName: 'Zoë',
      participants_details: [{ personId: 'P12', firstName: null, personType: 'customer' }],
      participants_numbers: [
        { peopleCategoryId: 'Cadults', number: 2 },
        { peopleCategoryId: 'Cchildren', number: 0 },
      ],
      couponCodes: [],
      labels: { channel: 'web', 'lang-ü': 'de' },
      source: 'api',
      canceled: false,
      _version: '12',
      _offset: '12',
      _schema_id: 7,
      _partition: 0,
      _topic: topic,
      _is_deleted: 0,
    });
    const [exact] = await rows<{ total: string }>(
      `SELECT toString(sum(price_totalGross_amount)) AS total FROM \`${database}\`.bookings FINAL`,
    );
    const expected = first.reduce(
      (sum, record) =>
        sum +
        BigInt(String((record.value?.price as { totalGross: { amount: string } }).totalGross.amount).replace('.', '')),
      0n,
    );
    assert.equal(
      exact?.total,
      `${expected / 10_000n}.${String(expected % 10_000n).padStart(4, '0')}`.replace(/\.?0+$/, ''),
    );
  });

  it('lets a later version replace the earlier one, and a delete hide the entity, under FINAL', async () => {
    await destination.write(
      batch(spec, [
        bookingRecord(1, 100, { productName: 'renamed' }),
        { key: { account: 'acme', id: 'B1000002' }, value: null, offset: 101, schemaId: 7 },
      ]),
    );
    assert.equal(await count('bookings'), 52, 'raw rows keep the history until a merge');
    assert.equal(await count('bookings', true), 49);
    const [changed] = await rows<{ productName: string; _version: string }>(
      `SELECT productName, toString(_version) AS _version FROM \`${database}\`.bookings FINAL WHERE id = 'B1000001'`,
    );
    assert.deepEqual(changed, { productName: 'renamed', _version: '100' });
    assert.deepEqual(await rows(`SELECT id FROM \`${database}\`.bookings FINAL WHERE id = 'B1000002'`), []);
  });

  it('evolves: a new optional field becomes a column, old rows read NULL', async () => {
    const v2Schema = {
      ...bookingValueSchema,
      fields: [...bookingValueSchema.fields, { name: 'notes', type: ['null', 'string'], default: null }],
    };
    const v2 = describeTable('bookings', bookingKeySchema, v2Schema);
    assert.deepEqual(await destination.prepare(v2), { created: false, addedColumns: ['notes'] });
    await destination.write(batch(v2, [bookingRecord(3, 102, { notes: 'allergies: nuts ✓' })], 0, v2Schema));
    const notes = await rows<{ id: string; notes: string | null }>(
      `SELECT id, notes FROM \`${database}\`.bookings FINAL WHERE id IN ('B1000003', 'B1000004') ORDER BY id`,
    );
    assert.deepEqual(notes, [
      { id: 'B1000003', notes: 'allergies: nuts ✓' },
      { id: 'B1000004', notes: null },
    ]);
    // The previous version still writes (its rows get NULL in the new column).
    await destination.write(batch(spec, [bookingRecord(4, 103)]));
    assert.equal(await count('bookings', true), 49);
  });

  it('refuses a type change the column cannot hold', async () => {
    const changed = describeTable('bookings', bookingKeySchema, {
      ...bookingValueSchema,
      fields: bookingValueSchema.fields.map((f) => (f.name === 'canceled' ? { name: 'canceled', type: 'string' } : f)),
    });
    await assert.rejects(
      destination.prepare(changed),
      (error: unknown) =>
        error instanceof DestinationError &&
        error.reason === 'incompatible' &&
        !error.retriable &&
        /canceled is Bool, the schema needs String/.test(error.message),
    );
  });

  it('in freeze mode runs no DDL and says what differs', async () => {
    const frozen = createClickHouseDestination({ connection, mode: 'freeze', logger: quiet });
    try {
      assert.deepEqual(await frozen.prepare(spec), { created: false, addedColumns: [] });
      const v3 = describeTable('bookings', bookingKeySchema, {
        ...bookingValueSchema,
        fields: [...bookingValueSchema.fields, { name: 'voucher', type: ['null', 'string'], default: null }],
      });
      await assert.rejects(
        frozen.prepare(v3),
        (error: unknown) =>
          error instanceof DestinationError &&
          error.reason === 'frozen' &&
          /columns missing: voucher; schema mode is freeze/.test(error.message),
      );
      await assert.rejects(
        frozen.prepare(describeTable('customers', bookingKeySchema, bookingValueSchema)),
        /customers: the table does not exist; schema mode is freeze/,
      );
      await assert.rejects(
        frozen.startRebuild(spec),
        (error: unknown) => error instanceof DestinationError && error.reason === 'frozen',
      );
      assert.deepEqual(
        await rows(`SELECT name FROM system.columns WHERE database = '${database}' AND name = 'voucher'`),
        [],
      );
    } finally {
      await frozen.close();
    }
  });

  it('rebuilds a table next to the live one and swaps it in atomically', async () => {
    const rebuild = await destination.startRebuild(spec);
    assert.match(rebuild.table.name, /^bookings__rebuild_\d+$/);
    await destination.write(batch(rebuild.table, [bookingRecord(7, 7), bookingRecord(8, 8)]));
    assert.equal(await count('bookings', true), 49, 'the live table serves reads during the replay');
    await rebuild.commit();
    assert.equal(await count('bookings', true), 2);
    assert.deepEqual(await rows(`SELECT name FROM system.tables WHERE database = '${database}' ORDER BY name`), [
      { name: 'bookings' },
    ]);
    const aborted = await destination.startRebuild(spec);
    await aborted.abort();
    assert.deepEqual(await rows(`SELECT name FROM system.tables WHERE database = '${database}' ORDER BY name`), [
      { name: 'bookings' },
    ]);
  });

  it('loads Avro bodies as they came: every column shape reads back as written', async () => {
    const edges = describeTable('edges', edgeKey, edgeValue);
    await destination.prepare(edges);
    const avro = avroTypeOf(edgeValue as unknown as AvroType);
    const records = Array.from({ length: 6 }, (_, n) => ({
      key: { account: 'acme', id: `e${n}` },
      body: avro.toBuffer(edge(n)),
      offset: n,
      schemaId: 5,
    }));
    const version = schemaVersion(5, edgeValue);
    const schema = resolvedSchema(version, edges, () => version);
    const result = await destination.write({
      schema,
      topic,
      partition: 3,
      firstOffset: 0,
      lastOffset: 5,
      ingestedAtMs: Date.now(),
      records,
    });
    assert.deepEqual(result, { rows: 6, token: `${topic}-3-0-5` });
    const read = await rows<Record<string, unknown>>(
      `SELECT id, kind, raw, digest, toString(money) AS money, toString(wide) AS wide, toString(small) AS small, outer_label, outer_inner_n, outer_inner_tags,
              items, props, maybeList, either, choice, toString(toUnixTimestamp64Milli(when)) AS ms, toInt32(day) AS day, _partition, _is_deleted
       FROM \`${database}\`.edges WHERE id IN ('e1', 'e2') ORDER BY id`,
    );
    // Bytes are stored as base64 text (sinks/rows.ts).
    assert.deepEqual(read, [
      {
        id: 'e1',
        kind: 'b',
        raw: 'AQD/',
        digest: 'AQIDAQ==',
        money: '-987.66',
        wide: '-100000000000000000.001',
        small: '-1',
        outer_label: 'ü'.repeat(70),
        outer_inner_n: -1,
        outer_inner_tags: ['x', 'yz'],
        items: [
          { sku: null, qty: 1, attrs: { w: 1.5, h: null } },
          { sku: 's1', qty: -1, attrs: {} },
        ],
        props: { a: 1, b: -1_125_899_906_842_624 },
        maybeList: [1, 2],
        either: '"e1"',
        choice: '-1',
        ms: '1767225600124',
        day: 20453,
        _partition: 3,
        _is_deleted: 0,
      },
      {
        id: 'e2',
        kind: 'c',
        raw: 'AgD/',
        digest: 'AQIDAg==',
        money: '1234.58',
        wide: '10000000000000000000000.002',
        small: '999999999',
        outer_label: 'o2',
        outer_inner_n: null,
        outer_inner_tags: [],
        items: [
          { sku: null, qty: 2, attrs: { w: 1.5, h: null } },
          { sku: 's2', qty: -1, attrs: {} },
        ],
        props: {},
        maybeList: [2, 3],
        either: '14',
        choice: '"text"',
        ms: '1767225600125',
        day: 20452,
        _partition: 3,
        _is_deleted: 0,
      },
    ]);
  });

  it('refuses a row it cannot store as bad data, not as a retriable failure', async () => {
    // A decimal whose bytes do not fit the column's Decimal64 (the body itself decodes).
    const bad = bookingRecord(9, 200, {
      price: {
        totalGross: { amount: '12345678901234567890.0000', currency: 'EUR' },
        totalNet: { amount: '1', currency: 'EUR' },
        totalPaid: { amount: '0', currency: 'EUR' },
      },
    });
    // Refused while encoding the Native block, before any request: no engine code, the offset named instead.
    await assert.rejects(
      destination.write(batch(spec, [bad])),
      (error: unknown) =>
        error instanceof DestinationError &&
        error.reason === 'bad-data' &&
        !error.retriable &&
        /offset 200: decimal of \d+ bytes does not fit 8 bytes/.test(error.message),
    );
  });

  it('reports an unreachable server as retriable', async () => {
    const down = createClickHouseDestination({
      connection: { ...connection, url: 'http://127.0.0.1:1' },
      mode: 'evolve',
      logger: quiet,
    });
    try {
      await assert.rejects(
        down.prepare(spec),
        (error: unknown) => error instanceof DestinationError && error.reason === 'unavailable' && error.retriable,
      );
    } finally {
      await down.close();
    }
  });
});
