/**
 * A realistic Bookeo booking in Avro, shared by the sink column tests, the ClickHouse integration
 * test and the insert-format bench: nested price (a named Money type used four times), participants
 * as arrays of records, options, a map, an enum, logical types and nullable unions.
 */
import type { SinkRecord } from '../sinks/destination.js';

const timestamp = { type: 'long', logicalType: 'timestamp-millis' } as const;
const money = {
  type: 'record',
  name: 'Money',
  fields: [
    { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 4 } },
    { name: 'currency', type: 'string' },
  ],
} as const;

export const bookingKeySchema = {
  type: 'record',
  name: 'BookingKey',
  namespace: 'com.bookeo',
  fields: [
    { name: 'account', type: 'string' },
    { name: 'id', type: 'string' },
  ],
} as const;

export const bookingValueSchema = {
  type: 'record',
  name: 'Booking',
  namespace: 'com.bookeo',
  fields: [
    { name: 'bookingNumber', type: 'string' },
    { name: 'productName', type: 'string' },
    { name: 'eventId', type: ['null', 'string'], default: null },
    { name: 'startTime', type: timestamp },
    { name: 'lastChangeTime', type: ['null', timestamp], default: null },
    { name: 'startDate', type: { type: 'int', logicalType: 'date' } },
    { name: 'canceled', type: 'boolean' },
    { name: 'source', type: { type: 'enum', name: 'BookingSource', symbols: ['api', 'web', 'backend'] } },
    { name: 'title', type: ['null', 'string'], default: null },
    {
      name: 'customer',
      type: {
        type: 'record',
        name: 'Customer',
        fields: [
          { name: 'id', type: 'string' },
          { name: 'firstName', type: 'string' },
          { name: 'emailAddress', type: ['null', 'string'], default: null },
        ],
      },
    },
    {
      name: 'price',
      type: [
        'null',
        {
          type: 'record',
          name: 'Price',
          fields: [
            { name: 'totalGross', type: money },
            { name: 'totalNet', type: 'Money' },
            { name: 'totalPaid', type: 'com.bookeo.Money' },
          ],
        },
      ],
      default: null,
    },
    {
      name: 'participants',
      type: {
        type: 'record',
        name: 'Participants',
        fields: [
          {
            name: 'numbers',
            type: {
              type: 'array',
              items: {
                type: 'record',
                name: 'PeopleNumber',
                fields: [
                  { name: 'peopleCategoryId', type: 'string' },
                  { name: 'number', type: 'int' },
                ],
              },
            },
          },
          {
            name: 'details',
            type: {
              type: 'array',
              items: {
                type: 'record',
                name: 'Participant',
                fields: [
                  { name: 'personId', type: 'string' },
                  { name: 'firstName', type: ['null', 'string'], default: null },
                  { name: 'personType', type: 'string' },
                ],
              },
            },
          },
        ],
      },
    },
    {
      name: 'options',
      type: {
        type: 'array',
        items: {
          type: 'record',
          name: 'Option',
          fields: [
            { name: 'name', type: 'string' },
            { name: 'value', type: 'string' },
          ],
        },
      },
    },
    { name: 'couponCodes', type: ['null', { type: 'array', items: 'string' }], default: null },
    { name: 'labels', type: { type: 'map', values: 'string' } },
  ],
} as const;

export type BookingValue = Record<string, unknown>;

/** A booking as the avro/ decoder delivers it (timestamps as epoch ms, dates as days, decimals as text). */
export function bookingValue(n: number, overrides: BookingValue = {}): BookingValue {
  const gross = `${100 + (n % 900)}.${String(n % 10_000).padStart(4, '0')}`;
  return {
    bookingNumber: `B${1_000_000 + n}`,
    productName: n % 2 === 0 ? 'Kayak tour – Öresund 🚣' : 'Cooking class',
    eventId: n % 3 === 0 ? null : `E${n % 50}`,
    startTime: 1_767_225_600_123 + n * 60_000,
    lastChangeTime: n % 4 === 0 ? null : 1_767_000_000_000 + n,
    startDate: 20_454 + (n % 30),
    canceled: n % 10 === 0,
    source: ['api', 'web', 'backend'][n % 3],
    title: null,
    customer: { id: `C${n % 5000}`, firstName: 'Zoë', emailAddress: n % 5 === 0 ? null : `c${n}@example.com` },
    price: {
      totalGross: { amount: gross, currency: 'EUR' },
      totalNet: { amount: '80.0000', currency: 'EUR' },
      totalPaid: { amount: '0.0000', currency: 'EUR' },
    },
    participants: {
      numbers: [
        { peopleCategoryId: 'Cadults', number: 2 },
        { peopleCategoryId: 'Cchildren', number: n % 3 },
      ],
      details: [{ personId: `P${n}`, firstName: n % 2 === 0 ? null : 'Åsa', personType: 'customer' }],
    },
    options: [{ name: 'lunch', value: 'vegetarian' }],
    couponCodes: n % 2 === 0 ? null : ['SUMMER'],
    labels: { channel: 'web', 'lang-ü': 'de' },
    ...overrides,
  };
}

export function bookingRecord(n: number, offset: number, overrides: BookingValue = {}): SinkRecord {
  return { key: { account: 'acme', id: `B${1_000_000 + n}` }, value: bookingValue(n, overrides), offset, schemaId: 7 };
}
