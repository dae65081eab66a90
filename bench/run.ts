/**
 * `npm run bench` / `npm run bench:quick`: every benchmark, each figure printed next to a limit
 * measured in the same run, with peak RSS; a table on stdout and JSON in bench/results/latest.json.
 * Needs the local stack (`npm run stack -- up`). Cleans up the topics and subjects it makes.
 * `--only <part>[,<part>…]` runs those parts alone (a sink part first runs the source backfill that
 * fills its topic) and writes bench/results/latest-<parts>.json instead.
 */
import { availableParallelism } from 'node:os';
import type { KafkaClient } from '../kafka/client.js';
import { resourceTopic, topicName } from '../contract/topics.js';
import { cleanupPrefix } from '../testkit/source-cleanup.js';
import { stackKafka } from '../testkit/stack-kafka.js';
import { formatStages } from './cpu-profile.js';
import { benchDuckdbSink } from './duckdb-sink.js';
import { benchFreshness, freshnessRow } from './freshness.js';
import { kafkaReadFloor, kafkaWriteFloor } from './kafka-floor.js';
import { benchPostgresSink, type PostgresSinkBenchResult } from './postgres-sink.js';
import { buildCli } from './processes.js';
import { ratio, writeReport, type Row } from './report.js';
import { benchSimulator } from './simulator.js';
import { benchSink, type SinkBenchResult } from './sink.js';
import { benchFullListing, benchSource, sourceCpuNote, type SourceBenchResult } from './source.js';
import { benchWebhooks } from './webhooks.js';

const PARTS = ['simulator', 'source', 'clickhouse', 'duckdb', 'postgres', 'webhooks', 'backfill', 'listing'] as const;
type Part = (typeof PARTS)[number];

function parseOnly(argv: readonly string[]): readonly Part[] | undefined {
  const at = argv.indexOf('--only');
  if (at < 0) return undefined;
  const asked = (argv[at + 1] ?? '').split(',').filter((part) => part !== '');
  const unknown = asked.filter((part) => !(PARTS as readonly string[]).includes(part));
  if (asked.length === 0 || unknown.length > 0)
    throw new Error(`--only takes parts among ${PARTS.join(', ')} (comma-separated), not "${argv[at + 1] ?? ''}"`);
  return asked as Part[];
}

const quick = process.argv.includes('--quick');
const only = parseOnly(process.argv);
const say = (line: string): void => void process.stdout.write(`${line}\n`);

/** Where a sink's time goes on this machine: CPU per row of the sink and of the engine, and the rate those allow on its cores. */
const cpuNote = (result: SinkBenchResult | PostgresSinkBenchResult): string =>
  `CPU per row${result.cpuWindow === 'whole-process' ? ' (whole process, start-up included: a short run)' : ''}: sink ${result.cpuMicrosPerRow.sink} µs + engine ${result.cpuMicrosPerRow.engine} µs → at most ${result.coreBoundRowsPerSecond} rows/s on ${availableParallelism()} cores${'profile' in result ? `; the sink's µs by stage: ${formatStages(result.profile, result.cpuMicrosPerRow.sink)}` : ''}`;

interface Run {
  readonly sizes: { sim: number; source: number; big: number };
  readonly prefix: string;
  readonly kafka: KafkaClient;
  readonly rows: Row[];
  readonly results: Record<string, unknown>;
  /** The source backfill without latency: its topic `<prefix>a.bookings` feeds the sink parts. */
  source?: SourceBenchResult;
  /** The backfill with latency: its topic `<prefix>b.bookings` feeds the replay. */
  big?: SourceBenchResult;
}

async function simulatorPart(run: Run): Promise<void> {
  say(`simulator raw serving (${run.sizes.sim} bookings, in-process client)…`);
  const simulator = await benchSimulator({ scale: run.sizes.sim, concurrency: 4 });
  run.results.simulator = simulator;
  run.rows.push({
    benchmark: `simulator raw serving, ${run.sizes.sim} bookings`,
    figure: `${simulator.pagesPerSecond} pages/s, ${simulator.itemsPerSecond} items/s`,
    limit: '-',
    ratio: '-',
    target: '-',
    peakRss: `${simulator.rssMb} MB`,
  });
}

