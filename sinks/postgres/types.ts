/**
 * Logical column types → PostgreSQL types, and the check whether an existing column can hold the
 * values of a new schema version. Types are rendered exactly as `format_type()` prints them
 * (`numeric(12,4)`, `timestamp with time zone`), so wanted and existing compare as strings.
 *
 *   timestamp → timestamp with time zone     date → date        decimal(p,s) → numeric(p,s)
 *   int32 → integer    int64 → bigint    uint8 → smallint    uint32 → bigint    uint64 → numeric(20,0)
 *   float32 → real    float64 → double precision    boolean → boolean    bytes → bytea
 *   string, enum → text (a new enum symbol is then no DDL)     json (multi-branch union) → jsonb
 *   array of scalars → <scalar>[] (e.g. text[]; filterable with ANY/@>, no JSON functions needed)
 *   array of records or arrays, map, record → jsonb (PostgreSQL arrays must be rectangular and
 *   would need a composite type per record; jsonb takes any nesting and `->`/`->>` read it)
 *
 * Nullability is not part of the type: every value column is nullable (see ddl.ts).
 */
import type { ColumnType } from '../columns.js';

/** numeric(p, s) accepts precision 1-1000. */
const MAX_NUMERIC_PRECISION = 1000;

const SCALAR: Readonly<Partial<Record<ColumnType['kind'], string>>> = {
  string: 'text',
  enum: 'text',
  boolean: 'boolean',
  int32: 'integer',
  int64: 'bigint',
  float32: 'real',
  float64: 'double precision',
  bytes: 'bytea',
  timestamp: 'timestamp with time zone',
  date: 'date',
  uint8: 'smallint',
  uint32: 'bigint',
  uint64: 'numeric(20,0)',
};

export function withoutNull(type: ColumnType): ColumnType {
  return type.kind === 'nullable' ? type.inner : type;
}

/** The PostgreSQL scalar type of a logical type, or undefined when it is stored as jsonb. */
export function scalarType(type: ColumnType): string | undefined {
  const inner = withoutNull(type);
  if (inner.kind === 'decimal') {
    if (
      inner.precision < 1 ||
      inner.precision > MAX_NUMERIC_PRECISION ||
      inner.scale < 0 ||
      inner.scale > inner.precision
    ) {
      throw new RangeError(
        `decimal(${inner.precision}, ${inner.scale}) does not fit PostgreSQL numeric (precision 1-${MAX_NUMERIC_PRECISION}, scale 0-precision)`,
      );
    }
    return `numeric(${inner.precision},${inner.scale})`;
  }
  return SCALAR[inner.kind];
}

/** An array column whose items are scalars: stored as a PostgreSQL array of them. */
export function scalarArrayItems(type: ColumnType): ColumnType | undefined {
  const inner = withoutNull(type);
  return inner.kind === 'array' && scalarType(inner.items) !== undefined ? inner.items : undefined;
}

export function postgresType(type: ColumnType): string {
  const scalar = scalarType(type);
  if (scalar !== undefined) return scalar;
  const items = scalarArrayItems(type);
  return items === undefined ? 'jsonb' : `${scalarType(items) as string}[]`;
}

/** Existing → wanted pairs where the existing column already holds every wanted value exactly. */
const WIDER: ReadonlySet<string> = new Set([
  'integer<smallint',
  'bigint<smallint',
  'bigint<integer',
  'double precision<real',
  'double precision<smallint',
  'double precision<integer',
]);

/** Decimal digits of the integer types, for what a numeric(p,s) column can take in their place. */
const INTEGER_DIGITS: Readonly<Record<string, number>> = { smallint: 5, integer: 10, bigint: 19 };

const NUMERIC = /^numeric(?:\((\d+),(\d+)\))?$/;

function holds(have: string, want: string): boolean {
  if (have === want || WIDER.has(`${have}<${want}`)) return true;
  const haveNumeric = NUMERIC.exec(have);
  if (!haveNumeric) return false;
  const wantNumeric = NUMERIC.exec(want);
  const wantDigits = INTEGER_DIGITS[want];
  // Bare `numeric` (a column made by hand) takes any integer or decimal.
  if (haveNumeric[1] === undefined) return wantDigits !== undefined || wantNumeric !== null;
  const [precision, scale] = [Number(haveNumeric[1]), Number(haveNumeric[2])];
  if (wantDigits !== undefined) return precision - scale >= wantDigits;
  if (wantNumeric?.[1] === undefined) return false;
  // As many integer digits and as many decimals as the wanted type.
  return scale >= Number(wantNumeric[2]) && precision - scale >= Number(wantNumeric[1]) - Number(wantNumeric[2]);
}

/**
 * Whether a column of type `existing` takes the values of `wanted` unchanged: the same type or a
 * lossless widening (for arrays, of their items). Anything else needs a rebuild of the table.
 */
export function canHold(existing: string, wanted: string): boolean {
  const arrays = [existing, wanted].filter((type) => type.endsWith('[]')).length;
  if (arrays === 1) return false;
  return arrays === 2 ? holds(existing.slice(0, -2), wanted.slice(0, -2)) : holds(existing, wanted);
}
