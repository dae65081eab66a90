/**
 * `npm run demo`: the whole product on this machine in one command. Starts the local stack (what
 * is not running yet), a simulated Bookeo account (or uses the Bookeo credentials configured),
 * the source and a ClickHouse sink in this process; shows the backfill's progress, then a summary
 * and two queries; then stays live (simulator mutations flow through) until Ctrl-C, and stops
 * everything it started.
 */
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { startApp, type App } from '../app/app.js';
import { createSchemaRegistry } from '../avro/registry.js';
import { loadConfig, validateConfig } from '../common/config/load.js';
import type { AppConfig } from '../common/config/schema.js';
import { createLogger, type Logger } from '../common/logger.js';
import { formatTable } from '../common/text-table.js';
import { namespacedNames } from '../contract/namespace.js';
import { stackEndpoints } from '../deploy/stack/endpoints.js';
import { createStackContext, downStack, upStack } from '../deploy/stack/stack.js';
import { withAdmin } from '../kafka/admin.js';
import { createKafka } from '../kafka/client.js';
import { topicEnds } from '../sinks/runner/group-admin.js';
import { startSimulator, type RunningSimulator } from '../simulator/index.js';
import { resetDemoNamespace } from './reset.js';
import { SAMPLE_QUERIES, rowsIn, runQuery, summarize, type FetchedResource } from './summary.js';

export interface DemoOptions {
  readonly config?: string | undefined;
  readonly scale: number;
  /** Exit after the summary instead of staying live. */
  readonly once: boolean;
}

const say = (line = ''): void => void process.stdout.write(`${line}\n`);

/** The demo's namespace: every topic and group of the demo starts with it, so a run can start from scratch. */
const DEMO_PREFIX = 'demo';

/** The demo's configuration: the user's file/environment, with the local stack and (without Bookeo credentials) the simulator filled in. */
function demoConfig(base: AppConfig, simulator: RunningSimulator | undefined): AppConfig {
  const endpoints = stackEndpoints();
  const raw = JSON.parse(JSON.stringify(base)) as Record<string, Record<string, unknown>>;
  raw.log = { level: 'warn', format: 'json' };
  const names = namespacedNames(DEMO_PREFIX);
  raw.kafka = { ...raw.kafka, brokers: [endpoints.kafkaBroker], topicPrefix: DEMO_PREFIX, partitions: 2 };
  raw.schemaRegistry = { ...raw.schemaRegistry, url: endpoints.registryUrl };
  raw.clickhouse = { ...raw.clickhouse, url: endpoints.clickhouseUrl, database: 'demo' };
  raw.sink = {
    ...raw.sink,
    groupId: names.sinkGroupId('clickhouse'),
    deadLetterTopic: names.sinkDeadLetterTopic('clickhouse'),
    batch: { maxRows: 50_000, maxAgeMs: 1_000 },
  };
  raw.source = {
    ...raw.source,
    offsetsTopic: names.offsetsTopic,
    deadLetterTopic: names.deadLetterTopic,
    pollIntervalSeconds: 5,
    safetyLagSeconds: 5,
    lookbackSeconds: 60,
    snapshotIntervalSeconds: 60,
  };
  if (simulator !== undefined) {
    const from = new Date(simulator.admin.now().getTime() - 400 * 86_400_000).toISOString().slice(0, 10);
    raw.bookeo = {
      ...raw.bookeo,
      baseUrl: simulator.url,
      secretKey: simulator.secretKey,
      accounts: [{ id: 'demo', apiKey: simulator.apiKeys[0] }],
      requestsPerSecond: 200,
      maxConcurrency: 8,
    };
    raw.source = { ...raw.source, backfillFrom: from, parallelWindows: 4 };
  }
  return validateConfig(raw, 'demo configuration');
}

/** The account's resources as the source's status board shows them (what GET /tasks/<account> answers). */
function fetched(source: NonNullable<App['source']>, account: string): Record<string, FetchedResource> {
  return source.status.get(account)?.resources ?? {};
}

function progressLine(resources: Readonly<Record<string, FetchedResource>>, started: number): string {
  const seconds = (Date.now() - started) / 1000;
  const parts = Object.entries(resources).map(([name, entry]) => {
    const head = `${name} ${entry.records} (${entry.apiCalls} pages`;
    if (entry.progress === null || entry.progress.total === 0) return `${head})`;
    const { done, total } = entry.progress;
    // ETA from the share of windows done so far; windows hold similar numbers of bookings.
    const eta = done === 0 ? '?' : done >= total ? '0' : ((seconds * (total - done)) / done).toFixed(0);
    return `${head}, ${Math.round(entry.records / Math.max(seconds, 0.001))}/s, ${done}/${total} windows, ETA ${eta} s)`;
  });
  const total = Object.values(resources).reduce((sum, entry) => sum + entry.records, 0);
  return `[${seconds.toFixed(0)} s] ${total} records (${Math.round(total / Math.max(seconds, 0.001))}/s): ${parts.join(', ')}`;
}

