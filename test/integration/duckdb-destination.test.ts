/**
 * The DuckDB destination against the real embedded engine, in a temporary directory removed
 * afterwards: DDL from the Avro schema, idempotent version-guarded merges, deletes that stay
 * deleted, evolution, freeze, atomic rebuild, exact type round-trips, concurrent batches, a file
 * held by another process, and the file opened by a separate DuckDB process once the sink closed.
 *
 * Reads in this process go through node-api's instance cache, as the destination's do: two
 * instances of one file in one process would corrupt it.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { createLogger } from '../../common/logger.js';
import type { TableSpec } from '../../sinks/columns.js';
import { describeTable } from '../../sinks/runner/avro-table.js';
import type { LiveVersion, SinkRecord, WriteBatch } from '../../sinks/destination.js';
import { avroBatch } from '../helpers/write-batch.js';
import { createDuckDBDestination, type DuckDBDestination } from '../../sinks/duckdb/destination.js';
import { duckdbSchema } from '../../sinks/duckdb/config.js';
import { duckdbType } from '../../sinks/duckdb/types.js';
import { DestinationError } from '../../sinks/errors.js';
import { bookingKeySchema, bookingRecord, bookingValueSchema } from '../../testkit/booking-avro.js';

const quiet = createLogger({
  level: 'warn',
  format: 'json',
  destination: new Writable({ write: (_c, _e, done) => done() }),
});
const topic = 'bookeo.bookings';
const directory = mkdtempSync(join(tmpdir(), 'bookeo-duckdb-it-'));
const path = join(directory, 'nested', 'bookeo.duckdb');
const connection = duckdbSchema.parse({ path, memoryLimit: '256MB' });

/** The records as the runner hands them over: Avro bodies written with `valueSchema` (the destination reads the bytes). */
function batch(
  table: TableSpec,
  records: readonly SinkRecord[],
  partition = 0,
  ingestedAtMs = Date.now(),
  valueSchema: unknown = bookingValueSchema,
): WriteBatch {
  return avroBatch(table, valueSchema, records, { topic, partition, ingestedAtMs });
}

const deleted = (n: number, offset: number): SinkRecord => ({
  key: { account: 'acme', id: `B${1_000_000 + n}` },
  value: null,
  offset,
  schemaId: 7,
});
const withField = (name: string, type: unknown) => ({
  ...bookingValueSchema,
  fields: [...bookingValueSchema.fields, { name, type, default: null }],
});

