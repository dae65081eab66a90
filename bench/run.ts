/**
 * `npm run bench` / `npm run bench:quick`: every benchmark, each figure printed next to a limit
 * measured in the same run, with peak RSS; a table on stdout and JSON in bench/results/latest.json.
 * Needs the local stack (`npm run stack -- up`). Cleans up the topics and subjects it makes.
 * `--only webhooks` runs the webhook benchmarks alone (with the polling freshness they compare
 * with) and writes bench/results/latest-webhooks.json instead.
 */
import { availableParallelism } from 'node:os';
import { resourceTopic, topicName } from '../contract/topics.js';
import { cleanupPrefix } from '../testkit/source-cleanup.js';
import { stackKafka } from '../testkit/stack-kafka.js';
import { benchDuckdbSink } from './duckdb-sink.js';
import { benchFreshness, freshnessRow } from './freshness.js';
import { kafkaReadFloor, kafkaWriteFloor } from './kafka-floor.js';
import { benchPostgresSink } from './postgres-sink.js';
import { buildCli } from './processes.js';
import { ratio, writeReport, type Row } from './report.js';
import { benchSimulator } from './simulator.js';
import { benchSink, type SinkBenchResult } from './sink.js';
import { benchFullListing, benchSource, type SourceBenchResult } from './source.js';
import { benchWebhooks } from './webhooks.js';

const quick = process.argv.includes('--quick');
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const say = (line: string): void => void process.stdout.write(`${line}\n`);

/** Where a sink's time goes on this machine: CPU per row of the sink and of the engine, and the rate those allow on its cores. */
const cpuNote = (result: SinkBenchResult): string =>
  `CPU per row${result.cpuWindow === 'whole-process' ? ' (whole process, start-up included: a short run)' : ''}: sink ${result.cpuMicrosPerRow.sink} µs + engine ${result.cpuMicrosPerRow.engine} µs → at most ${result.coreBoundRowsPerSecond} rows/s on ${availableParallelism()} cores`;

/** The same for the source: its CPU per record (start-up included) and the simulator's, and the rate those allow on this machine's cores. */
function sourceCpuNote(result: SourceBenchResult): string {
  const perRecord = (seconds: number): number => Math.round((seconds * 1e6) / Math.max(1, result.records));
  const source = perRecord(result.cpuSeconds.source);
  const simulator = perRecord(result.cpuSeconds.simulatorDuringSource);
  return `CPU per record: source ${source} µs + simulator ${simulator} µs → at most ${Math.round((availableParallelism() * 1e6) / Math.max(1, source + simulator))} records/s on ${availableParallelism()} cores`;
}

/** `--only webhooks`: the webhook benchmarks alone. */
async function webhooksOnly(): Promise<void> {
  const prefix = `bench${Date.now().toString(36)}`;
  try {
    say('building the CLI the children run (dist/, as the image runs it)…');
    buildCli();
    const { rows, results } = await benchWebhooks({ prefix, quick });
    writeReport(rows, { quick, at: new Date().toISOString(), ...results }, 'latest-webhooks.json');
  } finally {
    await cleanupPrefix(stackKafka(prefix), prefix).catch(() => undefined);
  }
}

