/**
 * The ClickHouse destination's Native encoding: exact bytes of a small block (the layout ClickHouse
 * reads), decimals, refusals, and the Avro transcoder writing the very bytes the object path writes
 * for the same records (booking schema, and a schema with every shape the column model produces).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAvroSchema, avroTypeOf } from '../../avro/codec.js';
import { integerToBytes } from '../../avro/logical.js';
import type { AvroType } from '../../avro/schema-json.js';
import type { TableSpec } from '../../sinks/columns.js';
import { describeTable } from '../../sinks/runner/avro-table.js';
import type { AvroSinkRecord, ResolvedSchema, SinkRecord } from '../../sinks/destination.js';
import { resolvedSchema, schemaVersion } from '../../sinks/runner/registry-decoder.js';
import { createCellReaders } from '../../sinks/rows.js';
import { WireFormatError } from '../../avro/wire.js';
import { DestinationError } from '../../sinks/errors.js';
import { compileTranscoder } from '../../sinks/columnar/avro-transcoder.js';
import { BlockPlan } from '../../sinks/columnar/block-plan.js';
import { columnWriter, scaledDecimal, type ColumnWriter } from '../../sinks/columnar/writers.js';
import { nativeBlockChunks } from '../../sinks/clickhouse/native.js';
import { nativeBody } from '../../sinks/clickhouse/native-batch.js';
import { bookingKeySchema, bookingValue, bookingValueSchema } from '../../testkit/booking-avro.js';
import { edgeKey, edgeValue, edge } from '../helpers/edge-avro.js';

const lineage = { topic: 'bookeo.t', partition: 1, firstOffset: 0, lastOffset: 0, ingestedAtMs: 1_767_225_600_000 };

/** One writer per column of the spec, in spec order (nested nulls as ClickHouse stores them). */
function writersOf(spec: TableSpec): ColumnWriter[] {
  return spec.columns.map((column) => columnWriter(column.type));
}

function bytesOf(spec: TableSpec, columns: readonly ColumnWriter[], rows: number): Buffer {
  return Buffer.concat(nativeBlockChunks(spec, columns, rows));
}

function columnBytes(writer: ColumnWriter | undefined): number[] {
  const out: Buffer[] = [];
  writer?.chunks(out);
  return [...Buffer.concat(out)];
}

/** A ClickHouse String: one-byte length (short texts here), then the bytes. */
function str(text: string): number[] {
  const bytes = [...Buffer.from(text)];
  return [bytes.length, ...bytes];
}

function u64(value: number): number[] {
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(BigInt(value));
  return [...out];
}

describe('ClickHouse Native encoding', () => {
  it('writes a block as ClickHouse lays it out: header, null map, offsets, tuple elements', () => {
    const spec: TableSpec = {
      name: 't',
      keyColumns: [],
      columns: [
        {
          name: 's',
          role: 'value',
          path: ['s'],
          type: { kind: 'nullable', inner: { kind: 'string', lowCardinality: true } },
        },
        {
          name: 'a',
          role: 'value',
          path: ['a'],
          type: {
            kind: 'array',
            items: {
              kind: 'struct',
              fields: [
                { name: 'x', type: { kind: 'nullable', inner: { kind: 'string', lowCardinality: false } } },
                { name: 'y', type: { kind: 'int64' } },
              ],
            },
          },
        },
      ],
    };
    const columns = writersOf(spec);
    columns[0]?.add('q');
    columns[1]?.add([{ x: 'k', y: 5 }]);
    columns[0]?.add(null);
    columns[1]?.add(null);
    const expected = [
      2,
      2,
      ...str('s'),
      ...str('Nullable(String)'),
      0,
      1,
      ...str('q'),
      0,
      ...str('a'),
      ...str('Array(Tuple(x Nullable(String), y Int64))'),
      ...u64(1),
      ...u64(1),
      0,
      ...str('k'),
      ...u64(5),
    ];
    assert.deepEqual([...bytesOf(spec, columns, 2)], expected);
  });

  it('scales decimal text exactly and refuses what would need rounding or does not fit', () => {
    assert.equal(scaledDecimal('12.5000', 4), 125_000);
    assert.equal(scaledDecimal('-0.01', 4), -100);
    assert.equal(scaledDecimal('7', 2), 700);
    assert.equal(scaledDecimal('1.2300', 2), 123, 'trailing zeros beyond the scale are not digits');
    assert.equal(scaledDecimal('12345678901234567.89', 2), 1_234_567_890_123_456_789n);
    assert.throws(() => scaledDecimal('1.234', 2), RangeError);
    assert.throws(() => scaledDecimal('twelve', 2), RangeError);
    const spec = describeTable(
      'd',
      { type: 'record', name: 'K', fields: [{ name: 'id', type: 'string' }] },
      {
        type: 'record',
        name: 'D',
        fields: [
          { name: 'small', type: { type: 'bytes', logicalType: 'decimal', precision: 9, scale: 2 } },
          { name: 'wide', type: { type: 'bytes', logicalType: 'decimal', precision: 30, scale: 2 } },
        ],
      },
    );
    const columns = writersOf(spec);
    columns[2]?.add('-1.00');
    assert.deepEqual(
      columnBytes(columns[2]),
      [0x9c, ...Array<number>(15).fill(0xff)],
      "Decimal128, two's complement, little-endian",
    );
    assert.throws(() => columns[1]?.add('99999999.99'), RangeError, 'Decimal32 holds at most 2^31 - 1');
  });

  it('refuses a value of the wrong shape as a record-level error naming column and offset', () => {
    // Keys and lineage are filled from values, not transcoded: a key the column cannot hold.
    const value = { type: 'record', name: 'V', fields: [{ name: 'n', type: 'int' }] };
    const spec = describeTable(
      'numbered',
      { type: 'record', name: 'K', fields: [{ name: 'id', type: 'long' }] },
      value,
    );
    const version = schemaVersion(3, value);
    const schema = resolvedSchema(version, spec, () => version);
    const records = [
      { key: { id: 'not a number' }, body: avroTypeOf(value as AvroType).toBuffer({ n: 1 }), offset: 42, schemaId: 3 },
    ];
    assert.throws(
      () => nativeBody(new BlockPlan(schema), { ...lineage, schema, records }),
      (error: unknown) =>
        error instanceof DestinationError && error.reason === 'bad-data' && /column id, offset 42/.test(error.message),
    );
  });
});

