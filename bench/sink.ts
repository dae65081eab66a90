/**
 * ClickHouse sink throughput, next to a direct bulk insert of the same rows into the same engine
 * in the same run. The sink runs as its own process (its peak RSS is its own) and loads a
 * pre-filled bookings topic into a fresh database.
 *
 * - Sink time is measured from its first write (the earliest `_ingested_at` in the table, stamped
 *   when a batch's INSERT starts) to the moment every row is counted, and the rate counts only the
 *   rows read after that first batch (its rows were read and encoded before the clock started, so
 *   counting them would flatter large batches). The time from the process spawn (start-up, group
 *   join, first fetch and decode included) is given next to it.
 * - The limit: the same rows exported from the sink's table in the format the destination writes
 *   (Native), inserted in one request into a copy of the table with the destination's settings;
 *   and the same rows in inserts of the sink's batch size, which is what the engine allows a sink
 *   that inserts batch by batch (batchedDirectInsert).
 * - CPU per row of the sink process and of the ClickHouse engine (the stack's front, which runs
 *   chDB in-process), from the first rows visible to the last: on a small machine both share the
 *   same cores, so their sum bounds what any sink could reach there (cores / CPU per row). When the
 *   first rows seen are already most of the run (a short run of a few large batches), that window
 *   holds too few rows to divide by, so the whole process is counted instead, start-up included.
 *   The sink's CPU in that window is also split by stage from its CPU profile.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { namespacedNames } from '../contract/namespace.js';
import { stackEndpoints } from '../deploy/stack/endpoints.js';
import { stackStatus } from '../deploy/stack/stack.js';
import { freePort } from '../testkit/free-port.js';
import { waitFor } from '../testkit/wait-for.js';
import { monotonicMicros, type StageProfile } from './cpu-profile.js';
import { metricTotal } from './ops-metrics.js';
import { benchConfigPath, cpuSeconds, runCli } from './processes.js';

/** What the destination sends (sinks/clickhouse/destination.ts), and so what the direct insert sends. */
const FORMAT = 'Native';

export interface SinkBenchResult {
  readonly rows: number;
  readonly format: string;
  readonly batchMaxRows: number;
  /** From the sink's first write to the last row. */
  readonly seconds: number;
  /** Rows read after the first batch, over `seconds`. */
  readonly rowsPerSecond: number;
  /** From the sink process's spawn to the last row. */
  readonly secondsFromSpawn: number;
  readonly rowsPerSecondFromSpawn: number;
  readonly directRowsPerSecond: number;
  /** The same rows inserted directly in inserts of the sink's batch size, one after the other: the engine's limit at that size. */
  readonly batchedDirectRowsPerSecond: number;
  readonly peakRssMb: number;
  /** CPU microseconds per row while rows arrived: the sink process, the ClickHouse engine, and the engine for the direct insert. */
  readonly cpuMicrosPerRow: { readonly sink: number; readonly engine: number; readonly engineDirect: number };
  /** What the sink and engine figures count: after the first rows were visible, or the whole process (short runs). */
  readonly cpuWindow: 'after-first-rows' | 'whole-process';
  /** This machine's cores ÷ (sink + engine CPU per row): the most any pipeline of that cost reaches here. */
  readonly coreBoundRowsPerSecond: number;
  /** Where the sink process's CPU went in the same window, per stage (bench/cpu-profile.ts). */
  readonly profile: StageProfile;
  /** The destination writes (encode + insert, per batch), from the sink's own metrics. */
  readonly writes: BatchWrites;
}

export interface BatchWrites {
  readonly batches: number;
  readonly meanMs: number;
  /** Summed over batches: above the load's wall time when writes overlap. */
  readonly totalSeconds: number;
}

/** Batches written and their time, from the sink's `bookeo_connect_sink_write_seconds` histogram. */
async function batchWrites(opsUrl: string): Promise<BatchWrites> {
  const batches = await metricTotal(opsUrl, 'bookeo_connect_sink_write_seconds_count');
  const seconds = await metricTotal(opsUrl, 'bookeo_connect_sink_write_seconds_sum');
  return {
    batches,
    meanMs: batches === 0 ? 0 : Math.round((seconds * 1000) / batches),
    totalSeconds: Number(seconds.toFixed(2)),
  };
}

export interface SinkBenchOptions {
  readonly topicPrefix: string;
  readonly expectedRows: number;
  readonly database: string;
  /** sink.batch.maxRows (default: the configuration's default, 10,000). */
  readonly batchMaxRows?: number;
}

