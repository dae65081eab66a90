/**
 * The PostgreSQL sink's Avro → binary COPY transcoder (sinks/postgres/copy-encoder.ts and
 * copy-transcoder.ts) writes, byte for byte, the body the object path writes: each record decoded
 * by its resolved schema, read column by column through rows.ts's cells and written by the column
 * types' field writers (copy-binary.ts). Checked on simulator bookings in the real bookings schema,
 * on the test booking with its edge values, on a table of every other logical type, on tombstones,
 * and on bodies written with an older version of the schema; and a body cut short is the record's
 * own decode error.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keySchema, valueSchemaOf } from '../../avro/schemas.js';
import { WireFormatError } from '../../avro/wire.js';
import type { AvroSinkRecord, ResolvedSchema, SinkRecord, WriteBatch } from '../../sinks/destination.js';
import { columnField, CopyChunks, HEADER, TRAILER } from '../../sinks/postgres/copy-binary.js';
import { createCopyEncoder } from '../../sinks/postgres/copy-encoder.js';
import { createCellReaders } from '../../sinks/rows.js';
import { describeTable } from '../../sinks/runner/avro-table.js';
import { resolvedSchema, schemaVersion } from '../../sinks/runner/registry-decoder.js';
import { bookingKeySchema, bookingRecord, bookingValueSchema } from '../../testkit/booking-avro.js';
import { kitchenValueSchema } from '../../testkit/kitchen-avro.js';
import { simulatorBookingBodies } from '../../testkit/simulator-bookings.js';
import { avroBatch } from '../helpers/write-batch.js';

const context = { topic: 'bookeo.bookings', partition: 3, ingestedAtMs: Date.UTC(2026, 0, 2, 3, 4, 5, 678) };

/** The object path: each record decoded, each column read by its cell and written by its field writer. */
function decodedBody(schema: ResolvedSchema, records: readonly AvroSinkRecord[]): Buffer {
  const cells = createCellReaders(schema.table);
  const fields = schema.table.columns.map((column) => columnField(column.type));
  const out = new CopyChunks();
  out.raw(HEADER);
  for (const { key, body, offset, schemaId } of records) {
    const record: SinkRecord = { key, value: body === null ? null : schema.decode(body, schemaId), offset, schemaId };
    out.int16(cells.length);
    cells.forEach((cell, index) => {
      const value = cell(record, context);
      if (value === null || value === undefined) out.int32(-1);
      else fields[index]?.(out, value);
    });
  }
  out.int16(TRAILER);
  return Buffer.concat(out.finish());
}

function transcodedBody(schema: ResolvedSchema, records: readonly AvroSinkRecord[]): Buffer {
  return Buffer.concat([...createCopyEncoder(schema)(records, context)]);
}

function assertSameBody(batch: WriteBatch): void {
  const expected = decodedBody(batch.schema, batch.records);
  const actual = transcodedBody(batch.schema, batch.records);
  assert.equal(actual.length, expected.length, 'body length');
  assert.ok(actual.equals(expected), 'the transcoded body differs from the decoded one');
}

function simulatorBookings(count: number): WriteBatch {
  const records: AvroSinkRecord[] = [];
  for (const { key, body } of simulatorBookingBodies(count, {
    seed: 11,
    account: 'unit',
    someCustomersExpanded: true,
  })) {
    records.push({ key, body, offset: records.length, schemaId: 1 });
    // Every tenth a tombstone of another key.
    if (records.length % 10 === 0)
      records.push({
        key: { account: 'unit', id: `gone-${records.length}` },
        body: null,
        offset: records.length,
        schemaId: 1,
      });
  }
  const schema = valueSchemaOf('bookings');
  const version = schemaVersion(1, schema);
  const table = describeTable('bookings', keySchema(), schema);
  return {
    ...context,
    firstOffset: 0,
    lastOffset: records.length - 1,
    schema: resolvedSchema(version, table, () => version),
    records,
  };
}

