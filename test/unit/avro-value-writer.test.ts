/**
 * The source writes Bookeo JSON straight into Avro binary (avro/convert.ts, avro/binary-output.ts)
 * instead of handing avsc a converted value. Outside Avro clients read those bytes, so they must
 * be exactly the bytes avsc writes for the same value: checked here against avsc itself, on
 * values built by hand (strings of every length class and script, longs past 2^31 up to the 2^52
 * avsc accepts, doubles,
 * decimals, timestamps, arrays, nulls) and on every fixture entity of every resource.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- fixtures are free-form Bookeo JSON */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { avroTypeOf } from '../../avro/codec.js';
import { createValueWriter } from '../../avro/convert.js';
import { AvroRecordError } from '../../avro/errors.js';
import { decimalBytes, parseTimestampMillis, unscaledDecimal } from '../../avro/logical.js';
import type { AvroRecord } from '../../avro/schema-json.js';
import { valueSchemaOf } from '../../avro/schemas.js';
import { HEADER_SIZE, unframe } from '../../avro/wire.js';
import type { ResourceName } from '../../contract/resources.js';

const schema: AvroRecord = {
  type: 'record',
  name: 'Sample',
  fields: [
    { name: 's', type: 'string' },
    { name: 'n', type: ['null', 'long'], default: null },
    { name: 'i', type: 'int' },
    { name: 'd', type: 'double' },
    { name: 'b', type: 'boolean' },
    { name: 'at', type: ['null', { type: 'long', logicalType: 'timestamp-millis' }], default: null },
    {
      name: 'money',
      type: ['null', { type: 'bytes', logicalType: 'decimal', precision: 18, scale: 4 }],
      default: null,
    },
    { name: 'tags', type: { type: 'array', items: 'string' } },
  ],
};

const STRINGS = [
  '',
  'a',
  'x'.repeat(63),
  'x'.repeat(64),
  'x'.repeat(65),
  'x'.repeat(200),
  'é',
  'é'.repeat(32),
  'é'.repeat(33),
  '€ and 😀',
  '😀'.repeat(20),
  'lone \ud800 surrogate',
  '\udc00',
  `${'y'.repeat(70)}\ud83d`,
];
const LONGS = [
  0,
  1,
  -1,
  63,
  64,
  -64,
  -65,
  2 ** 30 - 1,
  2 ** 30,
  -(2 ** 30),
  -(2 ** 30) - 1,
  2 ** 31,
  2 ** 40 + 7,
  -(2 ** 45) - 3,
  2 ** 52,
  -(2 ** 52),
];
const AMOUNTS = [
  '0',
  '52.75',
  '-3',
  '.5',
  '5.',
  '0.0001',
  '-0.0001',
  '99999999999.9999',
  '12345678901234.5',
  '1e3',
  ' 7.25 ',
  '+4',
];

