/**
 * ClickHouse sink throughput, next to a direct bulk insert of the same rows into the same engine
 * in the same run. The sink runs as its own process (its peak RSS is its own) and loads a
 * pre-filled bookings topic into a fresh database; the limit is the same rows, exported from the
 * sink's table in the format the destination writes (JSONCompactEachRow), inserted into a copy.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { join } from 'node:path';
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { stackEndpoints } from '../deploy/stack/endpoints.js';
import { waitFor } from '../test/helpers/wait-for.js';
import { runCli } from './processes.js';

export interface SinkBenchResult {
  readonly rows: number;
  readonly seconds: number;
  readonly rowsPerSecond: number;
  readonly directRowsPerSecond: number;
  readonly peakRssMb: number;
}

export async function benchSink(options: { topicPrefix: string; expectedRows: number; database: string }): Promise<SinkBenchResult> {
  const clickhouse = createClient({ url: stackEndpoints().clickhouseUrl, request_timeout: 600_000, log: { level: ClickHouseLogLevel.OFF } });
  const table = `\`${options.database}\`.bookings`;
  const count = async (name: string): Promise<number> => {
    const result = await clickhouse.query({ query: `SELECT count() AS n FROM ${name}`, format: 'JSONEachRow' });
    return Number((await result.json<{ n: string | number }>())[0]?.n ?? 0);
  };
  const configFile = join(mkdtempSync(join(tmpdir(), 'bookeo-bench-')), 'sink.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      log: { level: 'warn', format: 'json' },
      kafka: { brokers: [stackEndpoints().kafkaBroker], topicPrefix: options.topicPrefix },
      schemaRegistry: { url: stackEndpoints().registryUrl },
      clickhouse: { url: stackEndpoints().clickhouseUrl, database: options.database },
      http: { port: 0 },
      sink: { groupId: `${options.topicPrefix}-bench-sink`, resources: ['bookings'], deadLetterTopic: `${options.topicPrefix}.dlq-sink` },
    }),
  );
  try {
    // Timed from the spawn: process start-up (≈ 1-2 s of node + tsx) is included, which understates
    // the steady rate on small topics; the full run's larger topic makes it negligible.
    const startedAt = performance.now();
    const sink = runCli(['sink', 'clickhouse', '--config', configFile]);
    await waitFor(async () => (await count(table).catch(() => 0)) >= options.expectedRows, { what: 'the sink to load every row', timeoutMs: 600_000, intervalMs: 200 });
    const seconds = (performance.now() - startedAt) / 1000;
    sink.process.kill('SIGTERM');
    await sink.exit;

    // The limit: the same rows, same format, straight into a copy of the table.
    await clickhouse.command({ query: `CREATE TABLE \`${options.database}\`.bookings_direct AS ${table}` });
    const exported = await (await clickhouse.exec({ query: `SELECT * FROM ${table} FORMAT JSONCompactEachRow` })).stream;
    const chunks: Buffer[] = [];
    for await (const chunk of exported as AsyncIterable<Buffer>) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    const directStarted = performance.now();
    const inserted = await clickhouse.exec({ query: `INSERT INTO \`${options.database}\`.bookings_direct FORMAT JSONCompactEachRow`, values: Readable.from([body]) });
    inserted.stream.resume(); // drain the (empty) answer so the request completes
    await finished(inserted.stream);
    const directSeconds = (performance.now() - directStarted) / 1000;
    const directRows = await count(`\`${options.database}\`.bookings_direct`);
    return {
      rows: options.expectedRows,
      seconds: Number(seconds.toFixed(2)),
      rowsPerSecond: Math.round(options.expectedRows / Math.max(seconds, 0.001)),
      directRowsPerSecond: Math.round(directRows / directSeconds),
      peakRssMb: sink.peakRssMb(),
    };
  } finally {
    await clickhouse.command({ query: `DROP DATABASE IF EXISTS \`${options.database}\`` });
    await clickhouse.close();
  }
}