async function sourcePart(run: Run, report: boolean): Promise<SourceBenchResult> {
  say(`source backfill vs raw client on the same simulator (${run.sizes.source} bookings, no latency)…`);
  const source = await benchSource({
    scale: run.sizes.source,
    latencyMs: 0,
    requestsPerSecond: 1000,
    concurrency: 4,
    parallelWindows: 4,
    measureRaw: report,
    topicPrefix: `${run.prefix}a`,
  });
  run.source = source;
  if (!report) return source;
  run.results.source = source;
  run.rows.push({
    benchmark: `source backfill, ${source.records} bookings`,
    figure: `${source.recordsPerSecond} records/s (${source.seconds} s); ${sourceCpuNote(source)}`,
    limit: `raw client ${source.rawItemsPerSecond ?? '-'} items/s`,
    ratio: ratio(source.recordsPerSecond, source.rawItemsPerSecond),
    target: '≥ 0.8×, RSS < 300 MB',
    peakRss: `${source.peakRssMb} MB (simulator ${source.simulatorPeakRssMb} MB)`,
  });
  say("the Kafka client alone on the same records: the source's transactional writer, and a read_committed consumer…");
  const loaded = resourceTopic(`${run.prefix}a`, 'bookings');
  const writeFloor = await kafkaWriteFloor(run.kafka, loaded, topicName(`${run.prefix}a`, 'floor'));
  const readFloor = await kafkaReadFloor(run.kafka, loaded, source.records);
  run.results.kafkaFloor = { write: writeFloor, read: readFloor };
  run.rows.push({
    benchmark: `Kafka write floor, ${writeFloor.records} of those records (kafkajs, transactions of 5,000, nothing else)`,
    figure: `${writeFloor.recordsPerSecond} records/s, ${writeFloor.cpuMicrosPerRecord} µs CPU/record`,
    limit: `raw client ${source.rawItemsPerSecond ?? '-'} items/s`,
    ratio: ratio(writeFloor.recordsPerSecond, source.rawItemsPerSecond),
    target: '-',
    peakRss: '-',
  });
  run.rows.push({
    benchmark: `Kafka read floor, ${readFloor.records} records (kafkajs, read_committed, nothing else)`,
    figure: `${readFloor.recordsPerSecond} records/s, ${readFloor.cpuMicrosPerRecord} µs CPU/record`,
    limit: '-',
    ratio: '-',
    target: '-',
    peakRss: '-',
  });
  run.rows.push({
    benchmark: 'source API calls',
    figure: `${source.calls} calls`,
    limit: `minimum ${source.minimumCalls ?? '-'} pages`,
    ratio: ratio(source.calls, source.minimumCalls),
    target: '≈ 1×',
    peakRss: '-',
  });
  return source;
}

/** The source backfill without latency, run first when a sink part needs its topic and the source part is not asked for. */
const loadedSource = async (run: Run): Promise<SourceBenchResult> => run.source ?? sourcePart(run, false);

async function clickhousePart(run: Run): Promise<void> {
  const source = await loadedSource(run);
  say(`ClickHouse sink vs direct bulk insert (${source.records} rows)…`);
  const sink = await benchSink({
    topicPrefix: `${run.prefix}a`,
    expectedRows: source.records,
    database: `${run.prefix}_sink`,
  });
  run.results.sink = sink;
  run.rows.push({
    benchmark: `ClickHouse sink, ${sink.rows} booking rows (${sink.format}, batches of ${sink.batchMaxRows})`,
    figure: `${sink.rowsPerSecond} rows/s from the first write (${sink.seconds} s); ${sink.rowsPerSecondFromSpawn} rows/s from spawn; ${cpuNote(sink)}`,
    limit: `direct ${sink.format} insert ${sink.directRowsPerSecond} rows/s (engine ${sink.cpuMicrosPerRow.engineDirect} µs CPU/row); in inserts of ${sink.batchMaxRows} rows ${sink.batchedDirectRowsPerSecond} rows/s (${ratio(sink.rowsPerSecond, sink.batchedDirectRowsPerSecond)})`,
    ratio: ratio(sink.rowsPerSecond, sink.directRowsPerSecond),
    target: '≥ 100k rows/s, ≥ 0.5×',
    peakRss: `${sink.peakRssMb} MB`,
  });
}