describe('avro value writer: the bytes avsc writes', () => {
  const type = avroTypeOf(schema);
  const writer = createValueWriter(schema, 'sample.value');

  it('writes strings, longs, doubles, decimals, timestamps, arrays and nulls as avsc does', () => {
    let cases = 0;
    for (const [index, s] of STRINGS.entries()) {
      for (const n of LONGS) {
        const amount = AMOUNTS[(index + cases) % AMOUNTS.length] as string;
        const entity = {
          s,
          n: cases % 5 === 0 ? null : n,
          i: Math.trunc(n % 2 ** 31),
          d: n / 3,
          b: cases % 2 === 0,
          at: cases % 3 === 0 ? null : '2026-03-29T01:30:00+01:00',
          money: cases % 4 === 0 ? null : amount,
          tags: STRINGS.slice(0, cases % 4),
        };
        const expected = type.toBuffer({
          ...entity,
          at: entity.at === null ? null : Date.parse(entity.at),
          money: entity.money === null ? null : decimalBytes(entity.money, 18, 4),
        });
        const written = writer.encode(entity, 42);
        assert.equal(unframe(written).schemaId, 42);
        assert.deepEqual(written.subarray(HEADER_SIZE), expected, `case ${cases}: ${JSON.stringify(entity)}`);
        cases++;
      }
    }
  });

  it('refuses, as a record error, the longs avsc would refuse to write or read back', () => {
    const entity = { s: '', n: Number.MAX_SAFE_INTEGER, i: 0, d: 0, b: false, at: null, money: null, tags: [] };
    assert.throws(
      () => writer.encode(entity, 1),
      (error: unknown) => {
        assert.ok(error instanceof AvroRecordError);
        assert.equal(error.path, 'sample.value.n');
        return true;
      },
    );
    assert.throws(() => type.toBuffer(entity));
  });

  it('grows past its scratch buffer and still writes the whole value', () => {
    const entity = {
      s: 'z'.repeat(20_000),
      n: 5,
      i: 1,
      d: 0.5,
      b: true,
      at: null,
      money: '1',
      tags: ['é'.repeat(3000)],
    };
    const expected = type.toBuffer({ ...entity, money: decimalBytes('1', 18, 4) });
    assert.deepEqual(writer.encode(entity, 1).subarray(HEADER_SIZE), expected);
    // The next, small value is not polluted by the larger one.
    const small = { ...entity, s: 'k', tags: [] };
    assert.deepEqual(
      writer.encode(small, 1).subarray(HEADER_SIZE),
      type.toBuffer({ ...small, money: decimalBytes('1', 18, 4) }),
    );
  });

  for (const [resource, fixtures] of [
    ['bookings', ['booking', 'booking-minimal']],
    ['customers', ['customer']],
    ['customers_people', ['linked-person']],
    ['payments', ['payment']],
    ['settings_products', ['product']],
    ['settings_languages', ['language']],
    ['webhooks', ['webhook']],
  ] as const) {
    it(`writes ${resource} fixtures as avsc re-encodes what they read back to`, () => {
      const resourceSchema = valueSchemaOf(resource as ResourceName);
      const resourceType = avroTypeOf(resourceSchema);
      const resourceWriter = createValueWriter(resourceSchema, `${resource}.value`);
      for (const name of fixtures) {
        const entity = JSON.parse(
          readFileSync(new URL(`../fixtures/bookeo/${name}.json`, import.meta.url), 'utf8'),
        ) as any;
        const body = resourceWriter.encode(entity, 1).subarray(HEADER_SIZE);
        assert.deepEqual(resourceType.toBuffer(resourceType.fromBuffer(body)), body, name);
      }
    });
  }
});

describe('avro logical fast paths: the same answers as the general patterns', () => {
  it('reads Bookeo timestamps by position exactly as RFC 3339 parsing does, and refuses what it refuses', () => {
    for (const text of [
      '2026-06-01T11:30:00-04:00',
      '2026-06-01T11:30:00Z',
      '1999-12-31T23:59:59+14:00',
      '2024-02-29T00:00:00+05:30',
    ])
      assert.equal(parseTimestampMillis(text), Date.parse(text), text);
    for (const text of [
      '2026-13-01T11:30:00Z',
      '2026-02-30T11:30:00Z',
      '2026-06-01T24:00:00Z',
      '2026-06-01T11:30:00+24:00',
      '2026-06-01T11:30:00',
      '2026-06-01x11:30:00Z',
      '2026-06-0aT11:30:00Z',
    ])
      assert.equal(parseTimestampMillis(text), undefined, text);
    // Other RFC 3339 forms still go through the general pattern.
    assert.equal(parseTimestampMillis('2026-06-01T11:30:00.1234z'), Date.parse('2026-06-01T11:30:00.123Z'));
    assert.equal(parseTimestampMillis('2026-06-01 11:30:00+0200'), Date.parse('2026-06-01T11:30:00+02:00'));
  });

  it('reads plain amounts by character to the same unscaled integers, and leaves the rest to the pattern', () => {
    assert.equal(unscaledDecimal('52.75', 18, 4), 527500);
    assert.equal(unscaledDecimal('-3', 18, 4), -30000);
    assert.equal(unscaledDecimal('.5', 18, 4), 5000);
    assert.equal(unscaledDecimal('5.', 18, 4), 50000);
    assert.equal(unscaledDecimal('1.23456', 18, 4), 'more than 4 decimal places (refused rather than rounded)');
    assert.equal(unscaledDecimal('1.23450', 18, 4), 12345n);
    assert.equal(unscaledDecimal('12345678901234', 18, 4), 123456789012340000n);
    assert.equal(unscaledDecimal('1.2.3', 18, 4), 'not a decimal number');
    assert.equal(unscaledDecimal('-', 18, 4), 'not a decimal number');
  });
});
