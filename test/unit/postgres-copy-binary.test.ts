/**
 * The PostgreSQL destination's binary COPY encoding: numeric digit groups (weight, sign, display
 * scale) as numeric_recv reads them, and the exact bytes of a small body (signature, tuple, each
 * type's wire form, NULLs, a one-dimensional array, jsonb's version byte, the trailer), plus the
 * refusal of decimal text that is no number, naming the column. The server's own checks on these
 * bytes are the integration test's (test/integration/postgres-destination.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TableSpec } from '../../sinks/columns.js';
import { DestinationError } from '../../sinks/errors.js';
import { createBinaryCopyEncoder } from '../../sinks/postgres/copy-binary.js';
import { numericWire } from '../../sinks/postgres/numeric-binary.js';

describe('numeric in binary form', () => {
  it('groups digits by four around the point, without leading or trailing zero groups', () => {
    assert.deepEqual(numericWire('12345.6789'), { weight: 1, sign: 0, scale: 4, groups: [1, 2345, 6789] });
    assert.deepEqual(numericWire('-0.0012'), { weight: -1, sign: 0x4000, scale: 4, groups: [12] });
    assert.deepEqual(numericWire('100000000'), { weight: 2, sign: 0, scale: 0, groups: [1] });
    assert.deepEqual(numericWire('18446744073709551615'), {
      weight: 4,
      sign: 0,
      scale: 0,
      groups: [1844, 6744, 737, 955, 1615],
    });
    assert.deepEqual(numericWire('0.50'), { weight: -1, sign: 0, scale: 2, groups: [5000] });
  });

  it('writes zero (also negative zero) with no groups, keeping its scale', () => {
    assert.deepEqual(numericWire('-0.000'), { weight: 0, sign: 0, scale: 3, groups: [] });
    assert.deepEqual(numericWire('0'), { weight: 0, sign: 0, scale: 0, groups: [] });
  });

  it('keeps the value of any decimal text: the groups read back give the same number', () => {
    let seed = 7;
    const digit = (): string => String((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % 10);
    const digits = (count: number): string => Array.from({ length: count }, digit).join('');
    for (let n = 0; n < 2_000; n++) {
      const whole = digits(n % 23);
      const fraction = digits((n * 7) % 11);
      const text = `${n % 3 === 0 ? '-' : ''}${whole || '0'}${fraction === '' ? '' : `.${fraction}`}`;
      const wire = numericWire(text);
      assert.ok(wire !== undefined, text);
      assert.equal(wire.scale, fraction.length, text);
      // groups / 10000^shift = text digits / 10^scale, cross-multiplied.
      const shift = BigInt(4 * (wire.groups.length - 1 - wire.weight));
      const fromGroups = wire.groups.reduce((sum, group) => sum * 10_000n + BigInt(group), 0n);
      const fromText = BigInt(`${whole || '0'}${fraction}`);
      const scale = BigInt(fraction.length);
      assert.equal(
        fromGroups * 10n ** scale * (shift < 0n ? 10n ** -shift : 1n),
        fromText * (shift > 0n ? 10n ** shift : 1n),
        text,
      );
      assert.equal(wire.sign, text.startsWith('-') && fromText !== 0n ? 0x4000 : 0, text);
      assert.ok(wire.groups.every((group) => group >= 0 && group < 10_000) && wire.groups.at(-1) !== 0, text);
    }
  });

  it('refuses what is no plain decimal number', () => {
    for (const text of ['twelve', '', '.', '1e5', '1.2.3', 'NaN', ' 1'])
      assert.equal(numericWire(text), undefined, text);
  });
});

const spec: TableSpec = {
  name: 't',
  keyColumns: ['id'],
  columns: [
    { name: 'id', role: 'key', path: [], type: { kind: 'string', lowCardinality: false } },
    { name: 'at', role: 'value', path: ['at'], type: { kind: 'nullable', inner: { kind: 'timestamp' } } },
    { name: 'day', role: 'value', path: ['day'], type: { kind: 'date' } },
    { name: 'amount', role: 'value', path: ['amount'], type: { kind: 'decimal', precision: 12, scale: 4 } },
    { name: 'ok', role: 'value', path: ['ok'], type: { kind: 'boolean' } },
    { name: 'tags', role: 'value', path: ['tags'], type: { kind: 'array', items: { kind: 'int32' } } },
    { name: 'extra', role: 'value', path: ['extra'], type: { kind: 'map', values: { kind: 'int64' } } },
    { name: '_version', role: 'lineage', path: [], type: { kind: 'uint64' } },
  ],
};

const int16 = (value: number): number[] => [(value >> 8) & 0xff, value & 0xff];
const int32 = (value: number): number[] => [...int16(value >> 16), ...int16(value & 0xffff)];
const field = (bytes: number[]): number[] => [...int32(bytes.length), ...bytes];

describe('binary COPY body', () => {
  it("writes each type's wire form, NULLs and the trailer after PostgreSQL's signature", () => {
    const encode = createBinaryCopyEncoder(spec);
    // 2026-01-01T00:00:00.001Z; 2000-01-02.
    const row = ['é', Date.UTC(2026, 0, 1, 0, 0, 0, 1), 10_958, '-1.5', true, [7, null], { a: 1 }, 5];
    const body = Buffer.concat([...encode([row], (item) => item)]);
    const micros = (Date.UTC(2026, 0, 1, 0, 0, 0, 1) - Date.UTC(2000, 0, 1)) * 1000;
    const expected = [
      ...Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'),
      ...int32(0),
      ...int32(0),
      ...int16(8),
      ...field([0xc3, 0xa9]),
      ...field([...int32(Math.floor(micros / 2 ** 32)), ...int32(micros % 2 ** 32)]),
      ...field(int32(1)),
      ...field([...int16(2), ...int16(0), ...int16(0x4000), ...int16(1), ...int16(1), ...int16(5000)]),
      ...field([1]),
      ...field([...int32(1), ...int32(1), ...int32(23), ...int32(2), ...int32(1), ...field(int32(7)), ...int32(-1)]),
      ...field([1, ...Buffer.from('{"a":1}')]),
      ...field([...int16(1), ...int16(0), ...int16(0), ...int16(0), ...int16(5)]),
      ...int16(-1),
    ];
    assert.deepEqual([...body], expected);
    const nulls = Buffer.concat([...encode([['k', null, 0, '0', false, [], {}, 0]], (item) => item)]);
    // The nullable timestamp is a NULL field (length -1), the empty array has no dimension.
    assert.deepEqual([...nulls.subarray(19 + 2 + 5, 19 + 2 + 9)], int32(-1));
  });

  it('refuses decimal text that is no number as bad data, with the column and the server’s SQLSTATE', () => {
    const encode = createBinaryCopyEncoder(spec);
    assert.throws(
      () => [...encode([['k', null, 0, 'twelve', false, [], {}, 0]], (item) => item)],
      (error: unknown) =>
        error instanceof DestinationError &&
        error.reason === 'bad-data' &&
        !error.retriable &&
        error.code === '22P02' &&
        /column amount: invalid input syntax for type numeric: "twelve"/.test(error.message),
    );
  });
});
