/**
 * The PostgreSQL destination against the stack's real server (stackEndpoints().postgresUrl): DDL
 * from the Avro schema, idempotent batches in one transaction, versions guarding upserts and
 * deletes, evolution, freeze, rebuild swap, exact type round-trips, the insert of new keys without
 * the merge. Each run uses its own schema and drops it afterwards. Connection settings (TLS,
 * passwords): postgres-connection.test.ts.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { postgresSchema } from '../../sinks/postgres/config.js';
import { createLogger } from '../../common/logger.js';
import { stackEndpoints } from '../../deploy/stack/endpoints.js';
import type { TableSpec } from '../../sinks/columns.js';
import { describeTable } from '../../sinks/runner/avro-table.js';
import type { AvroSinkRecord, Destination, LiveVersion, SinkRecord, WriteBatch } from '../../sinks/destination.js';
import { avroBatch } from '../helpers/write-batch.js';
import { DestinationError } from '../../sinks/errors.js';
import { WireFormatError } from '../../avro/wire.js';
import { createPostgresDestination } from '../../sinks/postgres/destination.js';
import { canHold, postgresType } from '../../sinks/postgres/types.js';
import { bookingKeySchema, bookingRecord, bookingValueSchema } from '../../testkit/booking-avro.js';
import { kitchenValueSchema } from '../../testkit/kitchen-avro.js';
import { uniqueName } from '../../testkit/wait-for.js';

const url = stackEndpoints().postgresUrl;
const schema = uniqueName('postgres_it').toLowerCase();
const quiet = createLogger({ level: 'silent', format: 'json' });
const connection = postgresSchema.parse({ connectionString: url, schema, requestTimeoutMs: 30_000 });
const topic = 'bookeo.bookings';

/** The records as the runner hands them over: Avro bodies of `valueSchema`, the one `table` was described from. */
function batch(
  table: TableSpec,
  records: readonly SinkRecord[],
  partition = 0,
  valueSchema: unknown = bookingValueSchema,
): WriteBatch {
  return avroBatch(table, valueSchema, records, { topic, partition, ingestedAtMs: Date.UTC(2026, 0, 2, 3, 4, 5, 678) });
}

const tombstone = (n: number, offset: number): SinkRecord => ({
  key: { account: 'acme', id: `B${1_000_000 + n}` },
  value: null,
  offset,
  schemaId: 7,
});
const withField = (field: Record<string, unknown>) => ({
  ...bookingValueSchema,
  fields: [...bookingValueSchema.fields, field],
});
const ISO = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

