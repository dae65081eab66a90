import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decimalBytes,
  decimalText,
  integerToBytes,
  parseDateDays,
  parseTimestampMillis,
  unscaledDecimal,
} from '../../avro/logical.js';

/** The unscaled value as a bigint whichever path (number fast path or BigInt) produced it, or the reason. */
function unscaled(text: string): bigint | string {
  const result = unscaledDecimal(text, 18, 4);
  return typeof result === 'string' ? result : BigInt(result);
}

describe('avro logical types', () => {
  it('parses RFC 3339 timestamps with any offset to UTC epoch millis', () => {
    const utc = Date.UTC(2024, 2, 31, 15, 0, 0);
    assert.equal(parseTimestampMillis('2024-03-31T10:00:00-05:00'), utc);
    assert.equal(parseTimestampMillis('2024-03-31T15:00:00Z'), utc);
    assert.equal(parseTimestampMillis('2024-04-01T02:00:00+11:00'), utc);
    assert.equal(parseTimestampMillis('2024-04-01T02:00:00+1100'), utc);
    assert.equal(parseTimestampMillis('2024-03-31T15:00:00-00:00'), utc);
    assert.equal(parseTimestampMillis('2024-03-31T15:00:00.123456Z'), utc + 123);
    assert.equal(parseTimestampMillis('2024-03-31T15:00:00.5+00:00'), utc + 500);
    assert.equal(parseTimestampMillis('1969-12-31T23:59:59Z'), -1000);
  });

  it('refuses timestamps without offset or with impossible parts', () => {
    for (const bad of [
      '2024-03-31T15:00:00',
      '2024-02-30T00:00:00Z',
      '2024-03-31T25:00:00Z',
      '2024-03-31',
      'yesterday',
      '2024-03-31T15:00:00+25:00',
    ]) {
      assert.equal(parseTimestampMillis(bad), undefined, bad);
    }
  });

  it('parses dates to days since the epoch', () => {
    assert.equal(parseDateDays('1970-01-01'), 0);
    assert.equal(parseDateDays('1970-01-02'), 1);
    assert.equal(parseDateDays('1969-12-31'), -1);
    assert.equal(parseDateDays('1988-02-29'), 6633);
    assert.equal(parseDateDays('1987-02-29'), undefined);
    assert.equal(parseDateDays('2024-3-1'), undefined);
  });

  it('knows the calendar: month lengths and the Gregorian leap years', () => {
    assert.equal(parseDateDays('2000-02-29'), 11016);
    assert.equal(parseDateDays('1900-02-29'), undefined);
    assert.equal(parseDateDays('2100-02-29'), undefined);
    for (const [month, days] of [
      ['01', 31],
      ['02', 28],
      ['04', 30],
      ['06', 30],
      ['09', 30],
      ['11', 30],
      ['12', 31],
    ] as const) {
      assert.notEqual(parseDateDays(`2023-${month}-${days}`), undefined);
      assert.equal(parseDateDays(`2023-${month}-${days + 1}`), undefined);
    }
    assert.equal(parseDateDays('2023-13-01'), undefined);
    assert.equal(parseDateDays('2023-00-10'), undefined);
    assert.equal(parseTimestampMillis('2024-02-29T12:00:00Z'), Date.UTC(2024, 1, 29, 12));
    assert.equal(parseTimestampMillis('2023-02-29T12:00:00Z'), undefined);
  });

  it('keeps decimals exact at scale 4, from strings and numbers', () => {
    assert.equal(unscaled('0.10'), 1000n);
    assert.equal(unscaled('12.5'), 125000n);
    assert.equal(unscaled(String(0.1 + 0.2)), 'more than 4 decimal places (refused rather than rounded)');
    assert.equal(unscaled(String(12.5)), 125000n);
    assert.equal(unscaled('-50.00'), -500000n);
    assert.equal(unscaled('1e-4'), 1n);
    assert.equal(unscaled('1.5E+3'), 15000000n);
    assert.equal(unscaled('12.34560000'), 123456n);
    assert.equal(unscaled('99999999999999.9999'), 999999999999999999n);
    assert.match(String(unscaled('100000000000000')), /more than 18 significant digits/);
    assert.match(String(unscaled('12.345678')), /more than 4 decimal places/);
    assert.equal(unscaled('abc'), 'not a decimal number');
    assert.equal(unscaled(''), 'not a decimal number');
  });

  it('sums of many exact decimals stay exact (no float drift)', () => {
    let total = 0n;
    for (let i = 0; i < 1000; i++) total += unscaled('0.10') as bigint;
    assert.equal(total, 1_000_000n);
  });

  it("encodes two's-complement minimal bytes and reads them back exactly", () => {
    for (const [value, bytes] of [
      [0, [0]],
      [127, [0x7f]],
      [128, [0x00, 0x80]],
      [-1, [0xff]],
      [-128, [0x80]],
      [-129, [0xff, 0x7f]],
      [2 ** 47, [0x00, 0x80, 0, 0, 0, 0, 0]],
      [-(2 ** 47) - 1, [0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff]],
    ] as const) {
      assert.deepEqual([...integerToBytes(value)], bytes, `number ${value}`);
      assert.deepEqual([...integerToBytes(BigInt(value))], bytes, `bigint ${value}`);
    }
    for (const text of ['0', '0.1', '-0.0001', '146.10', '-50', '99999999999999.9999', '-99999999999999.9999']) {
      const bytes = decimalBytes(text, 18, 4);
      assert.ok(Buffer.isBuffer(bytes));
      assert.equal(Number(decimalText(bytes, 4)), Number(text), text);
    }
    assert.equal(decimalText(decimalBytes('146.1', 18, 4) as Buffer, 4), '146.1000');
    assert.equal(decimalText(decimalBytes(-0.5, 18, 4) as Buffer, 4), '-0.5000');
    assert.equal(decimalBytes(Number.NaN, 18, 4), 'not a finite number');
  });

  it('reads decimal bytes of every length as exact text, six bytes and fewer without BigInt', () => {
    /** The two's complement read with BigInt alone, formatted at `scale`. */
    const expected = (bytes: readonly number[], scale: number): string => {
      let value = 0n;
      for (const byte of bytes) value = (value << 8n) | BigInt(byte);
      if (bytes.length > 0 && (bytes[0] as number) & 0x80) value -= 1n << BigInt(8 * bytes.length);
      const digits = (value < 0n ? -value : value).toString().padStart(scale + 1, '0');
      const fraction = scale > 0 ? `.${digits.slice(digits.length - scale)}` : '';
      return `${value < 0n ? '-' : ''}${digits.slice(0, digits.length - scale)}${fraction}`;
    };
    const cases: number[][] = [[], [0], [0x7f], [0x80], [0xff], [0x00, 0x80], [0xff, 0x7f]];
    for (let length = 1; length <= 9; length++) {
      cases.push(Array.from({ length }, (_, i) => (i === 0 ? 0x7f : 0xff)));
      cases.push(Array.from({ length }, (_, i) => (i === 0 ? 0x80 : 0x00)));
      cases.push(Array.from({ length }, (_, i) => (i * 37 + length * 11) & 0xff));
      cases.push(Array.from({ length }, (_, i) => (0x90 + i * 53) & 0xff));
    }
    for (const bytes of cases)
      for (const scale of [0, 2, 4, 12])
        assert.equal(decimalText(Buffer.from(bytes), scale), expected(bytes, scale), `${bytes.join(',')} at ${scale}`);
  });
});
