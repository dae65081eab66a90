/**
 * PostgreSQL under the conformance suite: one schema per namespace on the stack's server. The
 * table holds live entities only (deletes sit in `<table>__deleted`), so the live state is the
 * table itself. Values are read in forms that keep them exact (timestamps formatted in SQL,
 * decimals and 64-bit integers as text, scalar arrays as text[], jsonb parsed) and turned into the
 * normal form by column type. A `json` column (multi-branch union) comes back as jsonb renders it,
 * so it is compared re-serialised compactly (key order as jsonb keeps it).
 */
import pg from 'pg';
import { postgresSchema } from '../../../sinks/postgres/config.js';
import { createLogger } from '../../../common/logger.js';
import { stackEndpoints } from '../../../deploy/stack/endpoints.js';
import type { ColumnType, TableSpec } from '../../../sinks/columns.js';
import { createPostgresDestination } from '../../../sinks/postgres/destination.js';
import { qualifiedName } from '../../../sinks/postgres/ddl.js';
import { quoteIdentifier } from '../../../sinks/sql-tables.js';
import { scalarArrayItems, scalarType, withoutNull } from '../../../sinks/postgres/types.js';
import { decimalText, normalWith, sortByKey } from '../expected.js';
import type { ConformanceTarget, NormalValue, TargetNamespace } from '../target.js';

const quiet = createLogger({ level: 'silent', format: 'json' });

/** The select expression of a column: text wherever the driver's own parsing could round or shift a value. */
function selectExpression(name: string, type: ColumnType): string {
  const column = quoteIdentifier(name);
  if (scalarArrayItems(type) !== undefined) return `${column}::text[]`;
  switch (withoutNull(type).kind) {
    case 'timestamp':
      return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
    case 'date':
      return `to_char(${column}, 'YYYY-MM-DD')`;
    case 'bytes':
      return `encode(${column}, 'hex')`;
    case 'json':
    case 'boolean':
    case 'int32':
    case 'float32':
    case 'float64':
    case 'uint8':
      return column;
    default:
      return scalarType(type) === undefined ? column : `${column}::text`;
  }
}

/** One scalar from its PostgreSQL text form (session time zone UTC) → the normal form. */
function fromText(type: ColumnType, text: string): NormalValue {
  const inner = withoutNull(type);
  switch (inner.kind) {
    case 'timestamp':
      return new Date(text.replace(' ', 'T').replace(/\+00$/, 'Z')).toISOString();
    case 'decimal':
      return decimalText(text, inner.scale);
    case 'bytes':
      return text.replace(/^\\x/, '');
    case 'boolean':
      return text === 't' || text === 'true';
    case 'string':
    case 'enum':
    case 'date':
      return text;
    default:
      return Number(text);
  }
}

/** A scalar inside jsonb, as the destination writes it (timestamps/dates as ISO text, decimals as text, bytes base64) → the normal form. */
function jsonLeaf(type: ColumnType, value: unknown): NormalValue {
  switch (type.kind) {
    case 'timestamp':
    case 'date':
    case 'string':
    case 'enum':
    case 'json':
      return String(value);
    case 'decimal':
      return decimalText(String(value), type.scale);
    case 'bytes':
      return Buffer.from(String(value), 'base64').toString('hex');
    case 'boolean':
      return Boolean(value);
    default:
      return Number(value);
  }
}

const fromJson = (type: ColumnType, value: unknown): NormalValue => normalWith(type, value, jsonLeaf);

function normal(type: ColumnType, value: unknown): NormalValue {
  if (value === null || value === undefined) return null;
  const items = scalarArrayItems(type);
  if (items !== undefined)
    return (value as Array<string | null>).map((item) => (item === null ? null : fromText(items, item)));
  const kind = withoutNull(type).kind;
  if (kind === 'json') return JSON.stringify(value);
  if (scalarType(type) === undefined) return fromJson(type, value);
  if (kind === 'timestamp') return String(value);
  return typeof value === 'string' ? fromText(type, value) : (value as NormalValue);
}

export const postgresTarget: ConformanceTarget = {
  name: 'postgres',
  async open(namespace: string): Promise<TargetNamespace> {
    const url = stackEndpoints().postgresUrl;
    const pool = new pg.Pool({ connectionString: url, max: 2, options: '-c TimeZone=UTC' });
    return {
      destination: (mode) =>
        createPostgresDestination({
          connection: postgresSchema.parse({ connectionString: url, schema: namespace, requestTimeoutMs: 30_000 }),
          mode,
          logger: quiet,
        }),
      async liveRows(spec: TableSpec) {
        const columns = spec.columns.filter((column) => column.role !== 'lineage');
        const select = columns
          .map((column) => `${selectExpression(column.name, column.type)} AS ${quoteIdentifier(column.name)}`)
          .join(', ');
        const { rows } = await pool.query<Record<string, unknown>>(
          `SELECT ${select} FROM ${qualifiedName(namespace, spec.name)}`,
        );
        return sortByKey(
          spec,
          rows.map((row) =>
            Object.fromEntries(columns.map((column) => [column.name, normal(column.type, row[column.name])])),
          ),
        );
      },
      async columnNames(table: string) {
        const { rows } = await pool.query<{ name: string }>(
          'SELECT attname AS name FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped ORDER BY attnum',
          [qualifiedName(namespace, table)],
        );
        return rows.map((row) => row.name);
      },
      async drop() {
        await pool.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(namespace)} CASCADE`);
        await pool.end();
      },
    };
  },
};
