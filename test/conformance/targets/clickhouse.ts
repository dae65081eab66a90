/**
 * ClickHouse under the conformance suite: one database per namespace on the stack's server; the
 * live state is `FINAL` without deleted rows, read as JSON with decimals quoted (exact) and turned
 * into the normal form by column type.
 */
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { createLogger } from '../../../common/logger.js';
import { stackEndpoints } from '../../../deploy/stack/endpoints.js';
import { createClickHouseDestination } from '../../../sinks/clickhouse/destination.js';
import type { ColumnType } from '../../../sinks/columns.js';
import { decimalText, normalWith, sortByKey } from '../expected.js';
import type { ConformanceTarget, NormalValue, TargetNamespace } from '../target.js';

const quiet = createLogger({ level: 'silent', format: 'json' });

/** One scalar of ClickHouse's JSON rendering → the normal form. */
function leaf(type: ColumnType, value: unknown): NormalValue {
  switch (type.kind) {
    case 'timestamp':
      // DateTime64(3, 'UTC') renders as `2024-05-01 10:00:00.123`.
      return `${String(value).replace(' ', 'T')}Z`;
    case 'date':
    case 'string':
    case 'enum':
    case 'json':
      return String(value);
    case 'decimal':
      return decimalText(String(value), type.scale);
    case 'boolean':
      return value === true || value === 1 || value === 'true';
    case 'bytes':
      return Buffer.from(String(value), 'base64').toString('hex');
    default:
      return Number(value);
  }
}

const normal = (type: ColumnType, value: unknown): NormalValue => normalWith(type, value, leaf);

export const clickhouseTarget: ConformanceTarget = {
  name: 'clickhouse',
  async open(namespace: string): Promise<TargetNamespace> {
    const url = stackEndpoints().clickhouseUrl;
    const client = createClient({ url, log: { level: ClickHouseLogLevel.OFF } });
    const database = namespace;
    return {
      destination: (mode) =>
        createClickHouseDestination({
          connection: { url, username: 'default', password: '', database, requestTimeoutMs: 30_000 },
          mode,
          logger: quiet,
        }),
      async liveRows(spec) {
        const columns = spec.columns.filter((column) => column.role !== 'lineage');
        const result = await client.query({
          query: `SELECT ${columns.map((c) => `\`${c.name}\``).join(', ')} FROM \`${database}\`.\`${spec.name}\` FINAL WHERE _is_deleted = 0`,
          format: 'JSONEachRow',
          clickhouse_settings: { output_format_json_quote_decimals: 1, output_format_json_named_tuples_as_objects: 1 },
        });
        const rows = await result.json<Record<string, unknown>>();
        return sortByKey(
          spec,
          rows.map((row) =>
            Object.fromEntries(columns.map((column) => [column.name, normal(column.type, row[column.name])])),
          ),
        );
      },
      async columnNames(table) {
        const result = await client.query({
          query:
            'SELECT name FROM system.columns WHERE database = {database:String} AND table = {table:String} ORDER BY position',
          query_params: { database, table },
          format: 'JSONEachRow',
        });
        return (await result.json<{ name: string }>()).map((row) => row.name);
      },
      async drop() {
        await client.command({ query: `DROP DATABASE IF EXISTS \`${database}\`` });
        await client.close();
      },
    };
  },
};
