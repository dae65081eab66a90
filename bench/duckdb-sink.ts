/**
 * DuckDB sink throughput, next to DuckDB's own bulk load of the same rows into the same table
 * layout in the same run. The sink runs as its own process (its peak RSS is its own, DuckDB's
 * engine included: it is embedded) and loads a pre-filled `<topicPrefix>.bookings` topic into a
 * fresh database file.
 *
 * The file is locked by the sink process while it runs, so progress is read from the sink's
 * Prometheus counter of settled records (`/metrics` on its ops port, which it logs at start); the
 * file is opened only after SIGTERM has made the sink flush, commit and release it.
 *
 * - Sink time, as for the ClickHouse sink (bench/sink.ts): from its first write (the earliest
 *   `_ingested_at` in the table, stamped when a batch's write starts) to the moment every row is
 *   settled, counting only the rows after that first batch; this is the rate compared with the bulk
 *   load. The time from the process spawn (start-up, group join, first fetch) is given next to it.
 * - CPU per row of the sink process (the embedded engine included) from the first settled rows to
 *   the last (or over the whole process when the first rows seen are most of the run), and over
 *   the whole process.
 * - Where the sink's time went, per stage of the destination's writes (sinks/duckdb/write-stages.ts):
 *   read from the line the destination logs when it closes, with DuckDB's memory in use then; and
 *   where its JavaScript thread's time went over the whole process, from its CPU profile.
 *
 * The limit: the loaded table exported to Parquet, then `INSERT INTO` an empty twin with the same
 * DDL (same types, same primary key) `SELECT * FROM read_parquet(…)`, timed. That is DuckDB's
 * native columnar load (multi-threaded C++ reader, no JavaScript, Kafka or Avro), so it is the
 * ceiling for any loader into this table on this machine. An Appender loop from JavaScript would
 * instead measure node-api's per-value cost, which is part of what the sink is judged on. Next to
 * it, the same rows inserted by DuckDB alone in inserts of the sink's batch size (`batchedLoad`):
 * the floor that one transaction per batch sets, whatever the loader.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { namespacedNames } from '../contract/namespace.js';
import { stackEndpoints } from '../deploy/stack/endpoints.js';
import { withAdmin } from '../kafka/admin.js';
import { stackKafka } from '../testkit/stack-kafka.js';
import { waitFor } from '../testkit/wait-for.js';
import { duckdbSchema } from '../sinks/duckdb/config.js';
import type { WriteStageTotals } from '../sinks/duckdb/write-stages.js';
import type { StageProfile } from './cpu-profile.js';
import { metricSamples } from './ops-metrics.js';
import { cpuSeconds, mainThreadCpuSeconds, runCli, type Child } from './processes.js';

export interface DuckdbSinkBenchResult {
  readonly rows: number;
  /** From the sink's first write to the last row settled. */
  readonly seconds: number;
  /** Rows after the first batch, over `seconds`: the figure compared with the bulk load. */
  readonly rowsPerSecond: number;
  /** From the sink process's spawn to the last row settled. */
  readonly secondsFromSpawn: number;
  readonly rowsPerSecondFromSpawn: number;
  readonly directRowsPerSecond: number;
  /** Rows per batch the sink applied (its mean). */
  readonly batchRows: number;
  /** The same rows inserted by DuckDB alone in inserts of `batchRows`, one after the other: the engine's limit at that size. */
  readonly batchedDirectRowsPerSecond: number;
  readonly peakRssMb: number;
  /**
   * CPU microseconds per row: the sink process (DuckDB inside it) while rows arrived (`cpuWindow`),
   * the whole sink process (start-up included: with few batches the window misses the conversion
   * of those converted before the first settled), and the bulk load.
   */
  readonly cpuMicrosPerRow: {
    readonly sink: number;
    readonly sinkWholeProcess: number;
    /**
     * The sink's JavaScript thread alone, from the end of its start-up to its last row, over every
     * row (its batches are converted before the first rows are seen): one thread, so 10⁶ / this
     * bounds the rate.
     */
    readonly mainThread: number;
    readonly direct: number;
  };
  readonly cpuWindow: 'after-first-rows' | 'whole-process';
  /**
   * Where the sink's JavaScript thread spent its time over the whole process (`rows` rows), per
   * stage of its profile (bench/cpu-profile.ts). DuckDB's own threads are not sampled.
   */
  readonly mainThread: { readonly rows: number; readonly profile: StageProfile };
  /** The destination's per-stage totals, as it logged them on close. */
  readonly stages: WriteStageTotals & { readonly duckdbMemoryMb: number; readonly memoryLimit: string };
}

/** The destination's `write stages since start` line in the sink's JSON log. */
function loggedStages(output: string): DuckdbSinkBenchResult['stages'] {
  for (const line of output.split('\n').reverse()) {
    if (!line.includes('"writeStages"')) continue;
    const logged = JSON.parse(line) as { writeStages: DuckdbSinkBenchResult['stages'] };
    return logged.writeStages;
  }
  throw new Error(`the DuckDB sink logged no write stages on close: ${output.slice(-2000)}`);
}