describe('PostgreSQL destination (real server from the stack)', () => {
  let admin: pg.Client;
  let destination: Destination;
  const spec = describeTable('bookings', bookingKeySchema, bookingValueSchema);
  const first = Array.from({ length: 50 }, (_, n) => bookingRecord(n, n));

  async function rows<T extends pg.QueryResultRow>(sql: string, values: unknown[] = []): Promise<T[]> {
    return (await admin.query<T>(sql, values)).rows;
  }
  async function count(table: string): Promise<number> {
    return Number((await rows<{ n: string }>(`SELECT count(*) AS n FROM "${schema}"."${table}"`))[0]?.n);
  }
  async function tables(): Promise<string[]> {
    return (
      await rows<{ name: string }>('SELECT tablename AS name FROM pg_tables WHERE schemaname = $1 ORDER BY 1', [schema])
    ).map((row) => row.name);
  }
  const countIds = async (from: string, to: string): Promise<number> =>
    Number(
      (
        await rows<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".bookings WHERE id BETWEEN $1 AND $2`, [
          from,
          to,
        ])
      )[0]?.n,
    );
  const live = async (id: string) =>
    (
      await rows<{ productName: string; _version: string }>(
        `SELECT "productName", _version::text FROM "${schema}".bookings WHERE id = $1`,
        [id],
      )
    )[0];

  before(async () => {
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query("SET TIME ZONE 'UTC'");
    destination = createPostgresDestination({ connection, mode: 'evolve', logger: quiet });
  });

  after(async () => {
    await destination?.close();
    await admin?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin?.end();
  });

  it('creates the schema, the table (primary key on the key) and its tombstone table from the Avro schema', async () => {
    assert.deepEqual(await destination.prepare(spec), { created: true, addedColumns: [] });
    const columns = await rows<{ name: string; type: string; nullable: boolean }>(
      `SELECT attname AS name, format_type(atttypid, atttypmod) AS type, NOT attnotnull AS nullable FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
      [`"${schema}".bookings`],
    );
    assert.deepEqual(
      columns,
      spec.columns.map((column) => ({
        name: column.name,
        type: postgresType(column.type),
        nullable: column.role !== 'key',
      })),
    );
    const types = Object.fromEntries(columns.map((column) => [column.name, column.type]));
    assert.deepEqual(
      [
        types.startTime,
        types.startDate,
        types.price_totalGross_amount,
        types.couponCodes,
        types.participants_details,
        types.labels,
        types._version,
        types._partition,
        types.source,
      ],
      [
        'timestamp with time zone',
        'date',
        'numeric(12,4)',
        'text[]',
        'jsonb',
        'jsonb',
        'numeric(20,0)',
        'bigint',
        'text',
      ],
    );
    const [key] = await rows<{ def: string }>(
      `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'p'`,
      [`"${schema}".bookings`],
    );
    assert.equal(key?.def, 'PRIMARY KEY (account, id)');
    assert.deepEqual(await tables(), ['bookings', 'bookings__deleted']);
    assert.deepEqual(await destination.prepare(spec), { created: false, addedColumns: [] });
  });

  it('writes a batch once: the same batch again changes nothing, and a key twice in a batch keeps its highest offset', async () => {
    assert.deepEqual(await destination.write(batch(spec, first)), { rows: 50, token: `${topic}-0-0-49` });
    await destination.write(batch(spec, first));
    assert.equal(await count('bookings'), 50);
    await destination.write(
      batch(spec, [bookingRecord(40, 60, { productName: 'first' }), bookingRecord(40, 61, { productName: 'second' })]),
    );
    assert.deepEqual(await live('B1000040'), { productName: 'second', _version: '61' });
  });

  it('round-trips the booking exactly: timestamps in ms UTC, decimals, dates, unicode, NULLs, arrays and jsonb', async () => {
    const [row] = await rows<Record<string, unknown>>(
      `SELECT to_char("startTime", ${ISO}) AS start, (extract(epoch FROM "startTime") * 1000)::bigint::text AS ms, "startDate"::text AS day,
              "price_totalGross_amount"::text AS gross, "price_totalGross_currency" AS currency, "eventId", "lastChangeTime", "productName",
              "customer_firstName", "customer_emailAddress", "participants_details", "participants_numbers", "couponCodes", labels, source, canceled, options,
              _version::text, _offset::text, _schema_id, _partition, _topic, _is_deleted, to_char(_ingested_at, ${ISO}) AS ingested
       FROM "${schema}".bookings WHERE id = 'B1000012'`,
    );
    assert.deepEqual(row, {
      start: '2026-01-01T00:12:00.123Z',
      ms: '1767226320123',
      day: '2026-01-13',
      gross: '112.0012',
      currency: 'EUR',
      eventId: null,
      lastChangeTime: null,
      productName: 'Kayak tour – Öresund 🚣',
      customer_firstName: 'Zoë',
      customer_emailAddress: 'c12@example.com',
      participants_details: [{ personId: 'P12', firstName: null, personType: 'customer' }],
      participants_numbers: [
        { peopleCategoryId: 'Cadults', number: 2 },
        { peopleCategoryId: 'Cchildren', number: 0 },
      ],
      couponCodes: null,
      labels: { channel: 'web', 'lang-ü': 'de' },
      source: 'api',
      canceled: false,
      options: [{ name: 'lunch', value: 'vegetarian' }],
      _version: '12',
      _offset: '12',
      _schema_id: '7',
      _partition: '0',
      _topic: topic,
      _is_deleted: 0,
      ingested: '2026-01-02T03:04:05.678Z',
    });
    const [coupons] = await rows<{ couponCodes: string[] }>(
      `SELECT "couponCodes" FROM "${schema}".bookings WHERE id = 'B1000013'`,
    );
    assert.deepEqual(coupons?.couponCodes, ['SUMMER']);
    const [exact] = await rows<{ total: string }>(
      `SELECT sum("price_totalGross_amount")::text AS total FROM "${schema}".bookings WHERE id <> 'B1000040'`,
    );
    const expected = first
      .filter((_, n) => n !== 40)
      .reduce(
        (sum, record) =>
          sum +
          BigInt(
            String((record.value?.price as { totalGross: { amount: string } }).totalGross.amount).replace('.', ''),
          ),
        0n,
      );
    assert.equal(exact?.total, `${expected / 10_000n}.${String(expected % 10_000n).padStart(4, '0')}`);
  });

  it('round-trips every other logical type: bytes, floats, arrays of timestamps, dates, decimals and bytes, unions, nested records, maps', async () => {
    const kitchen = describeTable('kitchen', bookingKeySchema, kitchenValueSchema);
    await destination.prepare(kitchen);
    const value = {
      blob: Buffer.from([0, 1, 0xfe, 0x5c, 0x09]),
      ratio: 0.5,
      big: 1.2345678901234567,
      maybe: null,
      kind: 'B_2',
      small: -7,
      flag: true,
      stamps: [0, 1_767_225_600_123],
      days: [0, 20_454],
      amounts: ['1.500000', '-0.000001', '12345678901234.123456'],
      price: '-3.2500',
      blobs: [Buffer.from('\\"{},'), Buffer.alloc(0)],
      words: ['plain', null, 'tab\tand "quotes", {braces} \\ backslash', ''],
      either: 'x',
      where: { city: null, at: 1_767_225_600_123, tags: ['a'] },
      events: [{ at: 1_767_225_600_123, day: 20_454, amount: '12.50' }],
      matrix: [[1, 2], [3]],
      counts: { a: 1, 'ü b': 2 },
    };
    await destination.write(
      batch(kitchen, [{ key: { account: 'acme', id: 'K1' }, value, offset: 5, schemaId: 9 }], 0, kitchenValueSchema),
    );
    const [row] = await rows<Record<string, unknown>>(
      `SELECT encode(blob, 'hex') AS blob, ratio, big, to_jsonb(stamps) AS stamps, to_jsonb(days) AS days, amounts::text AS amounts,
              (SELECT array_agg(encode(b, 'hex') ORDER BY n) FROM unnest(blobs) WITH ORDINALITY AS u(b, n)) AS blobs, words, either, events, matrix, counts
       FROM "${schema}".kitchen WHERE id = 'K1'`,
    );
    assert.deepEqual(row, {
      blob: '0001fe5c09',
      ratio: 0.5,
      big: 1.2345678901234567,
      stamps: ['1970-01-01T00:00:00+00:00', '2026-01-01T00:00:00.123+00:00'],
      days: ['1970-01-01', '2026-01-01'],
      amounts: '{1.500000,-0.000001,12345678901234.123456}',
      blobs: [Buffer.from('\\"{},').toString('hex'), ''],
      words: ['plain', null, 'tab\tand "quotes", {braces} \\ backslash', ''],
      either: 'x',
      events: [{ at: '2026-01-01T00:00:00.123Z', day: '2026-01-01', amount: '12.50' }],
      matrix: [[1, 2], [3]],
      counts: { a: 1, 'ü b': 2 },
    });
    const [scalars] = await rows<Record<string, unknown>>(
      `SELECT maybe, kind, small, flag, price::text AS price, where_city, to_jsonb(where_at) AS where_at, where_tags
       FROM "${schema}".kitchen WHERE id = 'K1'`,
    );
    assert.deepEqual(scalars, {
      maybe: null,
      kind: 'B_2',
      small: -7,
      flag: true,
      price: '-3.2500',
      where_city: null,
      where_at: '2026-01-01T00:00:00.123+00:00',
      where_tags: ['a'],
    });
  });

  it('keeps the latest version: an older batch after a newer one changes nothing', async () => {
    await destination.write(batch(spec, [bookingRecord(1, 100, { productName: 'renamed' })]));
    await destination.write(batch(spec, [bookingRecord(1, 1, { productName: 'stale replay' })]));
    assert.deepEqual(await live('B1000001'), { productName: 'renamed', _version: '100' });
  });

  it('deletes on a tombstone, is not resurrected by an older replay, and comes back with a newer upsert', async () => {
    await destination.write(batch(spec, [tombstone(2, 101)]));
    assert.equal(await live('B1000002'), undefined);
    assert.deepEqual(await rows(`SELECT id, _version::text FROM "${schema}".bookings__deleted`), [
      { id: 'B1000002', _version: '101' },
    ]);
    await destination.write(batch(spec, first.slice(0, 10)));
    assert.equal(
      await live('B1000002'),
      undefined,
      'the replayed upsert (offset 2) is older than the delete (offset 101)',
    );
    await destination.write(batch(spec, [tombstone(2, 50)]));
    assert.deepEqual(
      await rows(`SELECT _version::text FROM "${schema}".bookings__deleted`),
      [{ _version: '101' }],
      'an older tombstone does not replace a newer one',
    );
    await destination.write(batch(spec, [tombstone(1, 20)]));
    assert.equal((await live('B1000001'))?._version, '100', 'a tombstone older than the live row is ignored');
    assert.deepEqual(
      await rows(`SELECT id FROM "${schema}".bookings__deleted`),
      [{ id: 'B1000002' }],
      'and not recorded',
    );
    await destination.write(batch(spec, [bookingRecord(2, 102, { productName: 'back' })]));
    assert.deepEqual(await live('B1000002'), { productName: 'back', _version: '102' });
    assert.deepEqual(
      await rows(`SELECT id FROM "${schema}".bookings__deleted`),
      [],
      'the newer upsert clears the tombstone',
    );
    await destination.write(batch(spec, [tombstone(3, 103)]));
    assert.deepEqual(await rows(`SELECT id, _version::text FROM "${schema}".bookings__deleted ORDER BY id`), [
      { id: 'B1000003', _version: '103' },
    ]);
    assert.equal(await count('bookings'), 49);
  });

  it('inserts a batch of upserts whose keys are stored nowhere straight into the table; a stored key or a newer tombstone refuses it, and that batch and every later one of the table merge', async () => {
    let logged = '';
    const capture = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged += chunk.toString();
        done();
      },
    });
    const writer = createPostgresDestination({
      connection,
      mode: 'evolve',
      logger: createLogger({ level: 'debug', format: 'json', destination: capture }),
    });
    /** Each batch's path since the last call, from the destination's debug lines. */
    const paths = (): string[] => {
      const lines = logged.split('\n').filter((line) => line.includes('"batch written"'));
      logged = '';
      return lines.map((line) => {
        const entry = JSON.parse(line) as { path: string; refusedInsert: boolean };
        return entry.refusedInsert ? `refused, then ${entry.path}` : entry.path;
      });
    };
    const state = async (table: string): Promise<unknown> => ({
      live: await rows(`SELECT id, _version::text FROM "${schema}".${table} ORDER BY id`),
      deleted: await rows(`SELECT id, _version::text FROM "${schema}".${table}__deleted ORDER BY id`),
    });
    try {
      const fresh = describeTable('fresh_bookings', bookingKeySchema, bookingValueSchema);
      await writer.prepare(fresh);
      await writer.write(batch(fresh, [tombstone(3, 3)]));
      assert.deepEqual(paths(), ['merged'], 'a batch with a delete merges');
      // New keys and a newer state of the deleted key: inserted as they are, the older tombstone dropped.
      await writer.write(batch(fresh, [bookingRecord(1, 4), bookingRecord(2, 5), bookingRecord(3, 6)]));
      assert.deepEqual(paths(), ['inserted']);
      assert.deepEqual(await state('fresh_bookings'), {
        live: [
          { id: 'B1000001', _version: '4' },
          { id: 'B1000002', _version: '5' },
          { id: 'B1000003', _version: '6' },
        ],
        deleted: [],
      });
      await writer.write(batch(fresh, [tombstone(2, 7)]));
      await writer.write(batch(fresh, [bookingRecord(7, 8)]));
      assert.deepEqual(paths(), ['merged', 'inserted']);
      // An older state of the deleted key beside a new key: its newer tombstone refuses the insert; merged, the key stays deleted.
      await writer.write(batch(fresh, [bookingRecord(2, 1, { productName: 'stale replay' }), bookingRecord(4, 9)]));
      assert.deepEqual(paths(), ['refused, then merged']);
      assert.deepEqual(await state('fresh_bookings'), {
        live: [
          { id: 'B1000001', _version: '4' },
          { id: 'B1000003', _version: '6' },
          { id: 'B1000004', _version: '9' },
          { id: 'B1000007', _version: '8' },
        ],
        deleted: [{ id: 'B1000002', _version: '7' }],
      });
      await writer.write(batch(fresh, [bookingRecord(5, 10)]));
      assert.deepEqual(paths(), ['merged'], 'after a refusal the table merges');

      // A stored key, refused by the primary key: merged, updated in place, no second row.
      const other = describeTable('fresh_bookings_b', bookingKeySchema, bookingValueSchema);
      await writer.prepare(other);
      await writer.write(batch(other, [bookingRecord(1, 1)]));
      await writer.write(batch(other, [bookingRecord(1, 2, { productName: 'updated' })]));
      assert.deepEqual(paths(), ['inserted', 'refused, then merged']);
      assert.deepEqual(await state('fresh_bookings_b'), { live: [{ id: 'B1000001', _version: '2' }], deleted: [] });
      assert.equal((await rows(`SELECT "productName" FROM "${schema}".fresh_bookings_b`))[0]?.productName, 'updated');
    } finally {
      await writer.close();
      for (const table of ['fresh_bookings', 'fresh_bookings_b'])
        await admin.query(`DROP TABLE IF EXISTS "${schema}".${table}, "${schema}".${table}__deleted`);
    }
  });

  it('streams the live versions of a table, and none for a missing table', async () => {
    const versions: LiveVersion[] = [];
    for await (const version of destination.liveVersions('bookings', ['account', 'id'])) versions.push(version);
    assert.equal(versions.length, 49);
    assert.deepEqual(
      versions.find((version) => version.key[1] === 'B1000002'),
      { key: ['acme', 'B1000002'], version: 102 },
    );
    assert.equal(
      versions.some((version) => version.key[1] === 'B1000003'),
      false,
    );
    for await (const version of destination.liveVersions('no_such_table', ['account', 'id']))
      assert.fail(`unexpected ${JSON.stringify(version)}`);
  });

  it('evolves: a new field becomes a nullable column; a batch of the older version then sets it to NULL', async () => {
    const v2Schema = withField({ name: 'notes', type: ['null', 'string'], default: null });
    const v2 = describeTable('bookings', bookingKeySchema, v2Schema);
    assert.deepEqual(await destination.prepare(v2), { created: false, addedColumns: ['notes'] });
    await destination.write(batch(v2, [bookingRecord(4, 104, { notes: 'allergies: nuts ✓' })], 0, v2Schema));
    assert.deepEqual(
      await rows(`SELECT id, notes FROM "${schema}".bookings WHERE id IN ('B1000004', 'B1000005') ORDER BY id`),
      [
        { id: 'B1000004', notes: 'allergies: nuts ✓' },
        { id: 'B1000005', notes: null },
      ],
    );
    await destination.write(batch(spec, [bookingRecord(4, 105)]));
    assert.deepEqual(await rows(`SELECT notes, _version::text FROM "${schema}".bookings WHERE id = 'B1000004'`), [
      { notes: null, _version: '105' },
    ]);
  });

  it('refuses a type change the column cannot hold, naming the column; accepts lossless widenings', async () => {
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
        /canceled is boolean, the schema needs text/.test(error.message),
    );
    assert.ok(
      canHold('bigint', 'integer') &&
        canHold('numeric(14,4)', 'numeric(12,4)') &&
        canHold('numeric(20,0)', 'bigint') &&
        canHold('double precision[]', 'real[]'),
    );
    assert.ok(
      !canHold('integer', 'bigint') &&
        !canHold('numeric(12,2)', 'numeric(12,4)') &&
        !canHold('text', 'text[]') &&
        !canHold('numeric(19,0)', 'numeric(20,0)'),
    );
  });

  it('in freeze mode runs no DDL and lists every difference', async () => {
    const frozen = createPostgresDestination({ connection, mode: 'freeze', logger: quiet });
    try {
      assert.deepEqual(
        await frozen.prepare(
          describeTable(
            'bookings',
            bookingKeySchema,
            withField({ name: 'notes', type: ['null', 'string'], default: null }),
          ),
        ),
        { created: false, addedColumns: [] },
      );
      const v3 = describeTable(
        'bookings',
        bookingKeySchema,
        withField({ name: 'voucher', type: ['null', 'string'], default: null }),
      );
      const v4 = {
        ...v3,
        columns: [
          ...v3.columns,
          { ...(v3.columns.find((c) => c.name === 'voucher') as TableSpec['columns'][number]), name: 'voucher2' },
        ],
      };
      await assert.rejects(
        frozen.prepare(v4),
        (error: unknown) =>
          error instanceof DestinationError &&
          error.reason === 'frozen' &&
          !error.retriable &&
          /columns missing: voucher, voucher2; schema mode is freeze/.test(error.message),
      );
      await admin.query(`DROP TABLE "${schema}".bookings__deleted`);
      await assert.rejects(
        frozen.prepare(v3),
        /columns missing: voucher; the table bookings__deleted does not exist; schema mode is freeze/,
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
        await rows(`SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attname LIKE 'voucher%'`, [
          `"${schema}".bookings`,
        ]),
        [],
      );
      assert.deepEqual(await tables(), ['bookings', 'kitchen', 'kitchen__deleted']);
    } finally {
      await frozen.close();
    }
    // Evolve mode brings the tombstone table back (its deletes are gone with it: this test dropped them).
    await destination.prepare(spec);
    assert.deepEqual(await tables(), ['bookings', 'bookings__deleted', 'kitchen', 'kitchen__deleted']);
  });

  it('rebuilds a table next to the live one and swaps it in atomically, twice in a row; abort drops the twin', async () => {
    for (const round of [1, 2]) {
      const before = await count('bookings');
      const rebuild = await destination.startRebuild(spec);
      assert.equal(rebuild.table.name, 'bookings__rebuild');
      await destination.prepare(rebuild.table);
      await destination.write(batch(rebuild.table, [bookingRecord(7, 7), bookingRecord(8, 8), tombstone(9, 9)]));
      assert.equal(await count('bookings'), before, 'the live table serves reads during the replay');
      await rebuild.commit();
      assert.equal(await count('bookings'), 2, `round ${round}`);
      assert.deepEqual(await rows(`SELECT id FROM "${schema}".bookings__deleted`), [{ id: 'B1000009' }]);
      assert.deepEqual(await tables(), ['bookings', 'bookings__deleted', 'kitchen', 'kitchen__deleted']);
    }
    const constraints = await rows<{ name: string }>(
      `SELECT conname AS name FROM pg_constraint WHERE connamespace = $1::regnamespace AND contype = 'p' ORDER BY 1`,
      [schema],
    );
    assert.deepEqual(
      constraints.map((c) => c.name),
      ['bookings__deleted_pkey', 'bookings_pkey', 'kitchen__deleted_pkey', 'kitchen_pkey'],
    );
    // The destination wrote the old live table before; its next write must follow the rebuilt one's columns.
    await destination.write(batch(spec, [bookingRecord(10, 300)]));
    assert.equal(await count('bookings'), 3);
    const aborted = await destination.startRebuild(spec);
    await aborted.abort();
    assert.deepEqual(await tables(), ['bookings', 'bookings__deleted', 'kitchen', 'kitchen__deleted']);
  });

  it('lets concurrent instances prepare the same new table, and write different partitions at once', async () => {
    const others = [1, 2, 3].map(() => createPostgresDestination({ connection, mode: 'evolve', logger: quiet }));
    try {
      const race = describeTable('raced', bookingKeySchema, bookingValueSchema);
      const results = await Promise.all(others.map((other) => other.prepare(race)));
      assert.equal(results.filter((result) => result.created).length, 1);
      await Promise.all(
        others.map((other, i) =>
          other.write(
            batch(
              race,
              Array.from({ length: 20 }, (_, n) => bookingRecord(i * 100 + n, n)),
              i,
            ),
          ),
        ),
      );
      assert.equal(await count('raced'), 60);
    } finally {
      await Promise.all(others.map((other) => other.close()));
    }
  });

  it('refuses a row it cannot store as bad data (non-retriable, with the column), not as a retriable failure', async () => {
    const overflow = bookingRecord(11, 401, {
      price: {
        totalGross: { amount: '123456789.0000', currency: 'EUR' },
        totalNet: { amount: '1', currency: 'EUR' },
        totalPaid: { amount: '0', currency: 'EUR' },
      },
    });
    await assert.rejects(
      destination.write(batch(spec, [overflow])),
      (error: unknown) =>
        error instanceof DestinationError &&
        error.reason === 'bad-data' &&
        !error.retriable &&
        error.code === '22003' &&
        /price_totalGross_amount/.test(error.message),
    );
    // The pool is still usable after the rolled-back batches.
    await destination.write(batch(spec, [bookingRecord(11, 402)]));
    assert.equal(
      (await rows<{ v: string }>(`SELECT _version::text AS v FROM "${schema}".bookings WHERE id = 'B1000011'`))[0]?.v,
      '402',
    );
  });

  it('refuses, as bad data naming the column, text with a NUL byte and a timestamp out of PostgreSQL range (binary COPY)', async () => {
    const refusal = (code: string, column: string) => (error: unknown) =>
      error instanceof DestinationError &&
      error.reason === 'bad-data' &&
      !error.retriable &&
      error.code === code &&
      new RegExp(`column ${column}`).test(error.message);
    await assert.rejects(
      destination.write(batch(spec, [bookingRecord(12, 500, { productName: 'a\u0000b' })])),
      refusal('22021', 'productName'),
    );
    // 7537 BC: below PostgreSQL's 4713 BC (and exact in an Avro long read as a double).
    await assert.rejects(
      destination.write(batch(spec, [bookingRecord(12, 501, { startTime: -300_000_000_000_000 })])),
      refusal('22008', 'startTime'),
    );
    assert.equal(
      (await rows<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".bookings WHERE id = 'B1000012'`))[0]?.n,
      '0',
    );
  });

  it('abandons a COPY already streaming when a later record fails: its own error, nothing written, the pool still usable', async () => {
    // Enough rows that the first buffers are on their way before the failing record is transcoded.
    const plain = batch(
      spec,
      Array.from({ length: 3_000 }, (_, n) => bookingRecord(20_000 + n, 600 + n)),
    );
    const last = plain.records.at(-1) as AvroSinkRecord;
    const cut: WriteBatch = {
      ...plain,
      records: [...plain.records.slice(0, -1), { ...last, body: (last.body as Buffer).subarray(0, 20) }],
    };
    // The body's own error, as the runner dead-letters it (stage decode), not a database failure.
    await assert.rejects(
      destination.write(cut),
      (error: unknown) => error instanceof WireFormatError && /does not decode with that schema/.test(error.message),
    );
    assert.equal(await countIds('B1020000', 'B1023000'), 0);
    await destination.write(plain);
    assert.equal(await countIds('B1020000', 'B1023000'), 3_000);
  });

  it('reports an unreachable server as retriable', async () => {
    const down = createPostgresDestination({
      connection: { ...connection, connectionString: 'postgres://bookeo@127.0.0.1:1/bookeo' },
      mode: 'evolve',
      logger: quiet,
    });
    try {
      await assert.rejects(
        down.prepare(spec),
        (error: unknown) =>
          error instanceof DestinationError &&
          error.reason === 'unavailable' &&
          error.retriable &&
          error.code === 'ECONNREFUSED',
      );
    } finally {
      await down.close();
    }
  });
});
