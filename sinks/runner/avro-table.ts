/**
 * Avro key and value schemas → the table spec of their topic (sinks/columns.ts), beside the registry
 * decoder that resolves the schemas: the one place that reads Avro schemas for the table model.
 *
 * Shape decisions (analysts write the queries, so the table favours plain SQL):
 * - Nested records are flattened into `parent_child` columns (`price_totalGross_amount`): each leaf
 *   is a first-class column that can be filtered, grouped and indexed without tuple syntax, and a
 *   field added deep inside a record evolves as one `ADD COLUMN`. Avro field names are kept verbatim,
 *   so a column name is mechanically derivable from the schema path (no camel/snake renaming that
 *   could collide; a path that still lands on a taken name is renamed, see describeTable). A
 *   nullable parent makes all its leaves nullable.
 * - Arrays of records stay one column of records (`struct` here; ClickHouse `Array(Tuple(...))` with
 *   named elements, DuckDB `STRUCT[]`, PostgreSQL jsonb). Parallel arrays (ClickHouse `Nested`) can
 *   drift out of step, need an ARRAY JOIN over several columns and have no DuckDB/PostgreSQL twin;
 *   one array of named tuples keeps each element whole (`arrayJoin(participants).name`).
 * - Logical types the model does not know fall back to their underlying type, as the Avro spec
 *   prescribes; unions of several non-null branches become JSON text.
 */
import avsc from 'avsc';
import {
  LINEAGE_COLUMNS,
  nullableOf,
  type Column,
  type ColumnType,
  type StructField,
  type TableSpec,
} from '../columns.js';
import { driftOrdinals } from '../../avro/drift.js';
import type { AvroRecord } from '../../avro/schema-json.js';
import { RESERVED_COLUMN_NAMES, columnNameKey, firstFreeName } from '../../contract/columns.js';
import { DestinationError } from '../errors.js';

/**
 * String fields whose values come from a small set (currencies, statuses, types): stored
 * dictionary-encoded where the destination can. A field attribute `"lowCardinality": true|false`
 * in the .avsc overrides this guess.
 */
const LOW_CARDINALITY_NAME = /(currency|status|type|kind|country|countrycode|language|languagecode|locale|timezone)$/i;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function schemaError(table: string, reason: string): DestinationError {
  return new DestinationError(`table ${table}: ${reason}`, { reason: 'schema', table });
}

/** Turns Avro schemas into logical types, resolving named-type references as it goes. */
class SchemaWalker {
  private readonly named = new Map<string, unknown>();
  private readonly expanding = new Set<string>();
  private readonly table: string;
  /** Fields left out of the table (drift-added beyond the resource's cap). */
  private readonly omitted: ReadonlySet<unknown>;

  constructor(table: string, omitted: ReadonlySet<unknown> = new Set()) {
    this.table = table;
    this.omitted = omitted;
  }

  /** The logical type of a schema; `fieldName` drives the low-cardinality guess for strings. */
  typeOf(
    schema: unknown,
    namespace: string | undefined,
    fieldName: string,
    lowCardinality: boolean | undefined,
  ): ColumnType {
    if (typeof schema === 'string') return this.primitiveOrReference(schema, namespace, fieldName, lowCardinality);
    if (Array.isArray(schema)) return this.union(schema, namespace, fieldName, lowCardinality);
    if (!isObject(schema)) throw schemaError(this.table, `unreadable schema node ${JSON.stringify(schema)}`);
    const type = schema.type;
    const logical = this.logical(schema);
    if (logical) return logical;
    switch (type) {
      case 'record':
      case 'error':
        return this.record(schema, namespace);
      case 'enum':
        this.register(schema, namespace);
        return { kind: 'enum', symbols: schema.symbols as string[] };
      case 'fixed':
        this.register(schema, namespace);
        return { kind: 'bytes' };
      case 'array':
        return { kind: 'array', items: this.typeOf(schema.items, namespace, fieldName, lowCardinality) };
      case 'map':
        return { kind: 'map', values: this.typeOf(schema.values, namespace, fieldName, lowCardinality) };
      default:
        return this.typeOf(type, namespace, fieldName, lowCardinality);
    }
  }

  private logical(schema: Json): ColumnType | undefined {
    switch (schema.logicalType) {
      case 'timestamp-millis':
        return schema.type === 'long' ? { kind: 'timestamp' } : undefined;
      case 'date':
        return schema.type === 'int' ? { kind: 'date' } : undefined;
      case 'decimal':
        if (schema.type !== 'bytes' && schema.type !== 'fixed') return undefined;
        if (schema.type === 'fixed') this.register(schema, undefined);
        return { kind: 'decimal', precision: Number(schema.precision), scale: Number(schema.scale ?? 0) };
      default:
        return undefined;
    }
  }

  private primitiveOrReference(
    name: string,
    namespace: string | undefined,
    fieldName: string,
    lowCardinality: boolean | undefined,
  ): ColumnType {
    switch (name) {
      case 'string':
        return { kind: 'string', lowCardinality: lowCardinality ?? LOW_CARDINALITY_NAME.test(fieldName) };
      case 'boolean':
        return { kind: 'boolean' };
      case 'int':
        return { kind: 'int32' };
      case 'long':
        return { kind: 'int64' };
      case 'float':
        return { kind: 'float32' };
      case 'double':
        return { kind: 'float64' };
      case 'bytes':
        return { kind: 'bytes' };
    }
    const fullName = name.includes('.') || namespace === undefined ? name : `${namespace}.${name}`;
    const target = this.named.get(fullName) ?? this.named.get(name);
    if (target === undefined)
      throw schemaError(this.table, `unknown type ${JSON.stringify(name)} in field ${fieldName}`);
    const targetNamespace = fullName.includes('.') ? fullName.slice(0, fullName.lastIndexOf('.')) : undefined;
    return this.typeOf(target, targetNamespace, fieldName, lowCardinality);
  }

