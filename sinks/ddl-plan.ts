/**
 * What an existing table lacks for a schema version, for any SQL destination: columns to add and
 * columns whose type cannot take the new values. The engine supplies how it names a logical type
 * (its dialect) and which existing types hold which wanted ones; this module only walks the spec,
 * so every destination evolves and refuses by the same rules:
 * - a field new in the schema → a missing column (added, nullable, in mode `evolve`);
 * - a field gone from the schema → its column is kept (older rows keep their values, new rows NULL);
 * - a column that cannot hold the new values → a conflict (never altered in place: a rebuild).
 */
import type { Column, ColumnType, TableSpec } from './columns.js';

export interface ColumnConflict {
  readonly column: string;
  readonly existing: string;
  readonly wanted: string;
}

export interface TablePlan {
  /** Columns of the spec the table lacks (new fields of this schema version). */
  readonly missing: readonly Column[];
  /** Columns whose existing type cannot hold the new values. */
  readonly conflicts: readonly ColumnConflict[];
}

export interface TypeDialect {
  /** The engine's type for a logical type, spelled as the engine's catalog reports it. */
  readonly render: (type: ColumnType) => string;
  readonly canHold: (existing: string, wanted: string) => boolean;
}

/** `existing`: the table's columns, name → type as its catalog reports them. */
export function planColumns(existing: ReadonlyMap<string, string>, spec: TableSpec, dialect: TypeDialect): TablePlan {
  const missing: Column[] = [];
  const conflicts: ColumnConflict[] = [];
  for (const column of spec.columns) {
    const type = existing.get(column.name);
    const wanted = dialect.render(column.type);
    if (type === undefined) missing.push(column);
    else if (!dialect.canHold(type, wanted)) conflicts.push({ column: column.name, existing: type, wanted });
  }
  return { missing, conflicts };
}

export function describeConflicts(conflicts: readonly ColumnConflict[]): string {
  return conflicts.map((c) => `${c.column} is ${c.existing}, the schema needs ${c.wanted}`).join('; ');
}
