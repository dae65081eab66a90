/**
 * The pipeline the freshness and webhook benchmarks run: a simulator on the real clock in this
 * process, and `bookeo-connect run` (source and ClickHouse sink in one child process) reading it,
 * polling only or with the webhook receiver on. Waits for the backfill to reach ClickHouse and, with
 * webhooks, for the source to have registered them; cleans up the database and the child.
 */
import { writeFileSync } from 'node:fs';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { namespacedNames } from '../contract/namespace.js';
import { stackEndpoints } from '../deploy/stack/endpoints.js';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '../simulator/index.js';
import { waitFor } from '../testkit/wait-for.js';
import { freePort } from '../testkit/free-port.js';
import { benchConfigPath, runCli, type Child } from './processes.js';

/** The account id the pipeline's config gives the simulator's first account (the receiver's path). */
export const BENCH_ACCOUNT = 'bench';

export interface PipelineOptions {
  readonly topicPrefix: string;
  readonly database: string;
  readonly scale: number;
  readonly resources: readonly string[];
  /** `source` keys merged over the defaults (intervals); a missing key keeps the connector's default. */
  readonly source?: Record<string, unknown>;
  /** Run the receiver; `register` lets the source register the webhooks at the simulator. */
  readonly webhooks?: { readonly register: boolean };
  readonly requestsPerSecond: number;
  readonly sinkMaxAgeMs: number;
  readonly simulator?: SimulatorOptions;
}

export interface BenchPipeline {
  readonly simulator: RunningSimulator;
  readonly clickhouse: ClickHouseClient;
  readonly child: Child;
  /** `<publicUrl>` of the receiver (webhooks only). */
  readonly publicUrl: string | undefined;
  /** Highest `_version` (Kafka offset) of a booking in ClickHouse, -1 when absent. */
  versionOf(id: string): Promise<number>;
  close(): Promise<void>;
}

export async function startPipeline(options: PipelineOptions): Promise<BenchPipeline> {
  const simulator = await startSimulator({
    seed: 5,
    scale: options.scale,
    clock: 'real',
    mutationRate: 0.0001,
    ...options.simulator,
  });
  const clickhouse = createClient({ url: stackEndpoints().clickhouseUrl, log: { level: ClickHouseLogLevel.OFF } });
  const namespaced = namespacedNames(options.topicPrefix);
  const from = new Date(simulator.admin.now().getTime() - 800 * 86_400_000).toISOString().slice(0, 10);
  const port = options.webhooks === undefined ? undefined : await freePort();
  const publicUrl = port === undefined ? undefined : `http://127.0.0.1:${port}/hooks`;
  const configFile = benchConfigPath('run');
  writeFileSync(
    configFile,
    JSON.stringify({
      log: { level: 'warn', format: 'json' },
      bookeo: {
        baseUrl: simulator.url,
        secretKey: simulator.secretKey,
        accounts: [{ id: BENCH_ACCOUNT, apiKey: simulator.apiKeys[0] }],
        requestsPerSecond: options.requestsPerSecond,
        maxConcurrency: 8,
      },
      kafka: { brokers: [stackEndpoints().kafkaBroker], topicPrefix: options.topicPrefix, partitions: 2 },
      schemaRegistry: { url: stackEndpoints().registryUrl },
      clickhouse: { url: stackEndpoints().clickhouseUrl, database: options.database },
      http: { port: 0 },
      source: {
        backfillFrom: from,
        lookbackSeconds: 30,
        resources: options.resources,
        offsetsTopic: namespaced.offsetsTopic,
        deadLetterTopic: namespaced.deadLetterTopic,
        ...options.source,
      },
      sink: {
        groupId: namespaced.sinkGroupId('clickhouse'),
        deadLetterTopic: namespaced.sinkDeadLetterTopic('clickhouse'),
        batch: { maxAgeMs: options.sinkMaxAgeMs },
      },
      ...(options.webhooks === undefined
        ? {}
        : {
            webhooks: {
              enabled: true,
              publicUrl,
              host: '127.0.0.1',
              port,
              register: options.webhooks.register,
            },
          }),
    }),
  );
  const child = runCli(['run', '--config', configFile, '--destination', 'clickhouse']);
  const close = async (): Promise<void> => {
    child.process.kill('SIGTERM');
    await child.exit;
    await clickhouse.command({ query: `DROP DATABASE IF EXISTS \`${options.database}\`` }).catch(() => undefined);
    await clickhouse.close();
    await simulator.close();
  };
  try {
    await waitFor(
      async () => {
        const result = await clickhouse
          .query({ query: `SELECT count() AS n FROM \`${options.database}\`.bookings FINAL`, format: 'JSONEachRow' })
          .catch(() => undefined);
        return (
          result !== undefined &&
          Number((await result.json<{ n: string }>())[0]?.n) > 0 &&
          child.process.exitCode === null
        );
      },
      { what: 'the backfill to reach ClickHouse', timeoutMs: 300_000, intervalMs: 250 },
    );
    if (publicUrl !== undefined && options.webhooks?.register === true)
      await waitFor(() => bookingUpdatesRegistered(simulator, publicUrl), {
        what: 'the source to register its webhooks',
        timeoutMs: 60_000,
        intervalMs: 100,
      });
  } catch (error) {
    await close();
    throw error;
  }
  return {
    simulator,
    clickhouse,
    child,
    publicUrl,
    versionOf: async (id) => {
      const result = await clickhouse.query({
        query: `SELECT max(_version) AS v FROM \`${options.database}\`.bookings WHERE id = {id:String}`,
        query_params: { id },
        format: 'JSONEachRow',
      });
      return Number((await result.json<{ v: string | number | null }>())[0]?.v ?? -1);
    },
    close,
  };
}

/** Whether `bookings/updated` (what the benchmarks' edits send) is registered at the receiver's URL. */
async function bookingUpdatesRegistered(simulator: RunningSimulator, publicUrl: string): Promise<boolean> {
  for await (const webhook of simulator.admin.groundTruth('webhooks'))
    if (String(webhook.url).startsWith(publicUrl) && webhook.domain === 'bookings' && webhook.type === 'updated')
      return true;
  return false;
}

export const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