  private union(
    branches: readonly unknown[],
    namespace: string | undefined,
    fieldName: string,
    lowCardinality: boolean | undefined,
  ): ColumnType {
    const others = branches.filter((branch) => branch !== 'null');
    const nullable = others.length < branches.length;
    const inner: ColumnType =
      others.length === 1 ? this.typeOf(others[0], namespace, fieldName, lowCardinality) : { kind: 'json' };
    return nullable ? nullableOf(inner) : inner;
  }

  private record(schema: Json, namespace: string | undefined): ColumnType {
    const fullName = this.register(schema, namespace);
    if (this.expanding.has(fullName))
      throw schemaError(this.table, `recursive record ${fullName} cannot be laid out as columns`);
    this.expanding.add(fullName);
    const ownNamespace = fullName.includes('.') ? fullName.slice(0, fullName.lastIndexOf('.')) : undefined;
    const fields = (schema.fields as Json[])
      .filter((field) => !this.omitted.has(field))
      .map((field): StructField => {
        const name = String(field.name);
        const hint = typeof field.lowCardinality === 'boolean' ? field.lowCardinality : undefined;
        return { name, type: this.typeOf(field.type, ownNamespace, name, hint) };
      });
    this.expanding.delete(fullName);
    return { kind: 'struct', fields };
  }

  /** Remembers a named type so later references by name resolve; returns its full name. */
  private register(schema: Json, namespace: string | undefined): string {
    const name = String(schema.name);
    const ns = typeof schema.namespace === 'string' ? schema.namespace : namespace;
    const fullName = name.includes('.') || ns === undefined || ns === '' ? name : `${ns}.${name}`;
    this.named.set(fullName, schema);
    return fullName;
  }
}

/** Top-level record fields, flattened: records (nullable or not) become `parent_child` columns. */
function flatten(
  fields: readonly StructField[],
  prefix: readonly string[],
  nullableParent: boolean,
  out: Column[],
): void {
  for (const field of fields) {
    const path = [...prefix, field.name];
    const type = field.type;
    const inner = type.kind === 'nullable' ? type.inner : type;
    if (inner.kind === 'struct') {
      flatten(inner.fields, path, nullableParent || type.kind === 'nullable', out);
    } else {
      out.push({ name: path.join('_'), type: nullableParent ? nullableOf(type) : type, role: 'value', path });
    }
  }
}

function topLevelFields(walker: SchemaWalker, schema: unknown, table: string, what: string): readonly StructField[] {
  const type = walker.typeOf(schema, undefined, '', undefined);
  if (type.kind !== 'struct') throw schemaError(table, `the ${what} schema must be a record`);
  return type.fields;
}

/**
 * Columns of the table for one topic: key fields, then the value's fields (flattened), then lineage.
 * A value field that lands on a key column's name (a value that repeats its own `id`) is left out:
 * the key is the entity's identity. A value column whose name is a lineage or system column's, or
 * another column's (compared case-insensitively), is renamed by contract/columns.ts's rule
 * (`_version` → `_version_2`), in field order. Schema drift already names new fields so that this
 * never happens (avro/drift.ts); it covers schemas registered before it did.
 * `maxNewFields`: only the first N fields drift added to the value schema get columns (by their
 * rank, so the same N in every version; sinks/runner/drift-policy.ts); undefined: all of them.
 */
export function describeTable(
  name: string,
  keySchema: unknown,
  valueSchema: unknown,
  maxNewFields?: number,
): TableSpec {
  for (const [what, schema] of [
    ['key', keySchema],
    ['value', valueSchema],
  ] as const) {
    try {
      avsc.Type.forSchema(schema as avsc.Schema);
    } catch (error) {
      throw new DestinationError(`table ${name}: invalid ${what} schema: ${(error as Error).message}`, {
        reason: 'schema',
        table: name,
        cause: error,
      });
    }
  }
  const omitted = new Set<unknown>();
  if (maxNewFields !== undefined)
    for (const [field, rank] of driftOrdinals(valueSchema as AvroRecord)) if (rank > maxNewFields) omitted.add(field);
  const walker = new SchemaWalker(name, omitted);
  const keyColumns = topLevelFields(walker, keySchema, name, 'key').map((field): Column => {
    if (field.type.kind === 'nullable' || field.type.kind === 'struct')
      throw schemaError(name, `key field ${field.name} must be a non-null primitive`);
    return { name: field.name, type: field.type, role: 'key', path: [field.name] };
  });
  const valueColumns: Column[] = [];
  flatten(topLevelFields(walker, valueSchema, name, 'value'), [], false, valueColumns);

  const keyNames = new Set(keyColumns.map((column) => column.name));
  const taken = new Set([...keyNames, ...RESERVED_COLUMN_NAMES].map(columnNameKey));
  const columns: Column[] = [...keyColumns];
  for (const column of valueColumns.filter((c) => !(c.path.length === 1 && keyNames.has(c.name)))) {
    const unique = firstFreeName(column.name, (candidate) => taken.has(columnNameKey(candidate)));
    taken.add(columnNameKey(unique));
    columns.push(unique === column.name ? column : { ...column, name: unique });
  }
  columns.push(...LINEAGE_COLUMNS);
  return Object.freeze({
    name,
    columns: Object.freeze(columns),
    keyColumns: Object.freeze(keyColumns.map((column) => column.name)),
  });
}
