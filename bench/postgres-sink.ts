/**
 * PostgreSQL sink throughput, next to PostgreSQL's own bulk load of the same rows in the same run.
 * The sink runs as its own process (its peak RSS is its own) and loads a pre-filled bookings topic
 * into a fresh schema of the stack's server.
 *
 * The limit: the rows the sink wrote, exported in COPY text format (each column's text output, the
 * same form COPY TO writes and the sink sends), then loaded with one `COPY … FROM STDIN` through
 * the same driver path into an empty twin of the table (same columns, same primary key index).
 * COPY is the fastest way PostgreSQL takes rows in; the sink pays for more on top (Kafka reads,
 * Avro decoding, the staging table, the version-guarded upsert, the tombstone checks), so the
 * ratio says how much of the server's own load rate the pipeline keeps. Export is not timed.
 */
import { writeFileSync } from 'node:fs';
import pg from 'pg';
import { namespacedNames } from '../contract/namespace.js';
import { stackEndpoints } from '../deploy/stack/endpoints.js';
import { copyFromStdin } from '../sinks/postgres/copy-in.js';
import { copyEscape } from '../sinks/postgres/copy-text.js';
import { qualifiedName } from '../sinks/postgres/ddl.js';
import { quoteIdentifier } from '../sinks/sql-tables.js';
import { withAdmin } from '../kafka/admin.js';
import { stackKafka } from '../testkit/stack-kafka.js';
import { waitFor } from '../testkit/wait-for.js';
import { benchConfigPath, runCli } from './processes.js';

export interface PostgresSinkBenchResult {
  readonly rows: number;
  readonly seconds: number;
  readonly rowsPerSecond: number;
  readonly directRowsPerSecond: number;
  readonly peakRssMb: number;
}

/** Rows of a table as a COPY text body: what `COPY … TO STDOUT` prints, built from each column's text output. */
async function exportCopyText(
  client: pg.Client,
  table: string,
): Promise<{ body: string; columns: string[]; rows: number }> {
  const { rows: columns } = await client.query<{ name: string }>(
    'SELECT attname AS name FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum',
    [table],
  );
  const names = columns.map((column) => column.name);
  const result = await client.query<string[]>({
    text: `SELECT ${names.map((name) => `${quoteIdentifier(name)}::text`).join(', ')} FROM ${table}`,
    rowMode: 'array',
  });
  const lines = result.rows.map((row) => row.map((cell) => (cell === null ? '\\N' : copyEscape(cell))).join('\t'));
  return { body: lines.length === 0 ? '' : `${lines.join('\n')}\n`, columns: names, rows: lines.length };
}

export async function benchPostgresSink(options: {
  topicPrefix: string;
  expectedRows: number;
}): Promise<PostgresSinkBenchResult> {
  const endpoints = stackEndpoints();
  const schema = `${options.topicPrefix.replace(/[^A-Za-z0-9_]/g, '_').toLowerCase()}_pgsink`;
  const table = qualifiedName(schema, 'bookings');
  const namespaced = namespacedNames(options.topicPrefix);
  const groupId = namespaced.sinkGroupId('postgres');
  const client = new pg.Client({ connectionString: endpoints.postgresUrl });
  await client.connect();
  const count = async (name: string): Promise<number> =>
    Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${name}`)).rows[0]?.n ?? 0);
  const configFile = benchConfigPath('postgres-sink');
  writeFileSync(
    configFile,
    JSON.stringify({
      log: { level: 'warn', format: 'json' },
      kafka: { brokers: [endpoints.kafkaBroker], topicPrefix: options.topicPrefix },
      schemaRegistry: { url: endpoints.registryUrl },
      postgres: { connectionString: endpoints.postgresUrl, schema },
      http: { port: 0 },
      sink: { groupId, resources: ['bookings'], deadLetterTopic: namespaced.sinkDeadLetterTopic('postgres') },
    }),
  );
  try {
    // Timed from the spawn: process start-up (≈ 1-2 s of node + tsx) is included, which understates
    // the steady rate on small topics; the full run's larger topic makes it negligible.
    const startedAt = performance.now();
    const sink = runCli(['sink', 'postgres', '--config', configFile]);
    await waitFor(async () => (await count(table).catch(() => 0)) >= options.expectedRows, {
      what: 'the PostgreSQL sink to load every row',
      timeoutMs: 600_000,
      intervalMs: 200,
    });
    const seconds = (performance.now() - startedAt) / 1000;
    sink.process.kill('SIGTERM');
    await sink.exit;

    const direct = qualifiedName(schema, 'bookings_direct');
    await client.query(`CREATE TABLE ${direct} (LIKE ${table} INCLUDING ALL)`);
    const exported = await exportCopyText(client, table);
    const directStarted = performance.now();
    await copyFromStdin(
      client,
      `COPY ${direct} (${exported.columns.map(quoteIdentifier).join(', ')}) FROM STDIN`,
      exported.body,
    );
    const directSeconds = (performance.now() - directStarted) / 1000;
    return {
      rows: options.expectedRows,
      seconds: Number(seconds.toFixed(2)),
      rowsPerSecond: Math.round(options.expectedRows / Math.max(seconds, 0.001)),
      directRowsPerSecond: Math.round(exported.rows / Math.max(directSeconds, 0.001)),
      peakRssMb: sink.peakRssMb(),
    };
  } finally {
    await client.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
    await client.end();
    await withAdmin(stackKafka(groupId), (admin) => admin.deleteGroups([groupId]).catch(() => undefined));
  }
}