const DEFAULT_MAX_ROWS = 10_000;

/**
 * The engine's own rate at the sink's insert size: the sink's rows, split by `_version` into groups
 * of about `batchRows`, each exported as Native and inserted into a fresh copy of the table, one
 * insert after the other (only the inserts are timed). Each insert pays the engine's fixed cost per
 * insert (a part, its ~300 column streams, the dedup token), which one big insert pays once.
 */
async function batchedDirectInsert(
  clickhouse: ClickHouseClient,
  database: string,
  rows: number,
  batchRows: number,
): Promise<{ rows: number; seconds: number }> {
  const table = `\`${database}\`.bookings_batched`;
  await clickhouse.command({ query: `CREATE TABLE ${table} AS \`${database}\`.bookings` });
  const groups = Math.max(1, Math.ceil(rows / batchRows));
  let seconds = 0;
  for (let group = 0; group < groups; group++) {
    const exported = await clickhouse.exec({
      query: `SELECT * FROM \`${database}\`.bookings WHERE _version % ${groups} = ${group} FORMAT ${FORMAT}`,
    });
    const body: Buffer[] = [];
    for await (const chunk of exported.stream as AsyncIterable<Buffer>) body.push(chunk);
    const started = performance.now();
    const result = await clickhouse.exec({
      query: `INSERT INTO ${table} FORMAT ${FORMAT}`,
      values: Readable.from(body),
      clickhouse_settings: {
        insert_deduplicate: 1,
        insert_deduplication_token: `bench-batched-${group}`,
        optimize_on_insert: 0,
      },
    });
    await finished(result.stream.resume());
    seconds += (performance.now() - started) / 1000;
  }
  const inserted = Number(
    (
      await (
        await clickhouse.query({ query: `SELECT count() AS n FROM ${table}`, format: 'JSONEachRow' })
      ).json<{ n: string }>()
    )[0]?.n ?? 0,
  );
  return { rows: inserted, seconds };
}

