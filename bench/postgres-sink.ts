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
 *
 * - Sink time is measured as bench/sink.ts does for ClickHouse: from the first write (the earliest
 *   `_ingested_at`, the batch's stamp) to the moment every row is counted, the rate counting only
 *   the rows after that first batch; the time from the process spawn (start-up, group join, first
 *   fetch) is given next to it.
 * - CPU per row of the sink process and of the server (the postmaster and its backends), from the
 *   last sample (one per 50 ms poll) before the first write to the last row, over every row: the
 *   destination decodes and encodes a batch inside its write, so all of that work is in the
 *   window, where the first visible rows would leave most of a short run's work out.
 * - Stages: the destination logs each batch's timings at debug level (Avro decode + row encoding,
 *   the COPY into the staging table, the merge statements, the rest: connection, BEGIN, COMMIT);
 *   the sink runs at that level here and the bench sums them per row. Encoding is client CPU,
 *   COPY and merge are round trips whose time is mostly the server's.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import pg from 'pg';
import { namespacedNames } from '../contract/namespace.js';
import { stackEndpoints } from '../deploy/stack/endpoints.js';
import { stackStatus } from '../deploy/stack/stack.js';
import { copyFromStdin } from '../sinks/postgres/copy-in.js';
import { copyEscape } from '../sinks/postgres/copy-text.js';
import { qualifiedName } from '../sinks/postgres/ddl.js';
import { quoteIdentifier } from '../sinks/sql-tables.js';
import { withAdmin } from '../kafka/admin.js';
import { stackKafka } from '../testkit/stack-kafka.js';
import { waitFor } from '../testkit/wait-for.js';
import { benchConfigPath, cpuSeconds, runCli } from './processes.js';

export interface PostgresSinkBenchResult {
  readonly rows: number;
  /** From the sink's first write to the last row. */
  readonly seconds: number;
  /** Rows after the first batch, over `seconds`. */
  readonly rowsPerSecond: number;
  /** From the sink process's spawn to the last row. */
  readonly secondsFromSpawn: number;
  readonly rowsPerSecondFromSpawn: number;
  readonly directRowsPerSecond: number;
  readonly peakRssMb: number;
  /** CPU microseconds per row while rows arrived: the sink process, the server, and the server for the direct COPY. */
  readonly cpuMicrosPerRow: { readonly sink: number; readonly engine: number; readonly engineDirect: number };
  /** From the last CPU sample before the first write (every row's decoding, encoding and storing is after it), or the whole run. */
  readonly cpuWindow: 'from-first-write' | 'whole-process';
  /** This machine's cores ÷ (sink + server CPU per row). */
  readonly coreBoundRowsPerSecond: number;
  /** Wall microseconds per row of each write stage, summed over every batch (the destination's debug lines). */
  readonly stageMicrosPerRow: Readonly<Record<string, number>>;
  readonly batches: number;
  readonly paths: StageTotals['paths'];
  readonly refusedInserts: number;
}

/** CPU seconds of the server: the postmaster and every backend alive now (the sink's pool stays connected while measured). */
export function serverCpuSeconds(postmaster: number): number {
  const children = readFileSync(`/proc/${postmaster}/task/${postmaster}/children`, 'utf8').trim().split(/\s+/);
  let total = cpuSeconds(postmaster);
  for (const child of children.filter(Boolean)) {
    try {
      total += cpuSeconds(Number(child));
    } catch {
      // a backend that ended in between
    }
  }
  return total;
}

export interface StageTotals {
  readonly batches: number;
  readonly records: number;
  /** Batches by the way they went in (batch-write.ts): inserted as they were, or merged. */
  readonly paths: { inserted: number; merged: number };
  /** Inserts refused (a stored key or a newer tombstone), after which the batch merged. */
  readonly refusedInserts: number;
  readonly ms: Record<string, number>;
}