async function duckdbPart(run: Run): Promise<void> {
  const source = await loadedSource(run);
  say(`DuckDB sink vs DuckDB's own bulk load (${source.records} rows)…`);
  const duckdb = await benchDuckdbSink({ topicPrefix: `${run.prefix}a`, expectedRows: source.records });
  run.results.duckdb = duckdb;
  const { stages } = duckdb;
  const perRow = (ms: number): number => Math.round((ms * 1000) / Math.max(1, stages.rows));
  // The profile samples wall time on that thread (waiting for a core included): for its split by stage only.
  const mainThreadSampledMicros = (duckdb.mainThread.profile.sampledMs * 1000) / duckdb.mainThread.rows;
  // Node runs the sink's JavaScript on one thread: its CPU per row bounds the rate whatever DuckDB's threads do.
  const mainThreadCap = Math.round(1_000_000 / Math.max(1, duckdb.cpuMicrosPerRow.mainThread));
  run.rows.push({
    benchmark: `DuckDB sink, ${duckdb.rows} booking rows`,
    figure: `${duckdb.rowsPerSecond} rows/s from the first write (${duckdb.seconds} s); ${duckdb.rowsPerSecondFromSpawn} rows/s from spawn; CPU ${duckdb.cpuMicrosPerRow.sink} µs/row (${duckdb.cpuWindow}), ${duckdb.cpuMicrosPerRow.sinkWholeProcess} over the whole process; stages per row: convert ${perRow(stages.ms.convert)} µs, append ${perRow(stages.ms.append)} µs, apply ${perRow(stages.ms.apply)} µs (of ${stages.batches} batches ${stages.paths.appended} appended into the table, ${stages.paths.inserted} inserted from staging, ${stages.paths.merged} merged, ${stages.refusedInserts} appends refused); the JavaScript thread's CPU ${duckdb.cpuMicrosPerRow.mainThread} µs/row after start-up → at most ${mainThreadCap} rows/s on that one thread (${ratio(mainThreadCap, duckdb.directRowsPerSecond)} of the bulk load); its µs by stage over the whole process: ${formatStages(duckdb.mainThread.profile, mainThreadSampledMicros)}`,
    limit: `DuckDB bulk load ${duckdb.directRowsPerSecond} rows/s (${duckdb.cpuMicrosPerRow.direct} µs CPU/row); DuckDB alone in inserts of ${duckdb.batchRows} rows ${duckdb.batchedDirectRowsPerSecond} rows/s (${ratio(duckdb.rowsPerSecond, duckdb.batchedDirectRowsPerSecond)})`,
    ratio: ratio(duckdb.rowsPerSecond, duckdb.directRowsPerSecond),
    target: '≥ 0.5×',
    peakRss: `${duckdb.peakRssMb} MB (DuckDB ${stages.duckdbMemoryMb} MB of ${stages.memoryLimit} at the end)`,
  });
}

async function postgresPart(run: Run): Promise<void> {
  const source = await loadedSource(run);
  say(`PostgreSQL sink vs PostgreSQL's own COPY (${source.records} rows)…`);
  const postgres = await benchPostgresSink({ topicPrefix: `${run.prefix}a`, expectedRows: source.records });
  run.results.postgres = postgres;
  run.rows.push({
    benchmark: `PostgreSQL sink, ${postgres.rows} booking rows`,
    figure: `${postgres.rowsPerSecond} rows/s from the first write (${postgres.seconds} s); ${postgres.rowsPerSecondFromSpawn} rows/s from spawn; ${cpuNote(postgres)}; µs/row by stage over ${postgres.batches} batches (${postgres.paths.inserted} inserted, ${postgres.paths.merged} merged, ${postgres.refusedInserts} inserts refused): ${Object.entries(
      postgres.stageMicrosPerRow,
    )
      .map(([stage, micros]) => `${stage} ${micros}`)
      .join(', ')}`,
    limit: `COPY of the same rows ${postgres.directRowsPerSecond} rows/s (server ${postgres.cpuMicrosPerRow.engineDirect} µs CPU/row)`,
    ratio: ratio(postgres.rowsPerSecond, postgres.directRowsPerSecond),
    target: '≥ 0.6×',
    peakRss: `${postgres.peakRssMb} MB`,
  });
}

async function webhooksPart(run: Run): Promise<void> {
  say(
    'end-to-end freshness through `bookeo-connect run`: a booking edited at the simulator → its new version in ClickHouse…',
  );
  const freshness = await benchFreshness({
    topicPrefix: `${run.prefix}f`,
    database: `${run.prefix}_fresh`,
    scale: 5_000,
    edits: quick ? 10 : 30,
  });
  run.results.freshness = freshness;
  run.rows.push(freshnessRow(freshness));
  const webhooks = await benchWebhooks({ prefix: run.prefix, quick, polling: freshness });
  run.rows.push(...webhooks.rows);
  Object.assign(run.results, webhooks.results);
}

