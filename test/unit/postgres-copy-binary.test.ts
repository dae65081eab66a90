/**
 * The PostgreSQL destination's binary COPY encoding: numeric digit groups (weight, sign, display
 * scale) as numeric_recv reads them, and the exact bytes of a small body written by the column
 * types' field writers (signature, tuple, each type's wire form, NULLs, a one-dimensional array,
 * jsonb's version byte, the trailer), plus the refusal of decimal text that is no number with the
 * server's SQLSTATE. The server's own checks on these bytes are the integration test's
 * (test/integration/postgres-destination.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TableSpec } from '../../sinks/columns.js';
import { columnField, CopyChunks, HEADER, InvalidValue, TRAILER } from '../../sinks/postgres/copy-binary.js';
import { MAX_EXACT_SCALE, numericWire, scaledNumericWire } from '../../sinks/postgres/numeric-binary.js';
import { decimalText, integerToBytes } from '../../avro/logical.js';

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

  it('gives a scaled integer the fields of its text, without the text', () => {
    let seed = 11;
    const next = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31);
    for (let n = 0; n < 5_000; n++) {
      const scale = n % (MAX_EXACT_SCALE + 1);
      // Magnitudes from one digit to a full safe integer, both signs, zero included.
      const magnitude = n % 97 === 0 ? 0 : Math.floor((next() / 2 ** 31) * 10 ** (n % 16)) * 2 ** (n % 3) + (n % 7);
      const unscaled = Math.min(magnitude, Number.MAX_SAFE_INTEGER) * (n % 2 === 0 ? 1 : -1);
      const bytes = integerToBytes(BigInt(unscaled));
      assert.deepEqual(
        scaledNumericWire(unscaled, scale),
        numericWire(decimalText(bytes, scale)),
        `${unscaled}e-${scale}`,
      );
    }
    assert.deepEqual(scaledNumericWire(Number.MAX_SAFE_INTEGER, 4), numericWire('900719925474.0991'));
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

/** The rows as one body, each value written by its column's field writer (a NULL as length -1). */
function body(rows: readonly unknown[][]): Buffer {
  const fields = spec.columns.map((column) => columnField(column.type));
  const out = new CopyChunks();
  out.raw(HEADER);
  for (const row of rows) {
    out.int16(fields.length);
    row.forEach((value, column) => (value === null ? out.int32(-1) : fields[column]?.(out, value)));
  }
  out.int16(TRAILER);
  return Buffer.concat(out.finish());
}

describe('binary COPY body', () => {
  it("writes each type's wire form, NULLs and the trailer after PostgreSQL's signature", () => {
    // 2026-01-01T00:00:00.001Z; 2000-01-02.
    const row = ['é', Date.UTC(2026, 0, 1, 0, 0, 0, 1), 10_958, '-1.5', true, [7, null], { a: 1 }, 5];
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
    assert.deepEqual([...body([row])], expected);
    const nulls = body([['k', null, 0, '0', false, [], {}, 0]]);
    // The nullable timestamp is a NULL field (length -1), the empty array has no dimension.
    assert.deepEqual([...nulls.subarray(19 + 2 + 5, 19 + 2 + 9)], int32(-1));
  });

  it('refuses decimal text that is no number with the server’s SQLSTATE', () => {
    assert.throws(
      () => body([['k', null, 0, 'twelve', false, [], {}, 0]]),
      (error: unknown) =>
        error instanceof InvalidValue &&
        error.code === '22P02' &&
        error.message === 'invalid input syntax for type numeric: "twelve"',
    );
  });
});
