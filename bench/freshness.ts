/**
 * End-to-end freshness: a booking edited at "Bookeo" (the simulator, on the real clock) → the new
 * version visible in ClickHouse, through `bookeo-connect run` (source and ClickHouse sink in one
 * child process, so its peak RSS is the pipeline's). Edits are made one at a time after the
 * backfill; each is timed from the edit to the first query that sees its version.
 *
 * The limit printed next to it is the design's own floor for these settings: a change becomes
 * eligible after the safety lag, waits for the next poll (up to the poll interval), and for the
 * sink's batch age cut; the rest is the pipeline's own cost.
 */
import { writeFileSync } from 'node:fs';
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { namespacedNames } from '../contract/namespace.js';
import { stackEndpoints } from '../deploy/stack/endpoints.js';
import { startSimulator } from '../simulator/index.js';
import { waitFor } from '../testkit/wait-for.js';
import { benchConfigPath, runCli } from './processes.js';

export interface FreshnessBenchResult {
  readonly edits: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly maxMs: number;
  /** safety lag + poll interval + sink batch age: the worst case the settings allow before any work. */
  readonly settingsFloorMs: number;
  readonly peakRssMb: number;
}

const SETTINGS = { pollIntervalSeconds: 1, safetyLagSeconds: 1, maxAgeMs: 200 };

const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

export async function benchFreshness(options: {
  topicPrefix: string;
  database: string;
  scale: number;
  edits: number;
}): Promise<FreshnessBenchResult> {
  const simulator = await startSimulator({ seed: 5, scale: options.scale, clock: 'real', mutationRate: 0.0001 });
  const clickhouse = createClient({ url: stackEndpoints().clickhouseUrl, log: { level: ClickHouseLogLevel.OFF } });
  const configFile = benchConfigPath('run');
  const namespaced = namespacedNames(options.topicPrefix);
  const from = new Date(simulator.admin.now().getTime() - 800 * 86_400_000).toISOString().slice(0, 10);
  writeFileSync(
    configFile,
    JSON.stringify({
      log: { level: 'warn', format: 'json' },
      bookeo: {
        baseUrl: simulator.url,
        secretKey: simulator.secretKey,
        accounts: [{ id: 'bench', apiKey: simulator.apiKeys[0] }],
        requestsPerSecond: 200,
        maxConcurrency: 8,
      },
      kafka: { brokers: [stackEndpoints().kafkaBroker], topicPrefix: options.topicPrefix, partitions: 2 },
      schemaRegistry: { url: stackEndpoints().registryUrl },
      clickhouse: { url: stackEndpoints().clickhouseUrl, database: options.database },
      http: { port: 0 },
      source: {
        backfillFrom: from,
        pollIntervalSeconds: SETTINGS.pollIntervalSeconds,
        safetyLagSeconds: SETTINGS.safetyLagSeconds,
        lookbackSeconds: 30,
        resources: ['bookings'],
        offsetsTopic: namespaced.offsetsTopic,
        deadLetterTopic: namespaced.deadLetterTopic,
      },
      sink: {
        groupId: namespaced.sinkGroupId('clickhouse'),
        deadLetterTopic: namespaced.sinkDeadLetterTopic('clickhouse'),
        batch: { maxAgeMs: SETTINGS.maxAgeMs },
      },
    }),
  );
  const versionOf = async (id: string): Promise<number> => {
    const result = await clickhouse.query({
      query: `SELECT max(_version) AS v FROM \`${options.database}\`.bookings WHERE id = {id:String}`,
      query_params: { id },
      format: 'JSONEachRow',
    });
    return Number((await result.json<{ v: string | number | null }>())[0]?.v ?? -1);
  };
  const pipeline = runCli(['run', '--config', configFile, '--destination', 'clickhouse']);
  try {
    await waitFor(
      async () => {
        const result = await clickhouse
          .query({ query: `SELECT count() AS n FROM \`${options.database}\`.bookings FINAL`, format: 'JSONEachRow' })
          .catch(() => undefined);
        return (
          result !== undefined &&
          Number((await result.json<{ n: string }>())[0]?.n) > 0 &&
          pipeline.process.exitCode === null
        );
      },
      { what: 'the backfill to reach ClickHouse', timeoutMs: 300_000, intervalMs: 250 },
    );
    const latencies: number[] = [];
    for (let edit = 0; edit < options.edits; edit++) {
      const [id] = simulator.admin.mutate({ editBookings: 1 }).ids.editBookings;
      if (id === undefined) throw new Error('the simulator edited no booking');
      const before = await versionOf(id);
      const editedAt = performance.now();
      await waitFor(async () => (await versionOf(id)) > before, {
        what: `booking ${id}'s new version in ClickHouse`,
        timeoutMs: 60_000,
        intervalMs: 20,
      });
      latencies.push(performance.now() - editedAt);
    }
    latencies.sort((a, b) => a - b);
    return {
      edits: latencies.length,
      p50Ms: Math.round(percentile(latencies, 50)),
      p95Ms: Math.round(percentile(latencies, 95)),
      maxMs: Math.round(latencies.at(-1) ?? 0),
      settingsFloorMs: (SETTINGS.safetyLagSeconds + SETTINGS.pollIntervalSeconds) * 1000 + SETTINGS.maxAgeMs,
      peakRssMb: pipeline.peakRssMb(),
    };
  } finally {
    pipeline.process.kill('SIGTERM');
    await pipeline.exit;
    await clickhouse.command({ query: `DROP DATABASE IF EXISTS \`${options.database}\`` }).catch(() => undefined);
    await clickhouse.close();
    await simulator.close();
  }
}