/** The backfill with API latency, then (as its own row) the replay of its topic into a fresh ClickHouse table. */
async function backfillPart(run: Run): Promise<void> {
  say(
    `source backfill of ${run.sizes.big} bookings with 100 ms API latency (rate budget 100/s, 8 concurrent, 4 windows)…`,
  );
  const big = await benchSource({
    scale: run.sizes.big,
    latencyMs: 100,
    requestsPerSecond: 100,
    concurrency: 8,
    parallelWindows: 4,
    measureRaw: false,
    topicPrefix: `${run.prefix}b`,
  });
  run.big = big;
  run.results.backfillWithLatency = big;
  run.rows.push({
    benchmark: `backfill ${big.records} bookings, 100 ms latency`,
    figure: `${big.seconds} s, ${big.recordsPerSecond} records/s, ${big.calls} calls; ${sourceCpuNote(big)}`,
    limit: `budget 100 calls/s → ≥ ${Math.ceil(big.calls / 100)} s`,
    ratio: '-',
    target: '< 600 s',
    peakRss: `${big.peakRssMb} MB`,
  });
}

async function listingPart(run: Run): Promise<void> {
  say('first full listing of customers and their linked people, 50 ms API latency (rate budget 100/s, 8 concurrent)…');
  const listing = await benchFullListing({
    scale: quick ? 5_000 : 10_000,
    latencyMs: 50,
    requestsPerSecond: 100,
    concurrency: 8,
    topicPrefix: `${run.prefix}c`,
  });
  run.results.fullListing = listing;
  run.rows.push({
    benchmark: `full listing, ${listing.customers} customers + ${listing.linkedPeople} linked people, 50 ms latency`,
    figure: `${listing.seconds} s, ${listing.calls} calls`,
    limit: `budget 100 calls/s → ≥ ${listing.budgetSeconds} s`,
    ratio: ratio(listing.budgetSeconds, listing.seconds),
    target: '-',
    peakRss: `${listing.peakRssMb} MB`,
  });
}

async function replayPart(run: Run): Promise<void> {
  const big = run.big;
  if (big === undefined) return;
  say(`replay of the ${big.records}-record bookings topic into a fresh ClickHouse table…`);
  const replay = await benchSink({
    topicPrefix: `${run.prefix}b`,
    expectedRows: big.records,
    database: `${run.prefix}_replay`,
  });
  run.results.replay = replay;
  run.rows.push({
    benchmark: `replay ${replay.rows} rows into a fresh ClickHouse table`,
    figure: `${replay.rowsPerSecond} rows/s from the first write (${replay.seconds} s); ${replay.rowsPerSecondFromSpawn} rows/s from spawn; ${cpuNote(replay)}`,
    limit: `direct insert ${replay.directRowsPerSecond} rows/s (engine ${replay.cpuMicrosPerRow.engineDirect} µs CPU/row); in inserts of ${replay.batchMaxRows} rows ${replay.batchedDirectRowsPerSecond} rows/s (${ratio(replay.rowsPerSecond, replay.batchedDirectRowsPerSecond)})`,
    ratio: ratio(replay.rowsPerSecond, replay.directRowsPerSecond),
    target: '-',
    peakRss: `${replay.peakRssMb} MB`,
  });
}

/** In the order of the full run; the replay belongs to the backfill (it loads the backfill's topic). */
const STEPS: readonly [Part, (run: Run) => Promise<void>][] = [
  ['simulator', simulatorPart],
  ['source', async (run) => void (await sourcePart(run, true))],
  ['clickhouse', clickhousePart],
  ['duckdb', duckdbPart],
  ['postgres', postgresPart],
  ['webhooks', webhooksPart],
  ['backfill', backfillPart],
  ['listing', listingPart],
  ['backfill', replayPart],
];

async function main(): Promise<void> {
  const prefix = `bench${Date.now().toString(36)}`;
  const run: Run = {
    sizes: quick ? { sim: 100_000, source: 20_000, big: 100_000 } : { sim: 200_000, source: 100_000, big: 1_000_000 },
    prefix,
    kafka: stackKafka(prefix),
    rows: [],
    results: { quick, at: new Date().toISOString() },
  };
  const wanted = (part: Part): boolean => only === undefined || only.includes(part);
  try {
    say('building the CLI the children run (dist/, as the image runs it)…');
    buildCli();
    for (const [part, step] of STEPS) if (wanted(part)) await step(run);
  } finally {
    await cleanupPrefix(run.kafka, prefix).catch(() => undefined);
  }
  writeReport(run.rows, run.results, only === undefined ? 'latest.json' : `latest-${only.join('-')}.json`);
}

await main();