async function main(): Promise<void> {
  if (only !== undefined) {
    if (only !== 'webhooks') throw new Error(`--only takes \`webhooks\`, not ${only}`);
    return webhooksOnly();
  }
  const sizes = quick
    ? { sim: 100_000, source: 20_000, big: 100_000 }
    : { sim: 200_000, source: 100_000, big: 1_000_000 };
  const rows: Row[] = [];
  const results: Record<string, unknown> = { quick, at: new Date().toISOString() };
  const prefix = `bench${Date.now().toString(36)}`;
  const kafka = stackKafka(prefix);

  try {
    say('building the CLI the children run (dist/, as the image runs it)…');
    buildCli();
    say(`simulator raw serving (${sizes.sim} bookings, in-process client)…`);
    const simulator = await benchSimulator({ scale: sizes.sim, concurrency: 4 });
    results.simulator = simulator;
    rows.push({
      benchmark: `simulator raw serving, ${sizes.sim} bookings`,
      figure: `${simulator.pagesPerSecond} pages/s, ${simulator.itemsPerSecond} items/s`,
      limit: '-',
      ratio: '-',
      target: '-',
      peakRss: `${simulator.rssMb} MB`,
    });

    say(`source backfill vs raw client on the same simulator (${sizes.source} bookings, no latency)…`);
    const source = await benchSource({
      scale: sizes.source,
      latencyMs: 0,
      requestsPerSecond: 1000,
      concurrency: 4,
      parallelWindows: 4,
      measureRaw: true,
      topicPrefix: `${prefix}a`,
    });
    results.source = source;
    rows.push({
      benchmark: `source backfill, ${source.records} bookings`,
      figure: `${source.recordsPerSecond} records/s (${source.seconds} s); ${sourceCpuNote(source)}`,
      limit: `raw client ${source.rawItemsPerSecond ?? '-'} items/s`,
      ratio: ratio(source.recordsPerSecond, source.rawItemsPerSecond),
      target: '≥ 0.8×, RSS < 300 MB',
      peakRss: `${source.peakRssMb} MB (simulator ${source.simulatorPeakRssMb} MB)`,
    });
    say(
      "the Kafka client alone on the same records: the source's transactional writer, and a read_committed consumer…",
    );
    const loaded = resourceTopic(`${prefix}a`, 'bookings');
    const writeFloor = await kafkaWriteFloor(kafka, loaded, topicName(`${prefix}a`, 'floor'));
    const readFloor = await kafkaReadFloor(kafka, loaded, source.records);
    results.kafkaFloor = { write: writeFloor, read: readFloor };
    rows.push({
      benchmark: `Kafka write floor, ${writeFloor.records} of those records (kafkajs, transactions of 5,000, nothing else)`,
      figure: `${writeFloor.recordsPerSecond} records/s, ${writeFloor.cpuMicrosPerRecord} µs CPU/record`,
      limit: `raw client ${source.rawItemsPerSecond ?? '-'} items/s`,
      ratio: ratio(writeFloor.recordsPerSecond, source.rawItemsPerSecond),
      target: '-',
      peakRss: '-',
    });
    rows.push({
      benchmark: `Kafka read floor, ${readFloor.records} records (kafkajs, read_committed, nothing else)`,
      figure: `${readFloor.recordsPerSecond} records/s, ${readFloor.cpuMicrosPerRecord} µs CPU/record`,
      limit: '-',
      ratio: '-',
      target: '-',
      peakRss: '-',
    });
    rows.push({
      benchmark: 'source API calls',
      figure: `${source.calls} calls`,
      limit: `minimum ${source.minimumCalls ?? '-'} pages`,
      ratio: ratio(source.calls, source.minimumCalls),
      target: '≈ 1×',
      peakRss: '-',
    });

    say(`ClickHouse sink vs direct bulk insert (${source.records} rows)…`);
    const sink = await benchSink({
      topicPrefix: `${prefix}a`,
      expectedRows: source.records,
      database: `${prefix}_sink`,
    });
    results.sink = sink;
    rows.push({
      benchmark: `ClickHouse sink, ${sink.rows} booking rows (${sink.format}, batches of ${sink.batchMaxRows})`,
      figure: `${sink.rowsPerSecond} rows/s from the first write (${sink.seconds} s); ${sink.rowsPerSecondFromSpawn} rows/s from spawn; ${cpuNote(sink)}`,
      limit: `direct ${sink.format} insert ${sink.directRowsPerSecond} rows/s (engine ${sink.cpuMicrosPerRow.engineDirect} µs CPU/row)`,
      ratio: ratio(sink.rowsPerSecond, sink.directRowsPerSecond),
      target: '≥ 100k rows/s, ≥ 0.5×',
      peakRss: `${sink.peakRssMb} MB`,
    });

    say(`DuckDB sink vs DuckDB's own bulk load (${source.records} rows)…`);
    const duckdb = await benchDuckdbSink({ topicPrefix: `${prefix}a`, expectedRows: source.records });
    results.duckdb = duckdb;
    rows.push({
      benchmark: `DuckDB sink, ${duckdb.rows} booking rows`,
      figure: `${duckdb.rowsPerSecond} rows/s (${duckdb.seconds} s)`,
      limit: `DuckDB bulk load ${duckdb.directRowsPerSecond} rows/s`,
      ratio: ratio(duckdb.rowsPerSecond, duckdb.directRowsPerSecond),
      target: '-',
      peakRss: `${duckdb.peakRssMb} MB`,
    });

    say(`PostgreSQL sink vs PostgreSQL's own COPY (${source.records} rows)…`);
    const postgres = await benchPostgresSink({ topicPrefix: `${prefix}a`, expectedRows: source.records });
    results.postgres = postgres;
    rows.push({
      benchmark: `PostgreSQL sink, ${postgres.rows} booking rows`,
      figure: `${postgres.rowsPerSecond} rows/s (${postgres.seconds} s)`,
      limit: `COPY of the same rows ${postgres.directRowsPerSecond} rows/s`,
      ratio: ratio(postgres.rowsPerSecond, postgres.directRowsPerSecond),
      target: '-',
      peakRss: `${postgres.peakRssMb} MB`,
    });

    say(
      'end-to-end freshness through `bookeo-connect run`: a booking edited at the simulator → its new version in ClickHouse…',
    );
    const freshness = await benchFreshness({
      topicPrefix: `${prefix}f`,
      database: `${prefix}_fresh`,
      scale: 5_000,
      edits: quick ? 10 : 30,
    });
    results.freshness = freshness;
    rows.push(freshnessRow(freshness));
    const webhooks = await benchWebhooks({ prefix, quick, polling: freshness });
    rows.push(...webhooks.rows);
    Object.assign(results, webhooks.results);

    say(
      `source backfill of ${sizes.big} bookings with 100 ms API latency (rate budget 100/s, 8 concurrent, 4 windows)…`,
    );
    const big = await benchSource({
      scale: sizes.big,
      latencyMs: 100,
      requestsPerSecond: 100,
      concurrency: 8,
      parallelWindows: 4,
      measureRaw: false,
      topicPrefix: `${prefix}b`,
    });
    results.backfillWithLatency = big;
    rows.push({
      benchmark: `backfill ${big.records} bookings, 100 ms latency`,
      figure: `${big.seconds} s, ${big.recordsPerSecond} records/s, ${big.calls} calls`,
      limit: `budget 100 calls/s → ≥ ${Math.ceil(big.calls / 100)} s`,
      ratio: '-',
      target: '< 600 s',
      peakRss: `${big.peakRssMb} MB`,
    });

    say(
      'first full listing of customers and their linked people, 50 ms API latency (rate budget 100/s, 8 concurrent)…',
    );
    const listing = await benchFullListing({
      scale: quick ? 5_000 : 10_000,
      latencyMs: 50,
      requestsPerSecond: 100,
      concurrency: 8,
      topicPrefix: `${prefix}c`,
    });
    results.fullListing = listing;
    rows.push({
      benchmark: `full listing, ${listing.customers} customers + ${listing.linkedPeople} linked people, 50 ms latency`,
      figure: `${listing.seconds} s, ${listing.calls} calls`,
      limit: `budget 100 calls/s → ≥ ${listing.budgetSeconds} s`,
      ratio: ratio(listing.budgetSeconds, listing.seconds),
      target: '-',
      peakRss: `${listing.peakRssMb} MB`,
    });

    say(`replay of the ${big.records}-record bookings topic into a fresh ClickHouse table…`);
    const replay = await benchSink({
      topicPrefix: `${prefix}b`,
      expectedRows: big.records,
      database: `${prefix}_replay`,
    });
    results.replay = replay;
    rows.push({
      benchmark: `replay ${replay.rows} rows into a fresh ClickHouse table`,
      figure: `${replay.rowsPerSecond} rows/s from the first write (${replay.seconds} s); ${replay.rowsPerSecondFromSpawn} rows/s from spawn; ${cpuNote(replay)}`,
      limit: `direct insert ${replay.directRowsPerSecond} rows/s (engine ${replay.cpuMicrosPerRow.engineDirect} µs CPU/row)`,
      ratio: ratio(replay.rowsPerSecond, replay.directRowsPerSecond),
      target: '-',
      peakRss: `${replay.peakRssMb} MB`,
    });
  } finally {
    await cleanupPrefix(kafka, prefix).catch(() => undefined);
  }

  writeReport(rows, results, 'latest.json');
}

await main();
