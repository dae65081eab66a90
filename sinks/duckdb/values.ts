/**
 * Row values (sinks/rows.ts: destination-neutral) → node-api `DuckDBValue`s for the appender, one
 * converter compiled per column type. Only what DuckDB needs in another form is rewritten:
 * timestamps (epoch ms → TIMESTAMPTZ micros), dates (days), decimals (exact text → scaled integer),
 * 64-bit integers (number → bigint), bytes (rows.ts base64 text → BLOB), lists, maps and structs.
 *
 * The appender stores what it is given without SQL casts, so every check that a cast would make
 * happens here: integer ranges and decimal digits. A value that fails one throws `ValueError`,
 * which the caller turns into a record-level `bad-data` error naming the column.
 */
import {
  DuckDBBlobValue,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBTimestampTZValue,
  listValue,
  mapValue,
  structValue,
  type DuckDBValue,
} from '@duckdb/node-api';
import type { ColumnType } from '../columns.js';

/** A value that cannot be stored in its column. */
export class ValueError extends Error {}

export type ToDuckDBValue = (value: unknown) => DuckDBValue;

const MICROS_PER_MILLI = 1000n;
const DECIMAL_TEXT = /^(-?)(\d+)(?:\.(\d+))?$/;

function integerIn(min: number, max: number, what: string): ToDuckDBValue {
  return (value) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
      throw new ValueError(`${String(value)} is not ${what}`);
    return value;
  };
}

/** Number (a safe integer, as the decoder delivers longs) or bigint → bigint, within the column's range. */
function bigintIn(bits: 64, signed: boolean): ToDuckDBValue {
  return (value) => {
    if (typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value))) {
      const big = BigInt(value);
      if ((signed ? BigInt.asIntN(bits, big) : BigInt.asUintN(bits, big)) === big) return big;
    }
    throw new ValueError(`${String(value)} is not a${signed ? '' : 'n unsigned'} ${bits}-bit integer`);
  };
}

function typed<T>(check: (value: unknown) => value is T, what: string): ToDuckDBValue {
  return (value) => {
    if (!check(value)) throw new ValueError(`${JSON.stringify(value)} is not ${what}`);
    return value as DuckDBValue;
  };
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isBoolean = (value: unknown): value is boolean => typeof value === 'boolean';
const isNumber = (value: unknown): value is number => typeof value === 'number';

/** Exact decimal text → DECIMAL(p, s) without a float in between; more digits than the column holds is an error, not a rounding. */
function decimal(precision: number, scale: number): ToDuckDBValue {
  return (value) => {
    const match = typeof value === 'string' ? DECIMAL_TEXT.exec(value) : null;
    if (match === null) throw new ValueError(`${JSON.stringify(value)} is not decimal text`);
    const [, sign, whole, fraction = ''] = match as unknown as [string, string, string, string | undefined];
    if (/[1-9]/.test(fraction.slice(scale))) throw new ValueError(`${value} has more than ${scale} decimal places`);
    const digits = `${whole}${fraction.slice(0, scale).padEnd(scale, '0')}`.replace(/^0+(?=\d)/, '');
    if (digits.length > precision) throw new ValueError(`${value} does not fit DECIMAL(${precision},${scale})`);
    return new DuckDBDecimalValue(BigInt(`${sign}${digits}`), precision, scale);
  };
}

function base(type: ColumnType): ToDuckDBValue {
  switch (type.kind) {
    case 'string':
    case 'enum':
    case 'json':
      return typed(isString, 'text');
    case 'boolean':
      return typed(isBoolean, 'a boolean');
    case 'float32':
    case 'float64':
      return typed(isNumber, 'a number');
    case 'int32':
      return integerIn(-(2 ** 31), 2 ** 31 - 1, 'a 32-bit integer');
    case 'uint8':
      return integerIn(0, 255, 'an unsigned 8-bit integer');
    case 'uint32':
      return integerIn(0, 2 ** 32 - 1, 'an unsigned 32-bit integer');
    case 'int64':
      return bigintIn(64, true);
    case 'uint64':
      return bigintIn(64, false);
    case 'timestamp': {
      const millis = bigintIn(64, true);
      return (value) => new DuckDBTimestampTZValue((millis(value) as bigint) * MICROS_PER_MILLI);
    }
    case 'date': {
      const days = integerIn(-(2 ** 31), 2 ** 31 - 1, 'a day number');
      return (value) => new DuckDBDateValue(days(value) as number);
    }
    case 'decimal':
      return decimal(type.precision, type.scale);
    case 'bytes':
      return (value) => {
        if (typeof value !== 'string') throw new ValueError('bytes are expected as base64 text');
        return new DuckDBBlobValue(Buffer.from(value, 'base64'));
      };
    case 'nullable':
      return toDuckDBValue(type.inner);
    case 'array': {
      const item = toDuckDBValue(type.items);
      return (value) => {
        if (!Array.isArray(value)) throw new ValueError(`${JSON.stringify(value)} is not an array`);
        return listValue(value.map(item));
      };
    }
    case 'map': {
      const entry = toDuckDBValue(type.values);
      return (value) =>
        mapValue(
          Object.entries(value as Record<string, unknown>).map(([key, inner]) => ({ key, value: entry(inner) })),
        );
    }
    case 'struct': {
      const fields = type.fields.map((field) => [field.name, toDuckDBValue(field.type)] as const);
      return (value) => {
        const source = value as Record<string, unknown>;
        const entries: Record<string, DuckDBValue> = {};
        for (const [name, convert] of fields) entries[name] = convert(source[name]);
        return structValue(entries);
      };
    }
  }
}

/**
 * The converter for a column type. Every column takes null, whatever its Avro type: a tombstone
 * stages NULL value columns, and all value columns are nullable (types.ts).
 */
export function toDuckDBValue(type: ColumnType): ToDuckDBValue {
  const convert = base(type);
  return (value) => (value === null || value === undefined ? null : convert(value));
}
