/**
 * What the conformance suite (test/conformance/*.test.ts) needs from one destination: an isolated
 * namespace to write into, and a way to read back the live state of a table in one normal form, so
 * that the same assertions hold for ClickHouse, DuckDB and PostgreSQL.
 *
 * Normal form of a live row (`liveRows`): one object per entity that exists (deleted entities are
 * absent; for ClickHouse that is `FINAL` and `_is_deleted = 0`), ordered by the key columns, holding
 * every key and value column of the spec (lineage columns `_*` left out), each value as:
 *   null                      → null
 *   string, enum, json        → string
 *   boolean                   → boolean
 *   int32/int64/uint*, floats → number
 *   timestamp                 → ISO-8601 UTC with milliseconds, `2024-05-01T10:00:00.123Z`
 *   date                      → `YYYY-MM-DD`
 *   decimal                   → exact text with the column's scale, `12.5000`, `-0.0100`
 *   bytes                     → lower-case hex
 *   array                     → array of normal forms
 *   struct                    → object of its fields' normal forms, by field name
 *   map                       → object of normal forms, keys sorted
 * `normalValue` in expected.ts gives the same normal form from the Avro-decoded values the runner
 * hands to the destination; the suite compares the two.
 */
import type { Destination, SchemaMode, TableSpec } from '../../sinks/destination.js';

export type NormalValue =
  null | string | number | boolean | readonly NormalValue[] | { readonly [field: string]: NormalValue };
export type NormalRow = Readonly<Record<string, NormalValue>>;

export interface ConformanceTarget {
  /** The destination's name in sinks/runner/destinations.ts. */
  readonly name: string;
  /** An isolated, empty namespace (a database, a schema, a file) named after `namespace` ([a-z0-9_]). */
  open(namespace: string): Promise<TargetNamespace>;
}

export interface TargetNamespace {
  /** A new destination writing into this namespace (the suite closes it). */
  destination(mode: SchemaMode): Destination;
  /** The live state of the table `spec.name` in normal form; [] when the table is empty. */
  liveRows(spec: TableSpec): Promise<NormalRow[]>;
  /** The table's column names in table order; [] when the table does not exist. */
  columnNames(table: string): Promise<string[]>;
  /** Removes the namespace and everything in it; closes what `open` opened. */
  drop(): Promise<void>;
}
