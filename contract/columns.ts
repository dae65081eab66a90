/**
 * Column names a destination table reserves, and how a field's column name is spelled: what the
 * source's schema drift must avoid when it names a new field, and what the sink's table model
 * resolves when an older schema did not. Both sides use this one list, so a field Bookeo adds is
 * given a name the destinations can hold before it ever reaches a table.
 *
 * Names are compared case-insensitively: DuckDB's identifiers are, so `Status` and `status` are
 * one column there.
 */

/** The lineage columns every table gets after the schema's fields (sinks/columns.ts gives their types). */
export const LINEAGE_COLUMN_NAMES = Object.freeze([
  '_topic',
  '_partition',
  '_offset',
  '_schema_id',
  '_ingested_at',
  '_version',
  '_is_deleted',
] as const);

/** The record key's fields (avro/schemas/key.avsc): the first columns of every table. */
export const KEY_COLUMN_NAMES = Object.freeze(['account', 'id'] as const);

/**
 * Names the engines themselves hold: PostgreSQL's system columns (a user column of that name is
 * refused), ClickHouse's reserved and virtual row columns, DuckDB's row id.
 */
export const SYSTEM_COLUMN_NAMES = Object.freeze([
  'tableoid',
  'xmin',
  'cmin',
  'xmax',
  'cmax',
  'ctid',
  '_row_exists',
  '_block_number',
  '_block_offset',
  '_part',
  '_part_offset',
  'rowid',
] as const);

/** The form in which two column names are compared. */
export function columnNameKey(name: string): string {
  return name.toLowerCase();
}

/** Lineage and system column names, compared by columnNameKey: no schema field may take one. */
export const RESERVED_COLUMN_NAMES: ReadonlySet<string> = new Set(
  [...LINEAGE_COLUMN_NAMES, ...SYSTEM_COLUMN_NAMES].map(columnNameKey),
);

/**
 * The first of `wanted`, `wanted_2`, `wanted_3`, … that `isTaken` refuses: the one renaming rule
 * for a name that collides (a reserved column, another field, another column once flattened).
 */
export function firstFreeName(wanted: string, isTaken: (name: string) => boolean): string {
  let name = wanted;
  for (let n = 2; isTaken(name); n++) name = `${wanted}_${n}`;
  return name;
}