/** The per-batch stage timings and paths the destination logs at debug level, summed. */
export function stageTotals(output: string): StageTotals {
  const ms: Record<string, number> = {};
  const paths = { inserted: 0, merged: 0 };
  let batches = 0;
  let records = 0;
  let refusedInserts = 0;
  for (const line of output.split('\n')) {
    if (!line.includes('"batch written"')) continue;
    const entry = JSON.parse(line) as {
      records: number;
      path: 'inserted' | 'merged';
      refusedInsert: boolean;
      stages: Record<string, number>;
    };
    batches++;
    records += entry.records;
    paths[entry.path]++;
    if (entry.refusedInsert) refusedInserts++;
    for (const [stage, value] of Object.entries(entry.stages)) ms[stage] = (ms[stage] ?? 0) + value;
  }
  return { batches, records, paths, refusedInserts, ms };
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
      log: { level: 'debug', format: 'json' },
      kafka: { brokers: [endpoints.kafkaBroker], topicPrefix: options.topicPrefix },
      schemaRegistry: { url: endpoints.registryUrl },
      postgres: { connectionString: endpoints.postgresUrl, schema },
      http: { port: 0 },
      sink: { groupId, resources: ['bookings'], deadLetterTopic: namespaced.sinkDeadLetterTopic('postgres') },
    }),
  );
  try {
    const postmaster = (await stackStatus()).find((service) => service.name === 'postgres')?.pid;
    if (postmaster === undefined) throw new Error("the stack's PostgreSQL is not running (npm run stack -- up)");
    const spawnedAt = Date.now();
    const engineAtSpawn = serverCpuSeconds(postmaster);
    const sink = runCli(['sink', 'postgres', '--config', configFile]);
    const sinkPid = sink.process.pid as number;
    // CPU sampled at every poll: the window starts at the last sample before the first write.
    const samples: { at: number; sink: number; engine: number }[] = [];
    await waitFor(
      async () => {
        samples.push({ at: Date.now(), sink: cpuSeconds(sinkPid), engine: serverCpuSeconds(postmaster) });
        return (await count(table).catch(() => 0)) >= options.expectedRows;
      },
      { what: 'the PostgreSQL sink to load every row', timeoutMs: 600_000, intervalMs: 50 },
    );
    const doneAt = Date.now();
    const cpu = { sink: cpuSeconds(sinkPid), engine: serverCpuSeconds(postmaster) };
    const { rows: firstRows } = await client.query<{ at: string; n: string }>(
      `SELECT (extract(epoch FROM min(_ingested_at)) * 1000)::bigint::text AS at, count(*) FILTER (WHERE _ingested_at = (SELECT min(_ingested_at) FROM ${table}))::text AS n FROM ${table}`,
    );
    const firstWriteAt = Number(firstRows[0]?.at);
    const firstWriteRows = Number(firstRows[0]?.n);
    sink.process.kill('SIGTERM');
    await sink.exit;

    const direct = qualifiedName(schema, 'bookings_direct');
    await client.query(`CREATE TABLE ${direct} (LIKE ${table} INCLUDING ALL)`);
    const exported = await exportCopyText(client, table);
    const engineBeforeDirect = serverCpuSeconds(postmaster);
    const directStarted = performance.now();
    await copyFromStdin(
      client,
      `COPY ${direct} (${exported.columns.map(quoteIdentifier).join(', ')}) FROM STDIN`,
      exported.body,
    );
    const directSeconds = (performance.now() - directStarted) / 1000;
    const engineDirect = serverCpuSeconds(postmaster) - engineBeforeDirect;

    const seconds = (doneAt - firstWriteAt) / 1000;
    const before = samples.filter((sample) => sample.at <= firstWriteAt).at(-1);
    const cpuWindow = before === undefined ? 'whole-process' : 'from-first-write';
    const from = before ?? { sink: 0, engine: engineAtSpawn };
    const perRow = (spent: number, rows: number): number => Math.round((spent * 1e6) / Math.max(1, rows));
    const cpuMicrosPerRow = {
      sink: perRow(cpu.sink - from.sink, options.expectedRows),
      engine: perRow(cpu.engine - from.engine, options.expectedRows),
      engineDirect: perRow(engineDirect, exported.rows),
    };
    const stages = stageTotals(sink.output());
    const stageMicrosPerRow = Object.fromEntries(
      Object.entries(stages.ms).map(([stage, ms]) => [
        stage.replace(/Ms$/, ''),
        Number(((ms * 1000) / Math.max(1, stages.records)).toFixed(1)),
      ]),
    );
    const secondsFromSpawn = (doneAt - spawnedAt) / 1000;
    return {
      rows: options.expectedRows,
      seconds: Number(seconds.toFixed(2)),
      rowsPerSecond: Math.round((options.expectedRows - firstWriteRows) / Math.max(seconds, 0.001)),
      secondsFromSpawn: Number(secondsFromSpawn.toFixed(2)),
      rowsPerSecondFromSpawn: Math.round(options.expectedRows / secondsFromSpawn),
      directRowsPerSecond: Math.round(exported.rows / Math.max(directSeconds, 0.001)),
      peakRssMb: sink.peakRssMb(),
      cpuMicrosPerRow,
      cpuWindow,
      coreBoundRowsPerSecond: Math.round(
        (availableParallelism() * 1e6) / Math.max(1, cpuMicrosPerRow.sink + cpuMicrosPerRow.engine),
      ),
      stageMicrosPerRow,
      batches: stages.batches,
      paths: stages.paths,
      refusedInserts: stages.refusedInserts,
    };
  } finally {
    await client.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
    await client.end();
    await withAdmin(stackKafka(groupId), (admin) => admin.deleteGroups([groupId]).catch(() => undefined));
  }
}
