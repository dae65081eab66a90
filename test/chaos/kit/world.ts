/**
 * One chaos scenario's world: a simulated Bookeo account on the real clock that keeps changing
 * (new, edited and canceled bookings; customers created, edited and deleted, with their bookings), its own topics,
 * subjects, consumer group and ClickHouse database under a unique prefix, and the source and a
 * ClickHouse sink as separate processes started from the CLI. `close()` removes all of it and
 * stops only the processes it started.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { validateConfig } from '../../../common/config/load.js';
import type { AppConfig } from '../../../common/config/schema.js';
import { createKafka, type KafkaClient } from '../../../kafka/client.js';
import { createLogger } from '../../../common/logger.js';
import { stackEndpoints } from '../../../deploy/stack/endpoints.js';
import {
  startSimulator,
  type MutationRequest,
  type RunningSimulator,
  type SimulatorOptions,
} from '../../../simulator/index.js';
import { cleanupPrefix } from '../../../testkit/source-cleanup.js';
import { sourceTestConfig } from '../../helpers/source-fixture.js';
import { stackClickHouse } from '../../helpers/stack.js';
import { uniqueName } from '../../../testkit/wait-for.js';
import { startConnector, type ConnectorProcess } from './processes.js';
import { freePort } from '../../../testkit/free-port.js';

/** Live changes per churn step (every CHURN_INTERVAL_MS): a busy account's pace, many times over. */
const CHURN: MutationRequest = {
  newBookings: 2,
  editBookings: 2,
  cancelBookings: 1,
  newCustomers: 1,
  editCustomers: 1,
};
/** Every this many steps a customer is deleted too, and with it their bookings (hard deletes: only a sweep finds those). */
const DELETE_EVERY = 5;
const CHURN_INTERVAL_MS = 400;

export interface WorldOptions {
  readonly name: string;
  readonly seed: number;
  /** Bookings at start (customers ≈ scale / 5). */
  readonly scale: number;
  /** Changes to the generated configuration (plain JSON, as an operator's file). */
  readonly configure?: (raw: Record<string, Record<string, unknown>>) => void;
  /** Simulator settings over the world's (webhook delivery settings, days of future bookings). */
  readonly simulator?: Pick<SimulatorOptions, 'webhooks' | 'futureDays'>;
}

export interface ChaosWorld {
  readonly simulator: RunningSimulator;
  readonly apiKey: string;
  readonly config: AppConfig;
  readonly configFile: string;
  readonly prefix: string;
  readonly database: string;
  readonly groupId: string;
  readonly kafka: KafkaClient;
  readonly clickhouse: ClickHouseClient;
  /** Starts a source process (`source -c <file>`), on its own ops port. */
  startSource(label?: string): Promise<ConnectorProcess>;
  /** Starts a ClickHouse sink process (`sink run clickhouse -c <file>`), on its own ops port. */
  startSink(label?: string): Promise<ConnectorProcess>;
  /** Bookeo keeps changing until `stopChurn()`; returns how many changes were applied so far. */
  startChurn(): void;
  stopChurn(): number;
  /** The end of every process's log, for a failure message. */
  logs(): Promise<string>;
  close(): Promise<void>;
}

export async function createWorld(options: WorldOptions): Promise<ChaosWorld> {
  const simulator = await startSimulator({
    seed: options.seed,
    scale: options.scale,
    clock: 'real',
    historyDays: 120,
    futureDays: 20,
    ...options.simulator,
  });
  const apiKey = simulator.apiKeys[0] as string;
  const prefix = uniqueName(`chaos_${options.name}`);
  const database = prefix.replace(/[^A-Za-z0-9_]/g, '_');
  const groupId = `${prefix}-sink`;
  const workDir = mkdtempSync(join(tmpdir(), `bookeo-chaos-${options.name}-`));
  const raw = JSON.parse(JSON.stringify(sourceTestConfig(simulator, { prefix }))) as Record<
    string,
    Record<string, unknown>
  >;
  raw.log = { level: 'info', format: 'json' };
  raw.bookeo = {
    ...raw.bookeo,
    requestsPerSecond: 100,
    maxConcurrency: 4,
    retries: 8,
    requestTimeoutMs: 3_000,
    connectTimeoutMs: 2_000,
  };
  raw.source = {
    ...raw.source,
    backfillFrom: new Date(Date.now() - 130 * 86_400_000).toISOString().slice(0, 10),
    safetyLagSeconds: 1,
    lookbackSeconds: 10,
    pollIntervalSeconds: 1,
    snapshotIntervalSeconds: 10,
    sweepIntervalSeconds: 15,
    maxRecordsPerTransaction: 200,
    unhealthyAfterSeconds: 3,
  };
  raw.clickhouse = { url: stackEndpoints().clickhouseUrl, database };
  raw.sink = {
    groupId,
    deadLetterTopic: `${prefix}.dlq-sink`,
    batch: { maxRows: 500, maxAgeMs: 200 },
    kafkaOutageTimeoutSeconds: 120,
  };
  raw.startup = { timeoutSeconds: 120 };
  options.configure?.(raw);
  const config = validateConfig(raw);
  const configFile = join(workDir, 'config.json');
  writeFileSync(configFile, JSON.stringify(raw));
  const kafka = createKafka(config.kafka, createLogger({ level: 'silent', format: 'json' }), `${prefix}-check`);
  const clickhouse = stackClickHouse();
  const processes: ConnectorProcess[] = [];
  let churn: NodeJS.Timeout | undefined;
  let changes = 0;

  const launch = async (name: string, args: string[]): Promise<ConnectorProcess> => {
    const port = await freePort();
    const file = join(workDir, `${name}-${port}.json`);
    writeFileSync(file, JSON.stringify({ ...raw, http: { ...raw.http, port } }));
    const started = startConnector(name, [...args, '-c', file], {
      opsUrl: `http://127.0.0.1:${port}`,
      logDir: workDir,
    });
    processes.push(started);
    return started;
  };

  return {
    simulator,
    apiKey,
    config,
    configFile,
    prefix,
    database,
    groupId,
    kafka,
    clickhouse,
    startSource: (label = 'source') => launch(label, ['source']),
    startSink: (label = 'sink') => launch(label, ['sink', 'run', 'clickhouse']),
    startChurn() {
      let step = 0;
      churn ??= setInterval(() => {
        const { applied } = simulator.admin.mutate(
          ++step % DELETE_EVERY === 0 ? { ...CHURN, deleteCustomers: 1 } : CHURN,
          apiKey,
        );
        changes += Object.values(applied).reduce((sum, count) => sum + count, 0);
      }, CHURN_INTERVAL_MS);
    },
    stopChurn() {
      clearInterval(churn);
      churn = undefined;
      return changes;
    },
    async logs() {
      const tails = await Promise.all(
        processes.map(async (process) => `--- ${process.name} (${process.logFile}) ---\n${await process.logTail(30)}`),
      );
      return tails.join('\n');
    },
    async close() {
      clearInterval(churn);
      await Promise.all(processes.map((process) => process.kill9()));
      await clickhouse.command({ query: `DROP DATABASE IF EXISTS \`${database}\`` }).catch(() => undefined);
      await clickhouse.close();
      await cleanupPrefix(kafka, prefix).catch(() => undefined);
      await simulator.close();
      if (process.env.CHAOS_KEEP_LOGS === undefined) rmSync(workDir, { recursive: true, force: true });
    },
  };
}