const bookingVersion = schemaVersion(3, bookingValueSchema);
const bookingSchema = (spec: TableSpec): ResolvedSchema => resolvedSchema(bookingVersion, spec, () => bookingVersion);

/** The oracle: the block native.ts writes from decoded values (every column through rows.ts's cells). */
function objectBody(spec: TableSpec, records: readonly SinkRecord[]): Buffer {
  const columns = writersOf(spec);
  const cells = createCellReaders(spec);
  for (const record of records) cells.forEach((cell, i) => columns[i]?.add(cell(record, lineage)));
  return bytesOf(spec, columns, records.length);
}

/** The same records transcoded from Avro and written from decoded objects: same block bytes. */
function assertSameBytes(
  keySchema: unknown,
  valueSchema: unknown,
  values: Array<Record<string, unknown> | null>,
): void {
  const spec = describeTable('t', keySchema, valueSchema);
  const writer = avroTypeOf(valueSchema as AvroType);
  const version = schemaVersion(3, valueSchema);
  const bodies = values.map((value) => (value === null ? null : writer.toBuffer(value)));
  const keys = values.map((_, n) => ({ account: 'acme', id: `k${n}` }));
  const avroRecords: AvroSinkRecord[] = bodies.map((body, n) => ({
    key: keys[n] as Record<string, unknown>,
    body,
    offset: 100 + n,
    schemaId: 3,
  }));
  const records: SinkRecord[] = bodies.map((body, n) => ({
    key: keys[n] as Record<string, unknown>,
    value: body === null ? null : (version.type.fromBuffer(body) as Record<string, unknown>),
    offset: 100 + n,
    schemaId: 3,
  }));
  const schema = resolvedSchema(version, spec, () => version);
  const fromAvro = nativeBody(new BlockPlan(schema), { ...lineage, schema, records: avroRecords });
  assert.equal(fromAvro.toString('hex'), objectBody(spec, records).toString('hex'));
}