/** Records the sink has settled so far, by kind (upsert, delete, dead_letter), from its /metrics. */
async function settledRecords(opsUrl: string): Promise<Record<string, number>> {
  const byKind: Record<string, number> = {};
  for (const { labels, value } of await metricSamples(opsUrl, 'bookeo_connect_sink_records_total')) {
    const kind = labels.kind ?? 'unknown';
    byKind[kind] = (byKind[kind] ?? 0) + value;
  }
  return byKind;
}

function hasExited(sink: Child): boolean {
  return sink.process.exitCode !== null || sink.process.signalCode !== null;
}

function exitedEarly(sink: Child): Error | undefined {
  return hasExited(sink)
    ? new Error(
        `the DuckDB sink exited (${sink.process.exitCode ?? sink.process.signalCode}): ${sink.output().slice(-2000)}`,
      )
    : undefined;
}

/**
 * The same rows inserted by DuckDB alone in inserts of `batchRows` rows, one transaction each, into
 * another empty twin, with the sink's checkpoint threshold: what the table's primary key, the
 * write-ahead log and the checkpoints cost at the sink's batch size, with no JavaScript at all.
 */
async function batchedLoad(
  connection: DuckDBConnection,
  ddl: string,
  parquet: string,
  batchRows: number,
): Promise<{ rows: number; seconds: number }> {
  await connection.run(`SET checkpoint_threshold = '${duckdbSchema.parse({}).checkpointThreshold}'`);
  await connection.run(ddl.replace(/^CREATE TABLE (\S+\.)?"?bookings"?/i, 'CREATE TABLE main.bookings_batched'));
  await connection.run(
    `CREATE TEMPORARY TABLE numbered AS SELECT row_number() OVER () AS bench_row, * FROM read_parquet('${parquet}')`,
  );
  const [[total]] = (await connection.runAndReadAll('SELECT count(*) FROM numbered')).getRows() as [[bigint]];
  const started = performance.now();
  for (let from = 0; from < Number(total); from += batchRows)
    await connection.run(
      `INSERT INTO main.bookings_batched SELECT * EXCLUDE (bench_row) FROM numbered WHERE bench_row > ${from} AND bench_row <= ${from + batchRows}`,
    );
  return { rows: Number(total), seconds: (performance.now() - started) / 1000 };
}