export async function benchSink(options: SinkBenchOptions): Promise<SinkBenchResult> {
  const clickhouse = createClient({
    url: stackEndpoints().clickhouseUrl,
    request_timeout: 600_000,
    log: { level: ClickHouseLogLevel.OFF },
  });
  const table = `\`${options.database}\`.bookings`;
  const scalar = async (query: string): Promise<number> => {
    const result = await clickhouse.query({ query, format: 'JSONEachRow' });
    return Number((await result.json<{ n: string | number }>())[0]?.n ?? 0);
  };
  const batchMaxRows = options.batchMaxRows ?? DEFAULT_MAX_ROWS;
  const configFile = benchConfigPath('sink');
  const opsPort = await freePort();
  const namespaced = namespacedNames(options.topicPrefix);
  writeFileSync(
    configFile,
    JSON.stringify({
      log: { level: 'warn', format: 'json' },
      kafka: { brokers: [stackEndpoints().kafkaBroker], topicPrefix: options.topicPrefix },
      schemaRegistry: { url: stackEndpoints().registryUrl },
      clickhouse: { url: stackEndpoints().clickhouseUrl, database: options.database },
      http: { port: opsPort },
      sink: {
        groupId: namespaced.sinkGroupId('clickhouse'),
        resources: ['bookings'],
        deadLetterTopic: namespaced.sinkDeadLetterTopic('clickhouse'),
        batch: { maxRows: batchMaxRows },
      },
    }),
  );
  const enginePid = (await stackStatus()).find((service) => service.name === 'clickhouse')?.pid;
  if (enginePid === undefined) throw new Error("the stack's ClickHouse is not running (npm run stack -- up)");
  try {
    const spawnedAt = Date.now();
    const engineAtSpawn = cpuSeconds(enginePid);
    const sink = runCli(['sink', 'clickhouse', '--config', configFile]);
    const sinkPid = sink.process.pid as number;
    let first: { rows: number; sink: number; engine: number; at: number } | undefined;
    await waitFor(
      async () => {
        const rows = await scalar(`SELECT count() AS n FROM ${table}`).catch(() => 0);
        if (rows > 0 && first === undefined)
          first = { rows, sink: cpuSeconds(sinkPid), engine: cpuSeconds(enginePid), at: monotonicMicros() };
        return rows >= options.expectedRows;
      },
      { what: 'the sink to load every row', timeoutMs: 600_000, intervalMs: 50 },
    );
    const doneAt = Date.now();
    const doneAtMicros = monotonicMicros();
    const writes = await batchWrites(`http://127.0.0.1:${opsPort}`);
    const cpu = { sink: cpuSeconds(sinkPid), engine: cpuSeconds(enginePid) };
    const firstWriteAt = await scalar(`SELECT toUnixTimestamp64Milli(min(_ingested_at)) AS n FROM ${table}`);
    const firstWriteRows = await scalar(
      `SELECT count() AS n FROM ${table} WHERE _ingested_at = (SELECT min(_ingested_at) FROM ${table})`,
    );
    sink.process.kill('SIGTERM');
    await sink.exit;

    // The limit: the same rows, same format, same settings, straight into a copy of the table, once
    // the engine has finished merging the sink's parts (so the two do not share the engine's CPU).
    await waitFor(
      async () => (await scalar(`SELECT count() AS n FROM system.merges WHERE database = '${options.database}'`)) === 0,
      { what: 'merges of the sink table to finish', timeoutMs: 120_000, intervalMs: 100 },
    );
    await clickhouse.command({ query: `CREATE TABLE \`${options.database}\`.bookings_direct AS ${table}` });
    const exported = (await clickhouse.exec({ query: `SELECT * FROM ${table} FORMAT ${FORMAT}` })).stream;
    const chunks: Buffer[] = [];
    for await (const chunk of exported as AsyncIterable<Buffer>) chunks.push(chunk);
    const directStarted = performance.now();
    const engineBeforeDirect = cpuSeconds(enginePid);
    const inserted = await clickhouse.exec({
      query: `INSERT INTO \`${options.database}\`.bookings_direct FORMAT ${FORMAT}`,
      values: Readable.from(chunks),
      clickhouse_settings: { insert_deduplicate: 1, insert_deduplication_token: 'bench-direct', optimize_on_insert: 0 },
    });
    await finished(inserted.stream.resume());
    const directSeconds = (performance.now() - directStarted) / 1000;
    const engineDirect = cpuSeconds(enginePid) - engineBeforeDirect;
    const directRows = await scalar(`SELECT count() AS n FROM \`${options.database}\`.bookings_direct`);
    chunks.length = 0;
    const batched = await batchedDirectInsert(clickhouse, options.database, options.expectedRows, batchMaxRows);

    const seconds = (doneAt - firstWriteAt) / 1000;
    const afterFirst = options.expectedRows - (first?.rows ?? 0);
    const cpuWindow =
      first !== undefined && afterFirst * 2 >= options.expectedRows ? 'after-first-rows' : 'whole-process';
    const from =
      cpuWindow === 'after-first-rows' && first !== undefined
        ? { rows: afterFirst, sink: first.sink, engine: first.engine }
        : { rows: options.expectedRows, sink: 0, engine: engineAtSpawn };
    const perRow = (cpuSecondsSpent: number, rows: number): number => Math.round((cpuSecondsSpent * 1e6) / rows);
    const cpuMicrosPerRow = {
      sink: perRow(cpu.sink - from.sink, from.rows),
      engine: perRow(cpu.engine - from.engine, from.rows),
      engineDirect: perRow(engineDirect, directRows),
    };
    const secondsFromSpawn = (doneAt - spawnedAt) / 1000;
    return {
      rows: options.expectedRows,
      format: FORMAT,
      batchMaxRows,
      seconds: Number(seconds.toFixed(2)),
      rowsPerSecond: Math.round((options.expectedRows - firstWriteRows) / Math.max(seconds, 0.001)),
      secondsFromSpawn: Number(secondsFromSpawn.toFixed(2)),
      rowsPerSecondFromSpawn: Math.round(options.expectedRows / secondsFromSpawn),
      directRowsPerSecond: Math.round(directRows / directSeconds),
      batchedDirectRowsPerSecond: Math.round(batched.rows / Math.max(batched.seconds, 0.001)),
      peakRssMb: sink.peakRssMb(),
      cpuMicrosPerRow,
      cpuWindow,
      coreBoundRowsPerSecond: Math.round(
        (availableParallelism() * 1e6) / Math.max(1, cpuMicrosPerRow.sink + cpuMicrosPerRow.engine),
      ),
      writes,
      profile: sink.profile(
        cpuWindow === 'after-first-rows' && first !== undefined ? { from: first.at, to: doneAtMicros } : undefined,
      ),
    };
  } finally {
    await clickhouse.command({ query: `DROP DATABASE IF EXISTS \`${options.database}\`` });
    await clickhouse.close();
  }
}
