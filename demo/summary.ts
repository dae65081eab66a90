/**
 * What the demo shows when the backfill has landed: per resource, what the source fetched, where
 * it went, which schema version wrote it and how many rows ClickHouse holds, then two analytical
 * queries with their answers.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { SchemaRegistry } from '../avro/registry.js';
import { resourceTopic, tableOfTopic } from '../contract/topics.js';
import { formatTable } from '../common/text-table.js';

/** What the demo reads of the source's status board, per resource of its account. */
export interface FetchedResource {
  readonly records: number;
  readonly apiCalls: number;
  readonly progress: { readonly done: number; readonly total: number } | null;
}

export interface ResourceSummary {
  readonly resource: string;
  readonly fetched: number;
  readonly topic: string;
  readonly schemaVersion: number | null;
  readonly rows: number;
}

export async function rowsIn(clickhouse: ClickHouseClient, database: string, table: string): Promise<number> {
  try {
    const result = await clickhouse.query({
      query: `SELECT count() AS n FROM \`${database}\`.\`${table}\` FINAL`,
      format: 'JSONEachRow',
    });
    return Number((await result.json<{ n: string | number }>())[0]?.n ?? 0);
  } catch {
    return 0; // not created yet: the sink creates a table with its first batch
  }
}

export async function summarize(
  fetched: Readonly<Record<string, FetchedResource>>,
  registry: SchemaRegistry,
  clickhouse: ClickHouseClient,
  options: { database: string; topicPrefix: string },
): Promise<ResourceSummary[]> {
  const { database, topicPrefix } = options;
  const out: ResourceSummary[] = [];
  for (const [resource, entry] of Object.entries(fetched)) {
    const topic = resourceTopic(topicPrefix, resource);
    out.push({
      resource,
      fetched: entry.records,
      topic,
      schemaVersion: (await registry.latest(`${topic}-value`))?.version ?? null,
      rows: await rowsIn(clickhouse, database, tableOfTopic(topic, topicPrefix)),
    });
  }
  return out;
}

export const SAMPLE_QUERIES: ReadonlyArray<{ title: string; sql: (database: string) => string }> = [
  {
    title: 'Bookings per product per week (most recent weeks, canceled ones left out)',
    sql: (db) => `SELECT toMonday(startTime) AS week, productName, count() AS bookings
FROM ${db}.bookings FINAL WHERE NOT ifNull(canceled, false) AND startTime < now()
GROUP BY week, productName ORDER BY week DESC, bookings DESC LIMIT 8`,
  },
  {
    title: 'Revenue by month (payments, refunds included)',
    sql: (
      db,
    ) => `SELECT toStartOfMonth(receivedTime) AS month, sum(amount_amount) AS revenue, any(amount_currency) AS currency, count() AS payments
FROM ${db}.payments FINAL GROUP BY month ORDER BY month DESC LIMIT 6`,
  },
];

export async function runQuery(clickhouse: ClickHouseClient, sql: string): Promise<string> {
  const result = await clickhouse.query({ query: sql, format: 'JSONCompact' });
  const body = await result.json<unknown[]>();
  const meta = (body as unknown as { meta: Array<{ name: string }> }).meta;
  const data = (body as unknown as { data: Array<Array<string | number | null>> }).data;
  return formatTable(
    meta.map((column) => column.name),
    data,
  );
}
