/**
 * Logical column types → ClickHouse types, and the check whether an existing column can hold the
 * values of a new schema version. Types are rendered exactly as `system.columns` prints them
 * (`Decimal(12, 4)`, `DateTime64(3, 'UTC')`), so comparing wanted and existing columns is a string
 * comparison after stripping what does not change the values (LowCardinality).
 */
import type { ColumnType } from '../columns.js';

/** Decimal(P, S) holds up to 76 digits (Decimal256). */
const MAX_DECIMAL_PRECISION = 76;

const SIMPLE: Readonly<Record<string, string>> = {
  boolean: 'Bool',
  int32: 'Int32',
  int64: 'Int64',
  float32: 'Float32',
  float64: 'Float64',
  // Bytes arrive as base64 text and multi-branch unions as JSON text (rows.ts).
  bytes: 'String',
  json: 'String',
  timestamp: "DateTime64(3, 'UTC')",
  date: 'Date32',
  uint8: 'UInt8',
  uint32: 'UInt32',
  uint64: 'UInt64',
  // Enums stay text: a new symbol is then a schema change with no DDL (Enum8 would need an ALTER).
  enum: 'LowCardinality(String)',
};

export function clickhouseType(type: ColumnType): string {
  switch (type.kind) {
    case 'string':
      return type.lowCardinality ? 'LowCardinality(String)' : 'String';
    case 'decimal':
      if (
        type.precision < 1 ||
        type.precision > MAX_DECIMAL_PRECISION ||
        type.scale < 0 ||
        type.scale > type.precision
      ) {
        throw new RangeError(
          `decimal(${type.precision}, ${type.scale}) does not fit ClickHouse Decimal (precision 1-${MAX_DECIMAL_PRECISION})`,
        );
      }
      return `Decimal(${type.precision}, ${type.scale})`;
    case 'nullable':
      return nullableType(type.inner);
    case 'array':
      return `Array(${clickhouseType(type.items)})`;
    case 'map':
      return `Map(String, ${clickhouseType(type.values)})`;
    case 'struct':
      // Avro names are plain identifiers ([A-Za-z_][A-Za-z0-9_]*), so tuple element names need no quoting.
      return `Tuple(${type.fields.map((field) => `${field.name} ${clickhouseType(field.type)}`).join(', ')})`;
    default:
      return SIMPLE[type.kind] as string;
  }
}

/**
 * ClickHouse forbids Nullable around Array, Map and Tuple: those stay non-null and a null arrives
 * as the empty value. LowCardinality must wrap Nullable, not the other way round.
 */
function nullableType(inner: ColumnType): string {
  if (inner.kind === 'array' || inner.kind === 'map' || inner.kind === 'struct') return clickhouseType(inner);
  const rendered = clickhouseType(inner);
  const low = /^LowCardinality\((.*)\)$/.exec(rendered);
  return low ? `LowCardinality(Nullable(${low[1]}))` : `Nullable(${rendered})`;
}

/** Removes every `LowCardinality(...)` wrapper: storage only, the values are the same. */
export function withoutLowCardinality(type: string): string {
  let out = type.replace(/\s*,\s*/g, ', ');
  for (let at = out.indexOf('LowCardinality('); at >= 0; at = out.indexOf('LowCardinality(')) {
    let depth = 0;
    let end = at + 'LowCardinality('.length;
    for (; end < out.length; end++) {
      if (out[end] === '(') depth++;
      else if (out[end] === ')' && depth-- === 0) break;
    }
    out = out.slice(0, at) + out.slice(at + 'LowCardinality('.length, end) + out.slice(end + 1);
  }
  return out;
}

/** ClickHouse reports tuple element names that are keywords quoted (`values`); names compare unquoted. */
export function withoutIdentifierQuotes(type: string): string {
  return type.replace(/`((?:[^`\\]|\\.)*)`/g, '$1');
}

/** Existing → wanted pairs where the existing column already holds every wanted value exactly. */
const WIDER: ReadonlySet<string> = new Set(['Int64<Int32', 'Float64<Float32', 'Float64<Int32']);

/**
 * Whether a column of type `existing` can take the values of `wanted` unchanged: the same type, a
 * Nullable version of it, or a lossless widening. Anything else (narrower, other type, a tuple
 * with other elements) needs a rebuild of the table.
 */
export function canHold(existing: string, wanted: string): boolean {
  const have = withoutLowCardinality(withoutIdentifierQuotes(existing));
  const want = withoutLowCardinality(withoutIdentifierQuotes(wanted));
  if (have === want || have === `Nullable(${want})`) return true;
  const unwrap = (t: string): string => /^Nullable\((.*)\)$/.exec(t)?.[1] ?? t;
  const wantInner = unwrap(want);
  const haveInner = unwrap(have);
  // A nullable wanted value needs a nullable column; otherwise nulls would silently become defaults.
  if (want !== wantInner && have === haveInner) return false;
  return WIDER.has(`${haveInner}<${wantInner}`);
}