describe('PostgreSQL binary COPY transcoder', () => {
  it('writes the same body as decoding each record: simulator bookings, with and without their customer, and tombstones', () => {
    const batch = simulatorBookings(1_500);
    assert.ok(batch.records.length > 1_600);
    assertSameBody(batch);
  });

  it('writes the same body for the test booking: unicode, NULLs, nested records, arrays and a NUL byte left for the server to refuse', () => {
    const table = describeTable('bookings', bookingKeySchema, bookingValueSchema);
    const records = [
      ...Array.from({ length: 20 }, (_, n) => bookingRecord(n, n)),
      bookingRecord(21, 21, { productName: 'a\u0000b', startTime: -300_000_000_000_000 }),
      { key: { account: 'acme', id: 'B9' }, value: null, offset: 22, schemaId: 7 },
    ];
    assertSameBody(avroBatch(table, bookingValueSchema, records, context));
  });

  it('writes the same JSON for strings inside jsonb: escapes, control characters, unicode, and bytes that are not UTF-8', () => {
    const table = describeTable('bookings', bookingKeySchema, bookingValueSchema);
    const hard = [
      'only "quotes"',
      'only a back \\ slash',
      'quote " and back \\ slash',
      'new\nline\ttab\u0001',
      'Öresund 🚣 \u2028',
      '',
      'placeholder',
    ];
    const records = hard.map((value, n) =>
      bookingRecord(n, n, {
        options: [
          { name: `option ${n}`, value },
          { name: value, value: 'plain' },
        ],
      }),
    );
    const batch = avroBatch(table, bookingValueSchema, records, context);
    // Bytes that are not UTF-8 in place of `placeholder`: the decoding path reads them as replacement characters.
    const last = batch.records.at(-1) as AvroSinkRecord;
    const body = Buffer.from(last.body as Buffer);
    const at = body.indexOf('placeholder');
    assert.ok(at > 0);
    body.set([0xff, 0xfe, 0xc3], at);
    assertSameBody({ ...batch, records: [...batch.records.slice(0, -1), { ...last, body }] });
  });

  it('writes the same body for every other logical type: bytes, floats, arrays, unions, records in arrays, maps', () => {
    const table = describeTable('kitchen', bookingKeySchema, kitchenValueSchema);
    const value = (n: number, nulls: boolean): Record<string, unknown> => ({
      blob: Buffer.from([0, 1, 0xfe, 0x5c, n]),
      ratio: 0.5 + n,
      big: 1.2345678901234567 * n,
      maybe: nulls ? null : -n / 3,
      kind: n % 2 === 0 ? 'A' : 'B_2',
      small: -n * 1000,
      flag: nulls ? null : n % 2 === 0,
      stamps: [0, 1_767_225_600_123 + n, -86_400_000],
      days: [0, 20_454, -1],
      amounts: ['1.500000', '-0.000001', '12345678901234.123456'],
      price: nulls ? null : `${n}.2500`,
      blobs: [Buffer.from('\\"{},'), Buffer.alloc(0)],
      words: ['plain', null, 'tab\tand "quotes", {braces} \\ backslash', ''],
      either: n % 2 === 0 ? 'x' : n,
      where: nulls ? null : { city: n % 3 === 0 ? null : 'Malmö', at: n, tags: ['a', 'b'] },
      events: [{ at: 1_767_225_600_123, day: 20_454, amount: '12.50' }],
      matrix: [[1, 2], [3], []],
      counts: { a: n, 'ü b': 2 },
    });
    const records: SinkRecord[] = Array.from({ length: 12 }, (_, n) => ({
      key: { account: 'acme', id: `K${n}` },
      value: value(n, n % 4 === 1),
      offset: n,
      schemaId: 9,
    }));
    assertSameBody(avroBatch(table, kitchenValueSchema, records, context));
  });

  it('rewrites a body written with an older version into the batch’s, as decoding does', () => {
    const newer = {
      ...bookingValueSchema,
      fields: [...bookingValueSchema.fields, { name: 'voucher', type: ['null', 'string'], default: null }],
    };
    const table = describeTable('bookings', bookingKeySchema, newer);
    const older = schemaVersion(1, bookingValueSchema);
    const current = schemaVersion(2, newer);
    const oldBatch = avroBatch(table, bookingValueSchema, [bookingRecord(1, 1), bookingRecord(2, 2)], context);
    const newBatch = avroBatch(table, newer, [bookingRecord(3, 3, { voucher: 'V-1' })], context);
    const schema = resolvedSchema(current, table, (id) => (id === 2 ? current : older));
    const records = [
      ...oldBatch.records.map((record) => ({ ...record, schemaId: 1 })),
      ...newBatch.records.map((record) => ({ ...record, schemaId: 2 })),
    ];
    const expected = decodedBody(schema, records);
    assert.ok(transcodedBody(schema, records).equals(expected));
  });

  it('reports a body cut short as the record’s own decode error', () => {
    const table = describeTable('bookings', bookingKeySchema, bookingValueSchema);
    const batch = avroBatch(table, bookingValueSchema, [bookingRecord(1, 1)], context);
    const [record] = batch.records as [AvroSinkRecord];
    const cut = { ...record, body: (record.body as Buffer).subarray(0, 20) };
    assert.throws(
      () => transcodedBody(batch.schema, [cut]),
      (error: unknown) => error instanceof WireFormatError && /does not decode with that schema/.test(error.message),
    );
  });
});
