/**
 * The conformance suite's data: one topic whose value schema exercises every type a Bookeo entity
 * carries (timestamps, dates, decimals, nested records, arrays of records, enums, nulls, unicode),
 * in three versions (v2 adds a field, v3 removes one), and records built from plain logical values
 * so the expectation never depends on a destination.
 */
import { readFileSync } from 'node:fs';
import avsc from 'avsc';
import { decimalBytes } from '../../avro/logical.js';
import type { AvroRecord } from '../../avro/schema-json.js';

export const KEY_SCHEMA = JSON.parse(
  readFileSync(new URL('../../avro/schemas/key.avsc', import.meta.url), 'utf8'),
) as AvroRecord;

const nullable = (type: unknown): unknown => ['null', type];
const amount = { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 4 };

const V1_FIELDS = [
  { name: 'title', type: 'string' },
  { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['open', 'closed'] } },
  { name: 'amount', type: amount },
  { name: 'startTime', type: { type: 'long', logicalType: 'timestamp-millis' } },
  { name: 'day', type: nullable({ type: 'int', logicalType: 'date' }), default: null },
  { name: 'active', type: 'boolean' },
  { name: 'score', type: 'double' },
  { name: 'seats', type: 'long' },
  { name: 'note', type: nullable('string'), default: null },
  {
    name: 'venue',
    type: {
      type: 'record',
      name: 'Venue',
      fields: [
        { name: 'city', type: 'string' },
        { name: 'zip', type: nullable('string'), default: null },
      ],
    },
  },
  { name: 'tags', type: { type: 'array', items: 'string' } },
  {
    name: 'participants',
    type: {
      type: 'array',
      items: {
        type: 'record',
        name: 'Participant',
        fields: [
          { name: 'name', type: 'string' },
          { name: 'age', type: nullable('int'), default: null },
        ],
      },
    },
  },
];

function schema(fields: readonly unknown[]): AvroRecord {
  return {
    type: 'record',
    name: 'Thing',
    namespace: 'com.bookeo.connect.conformance',
    fields,
  } as unknown as AvroRecord;
}

export const VALUE_V1 = schema(V1_FIELDS);
/** v2: a new optional field. */
export const VALUE_V2 = schema([...V1_FIELDS, { name: 'channel', type: nullable('string'), default: null }]);
/** v3: `note` removed (a BACKWARD-compatible removal: it had a default). */
export const VALUE_V3 = schema([
  ...V1_FIELDS.filter((field) => field.name !== 'note'),
  { name: 'channel', type: nullable('string'), default: null },
]);

/** A value in logical form (decimal as text): what a destination receives after decoding. */
export type Thing = Record<string, unknown>;

export function thing(index: number, overrides: Partial<Thing> = {}): Thing {
  return {
    title: `Tour n°${index} — ${['Zürich', '東京', 'Ελλάδα', 'emoji 🚤'][index % 4]}`,
    status: index % 3 === 0 ? 'closed' : 'open',
    amount: index % 5 === 0 ? '-0.0100' : `${index * 37}.${String(index % 10000).padStart(4, '0')}`,
    startTime: Date.UTC(2024, index % 12, 1 + (index % 27), 9, 30, 15, index % 1000),
    day: index % 4 === 0 ? null : 19_800 + index,
    active: index % 2 === 0,
    score: index / 8,
    seats: 2 ** 40 + index,
    note: index % 3 === 0 ? null : `note "${index}" with 'quotes', commas, \\ and\nnewline`,
    venue: { city: `City ${index}`, zip: index % 2 === 0 ? null : `${10000 + index}` },
    tags: index % 4 === 0 ? [] : [`t${index}`, 'ünïcødé'],
    participants:
      index % 4 === 1
        ? []
        : [
            { name: `P${index}`, age: index % 2 === 0 ? null : 30 + index },
            { name: 'Ada', age: 36 },
          ],
    ...overrides,
  };
}

/** avsc types without logical types: the suite encodes from the logical form itself. */
export function writerType(value: AvroRecord): avsc.Type {
  return avsc.Type.forSchema(value as avsc.Schema);
}

/** Logical form → the Avro value to encode (decimal text → two's-complement bytes). */
export function toAvro(value: Thing): Thing {
  const bytes = decimalBytes(String(value.amount), 12, 4);
  if (typeof bytes === 'string') throw new RangeError(`amount ${String(value.amount)}: ${bytes}`);
  return { ...value, amount: bytes };
}