async function directLoad(
  path: string,
  directory: string,
  batchRows: number,
): Promise<{
  rows: number;
  seconds: number;
  cpuSeconds: number;
  firstWrite: { atMs: number; rows: number };
  batched: { rows: number; seconds: number };
}> {
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  try {
    const parquet = join(directory, 'bookings.parquet').replace(/'/g, "''");
    await connection.run(`COPY (SELECT * FROM main.bookings) TO '${parquet}' (FORMAT parquet)`);
    const [[ddl]] = (
      await connection.runAndReadAll(
        `SELECT sql FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = 'bookings'`,
      )
    ).getRows() as [[string]];
    await connection.run(ddl.replace(/^CREATE TABLE (\S+\.)?"?bookings"?/i, 'CREATE TABLE main.bookings_direct'));
    const started = performance.now();
    const cpuBefore = cpuSeconds('self');
    await connection.run(`INSERT INTO main.bookings_direct SELECT * FROM read_parquet('${parquet}')`);
    const seconds = (performance.now() - started) / 1000;
    const cpu = cpuSeconds('self') - cpuBefore;
    const [[rows]] = (await connection.runAndReadAll('SELECT count(*) FROM main.bookings_direct')).getRows() as [
      [bigint],
    ];
    const [[atMs, firstRows]] = (
      await connection.runAndReadAll(
        `SELECT epoch_ms(min(_ingested_at)), count(*) FILTER (WHERE _ingested_at = (SELECT min(_ingested_at) FROM main.bookings)) FROM main.bookings`,
      )
    ).getRows() as [[bigint, bigint]];
    return {
      rows: Number(rows),
      seconds,
      cpuSeconds: cpu,
      firstWrite: { atMs: Number(atMs), rows: Number(firstRows) },
      batched: await batchedLoad(connection, ddl, parquet, batchRows),
    };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

export async function benchDuckdbSink(options: {
  topicPrefix: string;
  expectedRows: number;
}): Promise<DuckdbSinkBenchResult> {
  const directory = mkdtempSync(join(tmpdir(), 'bookeo-bench-duckdb-'));
  const path = join(directory, 'bench.duckdb');
  const configFile = join(directory, 'sink.json');
  const namespaced = namespacedNames(options.topicPrefix);
  const groupId = namespaced.sinkGroupId('duckdb');
  writeFileSync(
    configFile,
    JSON.stringify({
      // info: the sink logs its ops URL (http.port 0 picks a free port) at start; it logs little else at info.
      log: { level: 'info', format: 'json' },
      kafka: { brokers: [stackEndpoints().kafkaBroker], topicPrefix: options.topicPrefix },
      schemaRegistry: { url: stackEndpoints().registryUrl },
      duckdb: { path, schema: 'main' },
      http: { port: 0 },
      sink: { groupId, resources: ['bookings'], deadLetterTopic: namespaced.sinkDeadLetterTopic('duckdb') },
    }),
  );
  const kafka = stackKafka(groupId);
  let sink: Child | undefined;
  try {
    const spawnedAt = Date.now();
    sink = runCli(['sink', 'duckdb', '--config', configFile]);
    const running = sink;
    const sinkPid = running.process.pid as number;
    const opsUrl = await waitFor(
      () => {
        const early = exitedEarly(running);
        if (early) throw early;
        return /"ops":"(http:\/\/[^"]+)"/.exec(running.output())?.[1];
      },
      { what: 'the DuckDB sink to start', timeoutMs: 120_000, intervalMs: 100 },
    );
    let settled: Record<string, number> = {};
    // Start-up done: the JavaScript thread's CPU from here on is the rows' work (reading, converting, appending).
    const readyMainThreadCpu = mainThreadCpuSeconds(sinkPid);
    let first: { rows: number; cpu: number } | undefined;
    await waitFor(
      async () => {
        const early = exitedEarly(running);
        if (early) throw early;
        settled = await settledRecords(opsUrl);
        const total = Object.values(settled).reduce((sum, n) => sum + n, 0);
        if (total > 0 && first === undefined) first = { rows: total, cpu: cpuSeconds(sinkPid) };
        return total >= options.expectedRows;
      },
      { what: 'the DuckDB sink to load every row', timeoutMs: 600_000, intervalMs: 50 },
    );
    const doneAt = Date.now();
    const sinkCpu = cpuSeconds(sinkPid);
    const mainThreadCpu = mainThreadCpuSeconds(sinkPid);
    if ((settled.dead_letter ?? 0) > 0)
      throw new Error(
        `the DuckDB sink dead-lettered ${settled.dead_letter} records; the figure would not be a load rate`,
      );
    running.process.kill('SIGTERM');
    const code = await running.exit;
    if (code !== 0)
      throw new Error(`the DuckDB sink exited with ${String(code)} on SIGTERM: ${running.output().slice(-2000)}`);

    const stages = loggedStages(running.output());
    const direct = await directLoad(path, directory, Math.max(1, Math.round(stages.rows / stages.batches)));
    const seconds = (doneAt - direct.firstWrite.atMs) / 1000;
    const secondsFromSpawn = (doneAt - spawnedAt) / 1000;
    const afterFirst = options.expectedRows - (first?.rows ?? 0);
    const cpuWindow =
      first !== undefined && afterFirst * 2 >= options.expectedRows ? 'after-first-rows' : 'whole-process';
    const window =
      cpuWindow === 'after-first-rows' && first !== undefined
        ? { rows: afterFirst, cpu: sinkCpu - first.cpu }
        : { rows: options.expectedRows, cpu: sinkCpu };
    return {
      rows: options.expectedRows,
      seconds: Number(seconds.toFixed(2)),
      rowsPerSecond: Math.round((options.expectedRows - direct.firstWrite.rows) / Math.max(seconds, 0.001)),
      secondsFromSpawn: Number(secondsFromSpawn.toFixed(2)),
      rowsPerSecondFromSpawn: Math.round(options.expectedRows / Math.max(secondsFromSpawn, 0.001)),
      directRowsPerSecond: Math.round(direct.rows / Math.max(direct.seconds, 0.001)),
      batchRows: Math.round(stages.rows / stages.batches),
      batchedDirectRowsPerSecond: Math.round(direct.batched.rows / Math.max(direct.batched.seconds, 0.001)),
      peakRssMb: running.peakRssMb(),
      cpuMicrosPerRow: {
        sink: Math.round((window.cpu * 1e6) / window.rows),
        sinkWholeProcess: Math.round((sinkCpu * 1e6) / options.expectedRows),
        mainThread: Math.round(((mainThreadCpu - readyMainThreadCpu) * 1e6) / options.expectedRows),
        direct: Math.round((direct.cpuSeconds * 1e6) / direct.rows),
      },
      cpuWindow,
      stages,
      // The whole process: a window from the first settled rows misses the batches converted before
      // them, most of a short run's conversion (start-up shows as a stage of its own).
      mainThread: { rows: options.expectedRows, profile: running.profile() },
    };
  } finally {
    if (sink !== undefined && !hasExited(sink)) {
      sink.process.kill('SIGTERM');
      await sink.exit;
    }
    await withAdmin(kafka, (admin) => admin.deleteGroups([groupId]).catch(() => undefined));
    rmSync(directory, { recursive: true, force: true });
  }
}