/** Runs `node` on an ES module text with the project's node_modules; resolves with its stdout once it exits. */
function nodeScript(source: string): { child: ChildProcess; stdout: () => string } {
  const child = spawn(process.execPath, ['--input-type=module', '-e', source], {
    cwd: join(import.meta.dirname, '..', '..'),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return { child, stdout: () => out };
}

describe('DuckDB destination (embedded engine, temporary file)', () => {
  let destination: DuckDBDestination;
  let instance: DuckDBInstance;
  let reader: DuckDBConnection;
  const spec = describeTable('bookings', bookingKeySchema, bookingValueSchema);
  const first = Array.from({ length: 50 }, (_, n) => bookingRecord(n, n));

  async function rows(sql: string): Promise<Record<string, unknown>[]> {
    return (await reader.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  }
  async function count(table: string): Promise<number> {
    return Number((await rows(`SELECT count(*) AS n FROM main."${table}"`))[0]?.n);
  }
  async function tables(): Promise<string[]> {
    return (
      await rows(`SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() ORDER BY table_name`)
    ).map((row) => String(row.table_name));
  }

  before(async () => {
    destination = createDuckDBDestination({ connection, mode: 'evolve', logger: quiet });
  });

  after(async () => {
    await destination?.close();
    reader?.closeSync();
    instance?.closeSync();
    rmSync(directory, { recursive: true, force: true });
  });

  it('creates the file, the table and its tombstone table from the Avro schema', async () => {
    assert.deepEqual(await destination.prepare(spec), { created: true, addedColumns: [] });
    instance = await DuckDBInstance.fromCache(path);
    reader = await instance.connect();
    const columns = await rows(
      `SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'bookings' ORDER BY column_index`,
    );
    // DuckDB quotes struct field names only where needed ("number"); types compare unquoted.
    const unquoted = (type: unknown): string => String(type).replace(/"/g, '');
    assert.deepEqual(
      columns.map((column) => ({ name: column.column_name, type: unquoted(column.data_type) })),
      spec.columns.map((column) => ({ name: column.name, type: unquoted(duckdbType(column.type)) })),
    );
    assert.equal(columns.find((column) => column.column_name === 'startTime')?.data_type, 'TIMESTAMP WITH TIME ZONE');
    assert.equal(
      columns.find((column) => column.column_name === 'price_totalGross_amount')?.data_type,
      'DECIMAL(12,4)',
    );
    const keys = await rows(
      `SELECT table_name, constraint_column_names::VARCHAR AS keys FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY' ORDER BY table_name`,
    );
    assert.deepEqual(keys, [
      { table_name: 'bookings', keys: '[account, id]' },
      { table_name: 'bookings__deleted', keys: '[account, id]' },
    ]);
    assert.deepEqual(await destination.prepare(spec), { created: false, addedColumns: [] });
  });

  it('writes a batch once: the same batch again (a replay) changes nothing', async () => {
    const ingestedAtMs = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
    assert.deepEqual(await destination.write(batch(spec, first, 0, ingestedAtMs)), {
      rows: 50,
      token: `${topic}-0-0-49`,
    });
    await destination.write(batch(spec, first, 0, ingestedAtMs + 60_000));
    assert.equal(await count('bookings'), 50);
    const stamps = await rows(`SELECT DISTINCT epoch_ms(_ingested_at) AS ms FROM main.bookings`);
    assert.deepEqual(stamps, [{ ms: String(ingestedAtMs) }], 'the replay did not rewrite any row');
  });

  it('round-trips the booking exactly: TIMESTAMPTZ ms, DECIMAL, DATE, NULLs, lists of structs, map, unicode', async () => {
    const [row] = await rows(
      `SELECT epoch_ms(startTime) AS ms, (startTime AT TIME ZONE 'UTC')::VARCHAR AS text, startDate::VARCHAR AS day, price_totalGross_amount::VARCHAR AS gross,
              price_totalGross_currency AS currency, eventId, lastChangeTime, productName, customer_firstName, participants_details, participants_numbers,
              couponCodes, labels, source, canceled, _version, _offset, _schema_id, _partition, _topic, _is_deleted
       FROM main.bookings WHERE id = 'B1000012'`,
    );
    assert.deepEqual(row, {
      ms: '1767226320123',
      text: '2026-01-01 00:12:00.123',
      day: '2026-01-13',
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
      couponCodes: null,
      labels: [
        { key: 'channel', value: 'web' },
        { key: 'lang-ü', value: 'de' },
      ],
      source: 'api',
      canceled: false,
      _version: '12',
      _offset: '12',
      _schema_id: 7,
      _partition: 0,
      _topic: topic,
      _is_deleted: 0,
    });
    const [sum] = await rows(`SELECT sum(price_totalGross_amount)::VARCHAR AS total FROM main.bookings`);
    const expected = first.reduce(
      (total, record) =>
        total +
        BigInt(String((record.value?.price as { totalGross: { amount: string } }).totalGross.amount).replace('.', '')),
      0n,
    );
    assert.equal(sum?.total, `${expected / 10_000n}.${String(expected % 10_000n).padStart(4, '0')}`);
  });

  it('round-trips the other logical types exactly: bytes, unions as JSON, long, float, wide decimals, nested timestamps, maps of records', async () => {
    const value = {
      type: 'record',
      name: 'Kinds',
      fields: [
        { name: 'blob', type: 'bytes' },
        { name: 'either', type: ['null', 'string', 'long'], default: null },
        { name: 'big', type: 'long' },
        { name: 'ratio', type: 'float' },
        { name: 'wide', type: { type: 'bytes', logicalType: 'decimal', precision: 38, scale: 10 } },
        { name: 'small', type: { type: 'bytes', logicalType: 'decimal', precision: 4, scale: 2 } },
        {
          name: 'history',
          type: {
            type: 'array',
            items: {
              type: 'record',
              name: 'Change',
              fields: [
                { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
                { name: 'on', type: { type: 'int', logicalType: 'date' } },
              ],
            },
          },
        },
        {
          name: 'byName',
          type: {
            type: 'map',
            values: {
              type: 'record',
              name: 'Entry',
              fields: [
                { name: 'count', type: 'int' },
                { name: 'tags', type: { type: 'array', items: 'string' } },
              ],
            },
          },
        },
      ],
    };
    const kinds = describeTable('kinds', bookingKeySchema, value);
    await destination.prepare(kinds);
    const record = (id: string, offset: number, fields: Record<string, unknown>): SinkRecord => ({
      key: { account: 'acme', id },
      value: fields,
      offset,
      schemaId: 9,
    });
    await destination.write({
      ...batch(
        kinds,
        [
          record('k1', 1, {
            blob: Buffer.from([0, 0xff, 0x10, 0x61]),
            either: 42,
            big: 9_007_199_254_740_990,
            ratio: 0.5,
            wide: '-1234567890123456789012345678.0123456789',
            small: '-0.01',
            history: [
              { at: -1, on: -1 },
              { at: 1_767_225_600_123, on: 20_454 },
            ],
            byName: { ü: { count: 1, tags: ['a', 'b'] }, z: { count: 0, tags: [] } },
          }),
          record('k2', 2, {
            blob: Buffer.alloc(0),
            either: null,
            big: -1,
            ratio: -2.25,
            wide: '0.0000000000',
            small: '99.99',
            history: [],
            byName: {},
          }),
        ],
        0,
        Date.now(),
        value,
      ),
      topic: 'bookeo.kinds',
    });
    const read = await rows(
      `SELECT id, hex(blob) AS blob, either, big::VARCHAR AS big, ratio, wide::VARCHAR AS wide, small::VARCHAR AS small,
              [epoch_ms(change.at)::VARCHAR || ' ' || change.on::VARCHAR FOR change IN history] AS history, byName::JSON::VARCHAR AS "byName"
       FROM main.kinds ORDER BY id`,
    );
    assert.deepEqual(read, [
      {
        id: 'k1',
        blob: '00FF1061',
        either: '42',
        big: '9007199254740990',
        ratio: 0.5,
        wide: '-1234567890123456789012345678.0123456789',
        small: '-0.01',
        history: ['-1 1969-12-31', '1767225600123 2026-01-01'],
        byName: '{"ü":{"count":1,"tags":["a","b"]},"z":{"count":0,"tags":[]}}',
      },
      {
        id: 'k2',
        blob: '',
        either: null,
        big: '-1',
        ratio: -2.25,
        wide: '0.0000000000',
        small: '99.99',
        history: [],
        byName: '{}',
      },
    ]);
  });

  it('writes a batch of several data chunks: lists, nulls, maps and long strings keep their rows across chunk boundaries', async () => {
    const table = describeTable('chunked', bookingKeySchema, bookingValueSchema);
    await destination.prepare(table);
    const many = Array.from({ length: 5000 }, (_, n) =>
      bookingRecord(n, n, {
        title: n % 4 === 0 ? null : `title ${n}${'x'.repeat(n % 20)}`,
        couponCodes:
          n % 3 === 0
            ? null
            : Array.from({ length: n % 3 === 1 ? 0 : (n % 5) + 1 }, (_, i) => `c${n}-${'y'.repeat(i * 7)}`),
        labels: Object.fromEntries(Array.from({ length: n % 4 }, (_, i) => [`label${i}`, `value ${n} ${i} ✓`])),
        ...(n % 7 === 0 && { price: null }),
        participants: {
          numbers: [],
          details: Array.from({ length: n % 3 }, (_, i) => ({
            personId: `P${n}-${i}`,
            firstName: i % 2 === 0 ? null : `Åsa-Maria ${n} ${i}`,
            personType: 'customer',
          })),
        },
      }),
    );
    await destination.write(batch(table, many));
    const read = await rows(
      `SELECT id, title, couponCodes, labels::JSON::VARCHAR AS labels, participants_details::JSON::VARCHAR AS details,
              price_totalGross_amount::VARCHAR AS gross, price_totalNet_currency AS currency
       FROM main.chunked ORDER BY _version`,
    );
    assert.deepEqual(
      read,
      many.map(({ key, value }) => {
        const price = value?.price as { totalGross: { amount: string }; totalNet: { currency: string } } | null;
        return {
          id: key.id,
          title: value?.title,
          couponCodes: value?.couponCodes,
          labels: JSON.stringify(value?.labels),
          details: JSON.stringify((value?.participants as { details: unknown[] }).details),
          gross: price?.totalGross.amount ?? null,
          currency: price?.totalNet.currency ?? null,
        };
      }),
    );
  });

  it('keeps the latest version per key: a later offset replaces, an older one is ignored, the last of a key in one batch wins', async () => {
    await destination.write(
      batch(spec, [
        bookingRecord(1, 100, { productName: 'renamed' }),
        bookingRecord(1, 101, { productName: 'renamed twice' }),
      ]),
    );
    await destination.write(
      batch(spec, [
        bookingRecord(1, 60, { productName: 'stale replay' }),
        bookingRecord(2, 1, { productName: 'stale too' }),
      ]),
    );
    assert.deepEqual(
      await rows(
        `SELECT id, productName, _version FROM main.bookings WHERE id IN ('B1000001', 'B1000002') ORDER BY id`,
      ),
      [
        { id: 'B1000001', productName: 'renamed twice', _version: '101' },
        { id: 'B1000002', productName: 'Kayak tour – Öresund 🚣', _version: '2' },
      ],
    );
  });

  it('deletes on a tombstone, and an older upsert replayed afterwards does not bring the entity back', async () => {
    await destination.write(batch(spec, [deleted(2, 110), deleted(3, 111)]));
    assert.deepEqual(await rows(`SELECT id FROM main.bookings WHERE id IN ('B1000002', 'B1000003')`), []);
    assert.deepEqual(await rows(`SELECT id, _version FROM main.bookings__deleted ORDER BY id`), [
      { id: 'B1000002', _version: '110' },
      { id: 'B1000003', _version: '111' },
    ]);
    // A re-delivery of the old states (rebalance, sink reset) and of the deletes themselves.
    await destination.write(batch(spec, [bookingRecord(2, 2), bookingRecord(3, 105), deleted(2, 110)]));
    assert.deepEqual(await rows(`SELECT id FROM main.bookings WHERE id IN ('B1000002', 'B1000003')`), []);
    assert.equal(await count('bookings'), 48);
    // A newer state of a deleted key (the entity re-created) is live again and leaves the tombstones.
    await destination.write(batch(spec, [bookingRecord(3, 120)]));
    assert.deepEqual(await rows(`SELECT id, _version FROM main.bookings WHERE id = 'B1000003'`), [
      { id: 'B1000003', _version: '120' },
    ]);
    assert.deepEqual(await rows(`SELECT id FROM main.bookings__deleted`), [{ id: 'B1000002' }]);
  });

  it('inserts a batch whose keys are stored nowhere without the merge, appended straight into the table without a look at stored keys when it only has upserts; a batch touching a stored or deleted key merges, so updates, deletes and re-deliveries keep their guarantees', async () => {
    const table = describeTable('fresh_bookings', bookingKeySchema, bookingValueSchema);
    await destination.prepare(table);
    const start = destination.writeStages();
    /** Batches by path, and inserts refused, since the test began. */
    const paths = (): Record<string, number> => {
      const now = destination.writeStages();
      return {
        appended: now.paths.appended - start.paths.appended,
        inserted: now.paths.inserted - start.paths.inserted,
        merged: now.paths.merged - start.paths.merged,
        refused: now.refusedInserts - start.refusedInserts,
      };
    };
    const firstBatch = [bookingRecord(1, 1), bookingRecord(2, 2), deleted(3, 3)];
    const insertedAt = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
    await destination.write(batch(table, firstBatch, 0, insertedAt));
    assert.deepEqual(
      paths(),
      { appended: 0, inserted: 1, merged: 0, refused: 0 },
      'keys stored nowhere: inserted as they are',
    );
    // Re-delivered (a crash before the offset commit): its keys are stored now, so it merges and changes nothing.
    await destination.write(batch(table, firstBatch, 0, insertedAt + 60_000));
    assert.deepEqual(paths(), { appended: 0, inserted: 1, merged: 1, refused: 0 }, 'the re-delivery took the merge');
    const state = async (): Promise<unknown> => ({
      live: await rows(
        `SELECT id, productName, _version, epoch_ms(_ingested_at) AS ms FROM main.fresh_bookings ORDER BY id`,
      ),
      deleted: await rows(`SELECT id, _version FROM main.fresh_bookings__deleted ORDER BY id`),
    });
    const afterFirst = await state();
    assert.deepEqual(afterFirst, {
      live: [
        { id: 'B1000001', productName: 'Cooking class', _version: '1', ms: String(insertedAt) },
        { id: 'B1000002', productName: 'Kayak tour – Öresund 🚣', _version: '2', ms: String(insertedAt) },
      ],
      deleted: [{ id: 'B1000003', _version: '3' }],
    });
    // An update of a key the first batch inserted, an older upsert of the deleted key, a new key: one merge.
    await destination.write(
      batch(table, [bookingRecord(1, 10, { productName: 'updated' }), bookingRecord(3, 0), bookingRecord(4, 11)]),
    );
    assert.deepEqual(paths(), { appended: 0, inserted: 1, merged: 2, refused: 0 }, 'a batch with a stored key merges');
    assert.deepEqual(
      await rows(`SELECT id, productName, _version FROM main.fresh_bookings ORDER BY id`),
      [
        { id: 'B1000001', productName: 'updated', _version: '10' },
        { id: 'B1000002', productName: 'Kayak tour – Öresund 🚣', _version: '2' },
        { id: 'B1000004', productName: 'Kayak tour – Öresund 🚣', _version: '11' },
      ],
      'the delete held against the older upsert',
    );
    // New keys next to stored ones go in without the merge again, after a look at the stored keys (the last batch merged).
    await destination.write(batch(table, [bookingRecord(5, 12)]));
    assert.deepEqual(paths(), { appended: 0, inserted: 2, merged: 2, refused: 0 });
    // Then the next upserts-only batch of new keys is appended straight into the table, without the look.
    await destination.write(batch(table, [bookingRecord(6, 13), bookingRecord(7, 14)]));
    assert.deepEqual(paths(), { appended: 1, inserted: 2, merged: 2, refused: 0 });
    assert.equal(await count('fresh_bookings'), 6);
    // Appended without the look: a deleted key's older upsert is refused (its tombstone), rolled back, then merged: nothing changes.
    const beforeRefusals = await state();
    await destination.write(batch(table, [bookingRecord(3, 1)]));
    assert.deepEqual(paths(), { appended: 1, inserted: 2, merged: 3, refused: 1 });
    assert.deepEqual(await state(), beforeRefusals, 'the tombstone held against an upsert inserted without the look');
    // A stored key refused by the table's primary key (the Appender's error), then merged: updated in place, no second row.
    await destination.write(batch(table, [bookingRecord(8, 15)]));
    await destination.write(batch(table, [bookingRecord(8, 16, { productName: 'updated again' })]));
    assert.deepEqual(paths(), { appended: 1, inserted: 3, merged: 4, refused: 2 });
    assert.deepEqual(await rows(`SELECT productName, _version FROM main.fresh_bookings WHERE id = 'B1000008'`), [
      { productName: 'updated again', _version: '16' },
    ]);
    assert.equal(await count('fresh_bookings'), 7);
  });

  it('lists the live entities with their versions, and nothing for a table that does not exist', async () => {
    const live: LiveVersion[] = [];
    for await (const entry of destination.liveVersions('bookings', ['account', 'id'])) live.push(entry);
    assert.equal(live.length, 49);
    assert.deepEqual(
      live.find((entry) => entry.key[1] === 'B1000001'),
      { key: ['acme', 'B1000001'], version: 101 },
    );
    assert.equal(
      live.find((entry) => entry.key[1] === 'B1000002'),
      undefined,
    );
    const none: LiveVersion[] = [];
    for await (const entry of destination.liveVersions('nothing_here', ['account', 'id'])) none.push(entry);
    assert.deepEqual(none, []);
  });

  it('evolves: a new field becomes a column before its rows, old rows read NULL, a removed field keeps its column', async () => {
    const v2Schema = withField('notes', ['null', 'string']);
    const v2 = describeTable('bookings', bookingKeySchema, v2Schema);
    assert.deepEqual(await destination.prepare(v2), { created: false, addedColumns: ['notes'] });
    await destination.write(
      batch(v2, [bookingRecord(4, 130, { notes: 'allergies: nuts ✓' })], 0, Date.now(), v2Schema),
    );
    assert.deepEqual(
      await rows(`SELECT id, notes FROM main.bookings WHERE id IN ('B1000004', 'B1000005') ORDER BY id`),
      [
        { id: 'B1000004', notes: 'allergies: nuts ✓' },
        { id: 'B1000005', notes: null },
      ],
    );
    // The previous version still writes: its rows replace the whole state, so `notes` is NULL again.
    await destination.write(batch(spec, [bookingRecord(4, 131)]));
    assert.deepEqual(await rows(`SELECT notes, _version FROM main.bookings WHERE id = 'B1000004'`), [
      { notes: null, _version: '131' },
    ]);
    const withoutTitleSchema = {
      ...bookingValueSchema,
      fields: bookingValueSchema.fields.filter((field) => field.name !== 'title'),
    };
    const withoutTitle = describeTable('bookings', bookingKeySchema, withoutTitleSchema);
    assert.deepEqual(await destination.prepare(withoutTitle), { created: false, addedColumns: [] });
    await destination.write(batch(withoutTitle, [bookingRecord(5, 132)], 0, Date.now(), withoutTitleSchema));
    assert.deepEqual(await rows(`SELECT title, productName FROM main.bookings WHERE id = 'B1000005'`), [
      { title: null, productName: 'Cooking class' },
    ]);
  });

  it('refuses a type change the column cannot hold, naming the column, and accepts a lossless widening', async () => {
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
        /canceled is BOOLEAN, the schema needs VARCHAR/.test(error.message),
    );
    const narrower = describeTable('kinds_narrow', bookingKeySchema, {
      type: 'record',
      name: 'N',
      fields: [{ name: 'n', type: 'long' }],
    });
    await destination.prepare(narrower);
    const asInt = describeTable('kinds_narrow', bookingKeySchema, {
      type: 'record',
      name: 'N',
      fields: [{ name: 'n', type: 'int' }],
    });
    assert.deepEqual(await destination.prepare(asInt), { created: false, addedColumns: [] });
    assert.deepEqual(
      await rows(`SELECT column_name FROM duckdb_columns() WHERE column_name = 'canceled' AND data_type <> 'BOOLEAN'`),
      [],
    );
  });

  it('in freeze mode runs no DDL and lists every difference', async () => {
    const frozen = createDuckDBDestination({ connection, mode: 'freeze', logger: quiet });
    try {
      const current = describeTable('bookings', bookingKeySchema, withField('notes', ['null', 'string']));
      assert.deepEqual(await frozen.prepare(current), { created: false, addedColumns: [] });
      const v3 = describeTable('bookings', bookingKeySchema, {
        ...bookingValueSchema,
        fields: [
          ...bookingValueSchema.fields,
          { name: 'voucher', type: ['null', 'string'], default: null },
          { name: 'giftCard', type: ['null', 'string'], default: null },
        ],
      });
      await assert.rejects(
        frozen.prepare(v3),
        (error: unknown) =>
          error instanceof DestinationError &&
          error.reason === 'frozen' &&
          !error.retriable &&
          /columns missing: voucher, giftCard; schema mode is freeze/.test(error.message),
      );
      await assert.rejects(
        frozen.prepare(describeTable('customers', bookingKeySchema, bookingValueSchema)),
        /main\.customers: the table does not exist; schema mode is freeze/,
      );
      await assert.rejects(
        frozen.startRebuild(spec),
        (error: unknown) => error instanceof DestinationError && error.reason === 'frozen',
      );
      assert.deepEqual(
        await rows(`SELECT column_name FROM duckdb_columns() WHERE column_name IN ('voucher', 'giftCard')`),
        [],
      );
      assert.ok(!(await tables()).includes('customers'));
    } finally {
      await frozen.close();
    }
  });

  it('refuses a row it cannot store as bad data, naming the column, and writes nothing of that batch', async () => {
    const withBadText = batch(spec, [
      bookingRecord(8, 199, { productName: 'must not land' }),
      bookingRecord(9, 200, { productName: 'NOT UTF-8' }),
    ]);
    // A producer other than this project's could write bytes that are no UTF-8 into an Avro string.
    const body = withBadText.records[1]?.body as Buffer;
    body[body.indexOf('NOT UTF-8')] = 0xff;
    await assert.rejects(
      destination.write(withBadText),
      (error: unknown) =>
        error instanceof DestinationError &&
        error.reason === 'bad-data' &&
        !error.retriable &&
        /column productName, offset 200: a string is not valid UTF-8/.test(error.message),
    );
    const tooWide = bookingRecord(9, 201, {
      price: {
        totalGross: { amount: '123456789.0000', currency: 'EUR' },
        totalNet: { amount: '1.0000', currency: 'EUR' },
        totalPaid: { amount: '0.0000', currency: 'EUR' },
      },
    });
    await assert.rejects(
      destination.write(batch(spec, [tooWide])),
      (error: unknown) =>
        error instanceof DestinationError &&
        error.reason === 'bad-data' &&
        /does not fit DECIMAL\(12,4\)/.test(error.message),
    );
    assert.deepEqual(await rows(`SELECT productName FROM main.bookings WHERE id = 'B1000008'`), [
      { productName: 'Kayak tour – Öresund 🚣' },
    ]);
  });

  it('refuses a decimal wider than DuckDB stores as a schema error, before any DDL', async () => {
    const wide = describeTable('too_wide', bookingKeySchema, {
      type: 'record',
      name: 'W',
      fields: [{ name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 39, scale: 2 } }],
    });
    await assert.rejects(
      destination.prepare(wide),
      (error: unknown) =>
        error instanceof DestinationError && error.reason === 'schema' && /decimal\(39, 2\)/.test(error.message),
    );
    assert.ok(!(await tables()).includes('too_wide'));
  });

  it('applies concurrent batches of several tables and partitions, each exactly once', async () => {
    const other = describeTable('bookings_copy', bookingKeySchema, bookingValueSchema);
    await destination.prepare(other);
    // Per partition: 4 batches of 25 new keys each (keys never cross partitions, as in Kafka).
    const batchesOf = (partition: number) =>
      Array.from({ length: 4 }, (_, b) =>
        Array.from({ length: 25 }, (_, n) => bookingRecord(1000 + partition * 100 + b * 25 + n, b * 25 + n)),
      );
    const writes = [spec, other].flatMap((table) =>
      [0, 1].map(async (partition) => {
        for (const records of batchesOf(partition)) await destination.write(batch(table, records, partition));
      }),
    );
    await Promise.all(writes);
    assert.equal(await count('bookings_copy'), 200);
    assert.equal(Number((await rows(`SELECT count(*) AS n FROM main.bookings WHERE id >= 'B1001000'`))[0]?.n), 200);
  });

  it('rebuilds a table next to the live one and swaps it in atomically, tombstones included', async () => {
    const rebuild = await destination.startRebuild(spec);
    assert.equal(rebuild.table.name, 'bookings__rebuild');
    await destination.prepare(rebuild.table);
    await destination.write(batch(rebuild.table, [bookingRecord(7, 7), bookingRecord(8, 8), deleted(9, 9)]));
    assert.equal(await count('bookings'), 249, 'the live table serves reads during the replay');
    await rebuild.commit();
    assert.deepEqual(await rows(`SELECT id FROM main.bookings ORDER BY id`), [{ id: 'B1000007' }, { id: 'B1000008' }]);
    assert.deepEqual(await rows(`SELECT id FROM main.bookings__deleted`), [{ id: 'B1000009' }]);
    // The swapped-in table is a normal live table: merges keep working on it.
    await destination.write(
      batch(spec, [bookingRecord(7, 3), bookingRecord(8, 300, { productName: 'after the swap' })]),
    );
    assert.deepEqual(await rows(`SELECT id, _version FROM main.bookings ORDER BY id`), [
      { id: 'B1000007', _version: '7' },
      { id: 'B1000008', _version: '300' },
    ]);
    const aborted = await destination.startRebuild(spec);
    await aborted.abort();
    assert.deepEqual(
      (await tables()).filter((name) => name.startsWith('bookings')),
      ['bookings', 'bookings__deleted', 'bookings_copy', 'bookings_copy__deleted'],
    );
  });

  it('works in a schema named like the file (catalog and schema share the name `bookeo`)', async () => {
    const own = createDuckDBDestination({
      connection: duckdbSchema.parse({
        path: join(directory, 'bookeo.duckdb'),
        schema: 'bookeo',
        memoryLimit: '256MB',
      }),
      mode: 'evolve',
      logger: quiet,
    });
    try {
      assert.deepEqual(await own.prepare(spec), { created: true, addedColumns: [] });
      await own.write(batch(spec, [bookingRecord(1, 1), deleted(2, 2)]));
      const live: LiveVersion[] = [];
      for await (const entry of own.liveVersions('bookings', spec.keyColumns)) live.push(entry);
      assert.deepEqual(live, [{ key: ['acme', 'B1000001'], version: 1 }]);
    } finally {
      await own.close();
    }
  });

  it('reports a file held by another process as retriable, naming the path, and opens it once released', async () => {
    const heldPath = join(directory, 'held.duckdb');
    const holder = nodeScript(
      `import { DuckDBInstance } from '@duckdb/node-api'; await DuckDBInstance.create(${JSON.stringify(heldPath)}); process.stdout.write('holding\\n'); process.stdin.resume(); process.stdin.on('end', () => process.exit(0));`,
    );
    const blocked = createDuckDBDestination({
      connection: duckdbSchema.parse({ path: heldPath, memoryLimit: '256MB' }),
      mode: 'evolve',
      logger: quiet,
    });
    try {
      while (!holder.stdout().includes('holding')) {
        assert.equal(holder.child.exitCode, null, `the holder exited: ${holder.stdout()}`);
        await once(holder.child.stdout as NodeJS.EventEmitter, 'data');
      }
      await assert.rejects(
        blocked.prepare(spec),
        (error: unknown) =>
          error instanceof DestinationError &&
          error.reason === 'unavailable' &&
          error.retriable &&
          error.message.includes(heldPath) &&
          /held by another process/.test(error.message),
      );
      holder.child.stdin?.end();
      await once(holder.child, 'exit');
      assert.deepEqual(await blocked.prepare(spec), { created: true, addedColumns: [] });
    } finally {
      holder.child.kill();
      await blocked.close();
    }
  });

  it('releases the file on close: a separate DuckDB process opens it and runs SELECT * FROM main.bookings LIMIT 10', async () => {
    await destination.close();
    reader.closeSync();
    instance.closeSync();
    const analyst = nodeScript(
      `import { DuckDBInstance } from '@duckdb/node-api';
       const db = await DuckDBInstance.create(${JSON.stringify(path)}, { access_mode: 'READ_ONLY' });
       const result = await (await db.connect()).runAndReadAll('SELECT * FROM main.bookings LIMIT 10');
       process.stdout.write(JSON.stringify({ rows: result.currentRowCount, columns: result.columnNames().length, ids: result.getRowObjectsJson().map((row) => row.id) }));`,
    );
    const [code] = (await once(analyst.child, 'exit')) as [number];
    assert.equal(code, 0, analyst.stdout());
    assert.deepEqual(JSON.parse(analyst.stdout()), {
      rows: 2,
      columns: spec.columns.length,
      ids: ['B1000007', 'B1000008'],
    });
  });
});