describe('Avro → Native transcoder', () => {
  it('writes the bytes the object path writes, for bookings with tombstones', () => {
    const toAvro = (n: number): Record<string, unknown> => {
      const value = bookingValue(n);
      const money = (amount: string) => ({ amount: integerToBytes(BigInt(amount.replace('.', ''))), currency: 'EUR' });
      const price = value.price as Record<string, { amount: string }>;
      return {
        ...value,
        price: {
          totalGross: money(price.totalGross?.amount ?? '0'),
          totalNet: money('80.0000'),
          totalPaid: money('0.0000'),
        },
      };
    };
    assertSameBytes(bookingKeySchema, bookingValueSchema, [
      ...Array.from({ length: 40 }, (_, n) => toAvro(n)),
      null,
      { ...toAvro(7), price: null, lastChangeTime: null },
    ]);
  });

  it('writes the bytes the object path writes, for every shape the column model produces', () => {
    assertSameBytes(edgeKey, edgeValue, [...Array.from({ length: 24 }, (_, n) => edge(n)), null]);
  });

  it('reads arrays written in several blocks, with and without byte sizes', () => {
    const schema = { type: 'record', name: 'L', fields: [{ name: 'xs', type: { type: 'array', items: 'int' } }] };
    const spec = describeTable('l', edgeKey, schema);
    const transcode = compileTranscoder(parseAvroSchema(schema), spec);
    assert.ok(transcode);
    // Blocks: count -2 (zig-zag 3) with byte size 2 (zig-zag 4), items 1, 2; count 1 (zig-zag 2), item 3; end.
    const body = Buffer.from([3, 4, 2, 4, 2, 6, 0]);
    const columns = writersOf(spec);
    transcode(body, columns);
    const expected = writersOf(spec);
    const xs = spec.columns.findIndex((column) => column.name === 'xs');
    expected[xs]?.add([1, 2, 3]);
    assert.deepEqual(columnBytes(columns[xs]), columnBytes(expected[xs]));
  });

  it('refuses a body that is cut short or too long as one that does not decode (stage decode), naming its schema id', () => {
    const spec = describeTable('bookings', bookingKeySchema, bookingValueSchema);
    const schema = bookingSchema(spec);
    const plan = new BlockPlan(schema);
    const body = avroTypeOf(bookingValueSchema as unknown as AvroType).toBuffer({ ...bookingValue(3), price: null });
    const write = (bytes: Buffer) =>
      nativeBody(plan, {
        ...lineage,
        schema,
        records: [{ key: { account: 'a', id: 'b' }, body: bytes, offset: 9, schemaId: 3 }],
      });
    for (const bad of [body.subarray(0, body.length - 3), Buffer.concat([body, Buffer.from([0])])]) {
      assert.throws(
        () => write(bad),
        (error: unknown) => error instanceof WireFormatError && /schema id 3 does not decode/.test(error.message),
      );
    }
  });

  it("writes a batch of mixed schema versions as one block: older bodies read into the batch's version", () => {
    const v2Schema = {
      ...bookingValueSchema,
      fields: [...bookingValueSchema.fields, { name: 'notes', type: ['null', 'string'], default: null }],
    };
    const v1 = schemaVersion(3, bookingValueSchema);
    const v2 = schemaVersion(4, v2Schema);
    const spec = describeTable('bookings', bookingKeySchema, v2Schema);
    const schema = resolvedSchema(v2, spec, (id) => (id === 3 ? v1 : v2));
    const price = null;
    const v1Writer = avroTypeOf(bookingValueSchema as unknown as AvroType);
    const v2Writer = avroTypeOf(v2Schema as unknown as AvroType);
    const key = (n: number) => ({ account: 'acme', id: `k${n}` });
    const mixed: AvroSinkRecord[] = [
      { key: key(0), body: v1Writer.toBuffer({ ...bookingValue(0), price }), offset: 0, schemaId: 3 },
      { key: key(1), body: v2Writer.toBuffer({ ...bookingValue(1), price, notes: 'n1' }), offset: 1, schemaId: 4 },
      { key: key(2), body: null, offset: 2, schemaId: 1 },
      { key: key(3), body: v1Writer.toBuffer({ ...bookingValue(3), price }), offset: 3, schemaId: 3 },
    ];
    const decoded: SinkRecord[] = mixed.map((record) => ({
      ...record,
      value: record.body === null ? null : schema.decode(record.body, record.schemaId),
    }));
    assert.equal(
      (decoded[0]?.value as Record<string, unknown>).notes,
      null,
      'a v1 value reads the new field as its default',
    );
    assert.equal(
      nativeBody(new BlockPlan(schema), { ...lineage, schema, records: mixed }).toString('hex'),
      objectBody(spec, decoded).toString('hex'),
    );
  });

  it('declines a schema whose columns do not match it (the plan refuses it as a bug)', () => {
    const spec = describeTable('x', edgeKey, { type: 'record', name: 'X', fields: [{ name: 'n', type: 'int' }] });
    assert.equal(
      compileTranscoder(
        parseAvroSchema({ type: 'record', name: 'X', fields: [{ name: 'n', type: 'string' }] } as AvroType),
        spec,
      ),
      undefined,
    );
  });
});