export async function runDemo(options: DemoOptions): Promise<void> {
  const began = Date.now();
  say('bookeo-connect demo: starting the local stack (the first run downloads Kafka and Apicurio, a few minutes)');
  const stack = await upStack(createStackContext(undefined, (line) => say(`  stack: ${line}`)));
  const logger: Logger = createLogger({ level: 'warn', format: 'json' });
  const user = loadConfig({ file: options.config });
  const useBookeo = user.bookeo.secretKey !== undefined && user.bookeo.accounts.length > 0;
  // About one change a second, so live mode visibly moves (a real business changes far less often).
  const simulator = useBookeo
    ? undefined
    : await startSimulator({ scale: options.scale, clock: 'real', mutationRate: 60, autoTick: { intervalMs: 1_000 } });
  const config = demoConfig(user, simulator);
  const account = config.bookeo.accounts[0]?.id as string;
  say(
    simulator === undefined
      ? `using Bookeo at ${config.bookeo.baseUrl}`
      : `simulated Bookeo account with ${options.scale} bookings at ${simulator.url}`,
  );

  const registry = createSchemaRegistry({ url: config.schemaRegistry.url });
  const clickhouse = createClient({ url: config.clickhouse.url, log: { level: ClickHouseLogLevel.OFF } });
  let app: App | undefined;
  const stopAll = async (): Promise<void> => {
    await app?.stop().catch(() => undefined);
    await Promise.allSettled([registry.close(), clickhouse.close(), simulator?.close()]);
    if (stack.started.length > 0) {
      say(`stopping the stack services this demo started: ${stack.started.join(', ')}`);
      await downStack(undefined, stack.started);
    }
  };

  try {
    const kafka = createKafka(config.kafka, logger, 'demo');
    await resetDemoNamespace(kafka, registry, clickhouse, {
      prefix: config.kafka.topicPrefix,
      groupId: config.sink.groupId as string,
      database: config.clickhouse.database,
    });
    app = await startApp({ config, logger, source: true, destinations: ['clickhouse'] });
    const source = app.source as NonNullable<App['source']>;
    const [sink] = app.sinks;
    if (sink === undefined) throw new Error('the demo app started no sink');
    say(`source and ClickHouse sink running; REST and metrics at ${app.http?.url ?? '(none)'}`);
    const { topics } = app;

    say('backfilling (per resource: records published, pages fetched, rate, windows done, ETA):');
    const backfillStarted = Date.now();
    const ticker = setInterval(() => say(`  ${progressLine(fetched(source, account), backfillStarted)}`), 2_000);
    try {
      for (const task of source.tasks) await task.pollOnce();
    } finally {
      clearInterval(ticker);
    }
    say(`  ${progressLine(fetched(source, account), backfillStarted)}`);
    say('waiting for the ClickHouse sink to catch up...');
    const ends = await withAdmin(kafka, (admin) => topicEnds(admin, topics));
    await sink.sink.runner.caughtUp(ends);

    const summary = await summarize(fetched(source, account), registry, clickhouse, {
      database: config.clickhouse.database,
      topicPrefix: config.kafka.topicPrefix,
    });
    say();
    say(
      formatTable(
        ['resource', 'records fetched', 'topic', 'schema version', 'rows in ClickHouse (FINAL)'],
        summary.map((row) => [row.resource, row.fetched, row.topic, row.schemaVersion, row.rows]),
      ),
    );
    for (const query of SAMPLE_QUERIES) {
      say();
      say(`${query.title}:`);
      say(await runQuery(clickhouse, query.sql(config.clickhouse.database)));
    }
    say();
    say(
      `ready in ${((Date.now() - began) / 1000).toFixed(0)} s. Your own queries: npm run cli -- sql "SELECT count() FROM demo.bookings FINAL"`,
    );
    if (options.once) return;

    say('live: the simulator keeps changing bookings and customers; changes flow to ClickHouse. Ctrl-C to stop.');
    const stopped = new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    const live = Promise.all(source.tasks.map((task) => task.run()));
    const liveTicker = setInterval(() => {
      const line = progressLine(fetched(source, account), began);
      void rowsIn(clickhouse, config.clickhouse.database, 'bookings').then((rows) =>
        say(`  live: ${line}; bookings in ClickHouse: ${rows}`),
      );
    }, 10_000);
    await stopped;
    clearInterval(liveTicker);
    say('stopping...');
    await app.stop();
    await live.catch(() => undefined);
  } finally {
    await stopAll();
  }
}
