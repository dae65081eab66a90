/**
 * `bookeo-connect sink <destination>`, `sink reset` and `sink rebuild <resource>`. Each command
 * loads the validated configuration, builds its clients here (the edge), and hands them down.
 */
import type { Command } from 'commander';
import { loadConfig } from '../../common/config/load.js';
import type { AppConfig } from '../../common/config/schema.js';
import { ConfigError, ConnectError } from '../../common/errors.js';
import { createLogger, type Logger } from '../../common/logger.js';
import { createMetricsRegistry } from '../../common/metrics.js';
import { startOpsServer } from '../../common/ops-server.js';
import { waitForDependency } from '../../common/startup.js';
import { createSchemaRegistry } from '../../avro/registry.js';
import { sinkGroupId } from '../../contract/group-id.js';
import { resourceTopic, resourceTopics, topicName } from '../../contract/topics.js';
import { withAdmin, type KafkaAdmin } from '../../kafka/admin.js';
import { createKafka, type KafkaClient } from '../../kafka/client.js';
import { DESTINATIONS, checkDestination, destinationFactory } from './destinations.js';
import { resetGroup, type ResetTarget } from './group-admin.js';
import { createSinkMetrics } from './metrics.js';
import { rebuildResource } from './rebuild.js';
import { createRegistryDecoder } from './registry-decoder.js';
import { startConfiguredSink, type ConfiguredSink } from './configured-sink.js';

interface CommonOptions {
  readonly config?: string;
}

function setup(options: CommonOptions, component: string): { config: AppConfig; logger: Logger; kafka: KafkaClient } {
  const config = loadConfig({ file: options.config });
  const logger = createLogger({ level: config.log.level, format: config.log.format }).child({ component });
  return { config, logger, kafka: createKafka(config.kafka, logger, component) };
}

/**
 * The configured resources' topics, or every resource topic (of a published resource,
 * contract/resources.ts) that exists. Only those: an offsets or dead-letter topic that happens to
 * sit under the prefix is not a table (loading its own dead letters would loop). None yet is a
 * retriable failure: a sink deployed next to a new source waits for the source to create them.
 */
export async function sinkTopics(admin: KafkaAdmin, config: AppConfig): Promise<string[]> {
  const prefix = config.kafka.topicPrefix;
  if (config.sink.resources !== undefined)
    return config.sink.resources.map((resource) => resourceTopic(prefix, resource));
  const published = new Set(resourceTopics(prefix));
  const topics = (await admin.listTopics()).filter((topic) => published.has(topic)).sort();
  if (topics.length === 0)
    throw new ConnectError(
      `no resource topic named ${topicName(prefix, '<resource>')} exists yet (the source creates them at its start; or list sink.resources)`,
      { retriable: true },
    );
  return topics;
}

/**
 * The ops server listens first, so /readyz says what the start waits for (Kafka, the registry; each
 * waited for up to `startup.timeoutSeconds`); a signal during the start ends it quietly. The
 * command returns when the sink stopped: after SIGTERM/SIGINT, or with the failure that stopped it
 * (the CLI then exits non-zero).
 */
async function runSink(destinationName: string, options: CommonOptions): Promise<void> {
  checkDestination(destinationName);
  const config = loadConfig({ file: options.config });
  // No component here: the configured sink names its own (a second one would repeat the key in each line).
  const logger = createLogger({ level: config.log.level, format: config.log.format });
  const kafka = createKafka(config.kafka, logger, `sink-${destinationName}-admin`);
  const metricsRegistry = createMetricsRegistry();
  let waiting: string | undefined = 'starting';
  let started: { configured: ConfiguredSink; topics: readonly string[] } | undefined;
  const starting = new AbortController();
  const stop = (): void =>
    void started?.configured.sink
      .stop()
      .catch((error: unknown) => logger.error({ err: error }, 'graceful stop failed'));
  const onSignal = (signal: NodeJS.Signals): void => {
    logger.info({ signal }, 'stopping: flushing open batches and committing what is written');
    starting.abort();
    stop();
  };
  const ops = await startOpsServer({
    host: config.http.host,
    port: config.http.port,
    bearerToken: config.http.bearerToken,
    metrics: metricsRegistry,
    logger,
    notReadyReason: () => waiting ?? started?.configured.notReadyReason(),
    routes: [
      {
        method: 'GET',
        path: '/sink/status',
        handler: () => {
          if (started === undefined) return { destination: destinationName, state: 'starting', reason: waiting };
          const { sink } = started.configured;
          return {
            destination: destinationName,
            topics: started.topics,
            deadLetterTopic: sink.deadLetterTopic,
            ...sink.runner.status(),
          };
        },
      },
    ],
  });
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    const wait = {
      timeoutMs: config.startup.timeoutSeconds * 1000,
      logger,
      signal: starting.signal,
      onWaiting: (reason: string | undefined) => void (waiting = reason ?? 'starting'),
    };
    const topics = await waitForDependency(() => withAdmin(kafka, (admin) => sinkTopics(admin, config)), {
      ...wait,
      dependency: `Kafka at ${config.kafka.brokers.join(',')}`,
    });
    const configured = await startConfiguredSink({
      config,
      destinationName,
      topics,
      metrics: metricsRegistry,
      logger,
      signal: wait.signal,
      onWaiting: wait.onWaiting,
    });
    started = { configured, topics };
    waiting = undefined;
    const { sink } = configured;
    logger.info({ topics, groupId: sink.groupId, deadLetterTopic: sink.deadLetterTopic, ops: ops.url }, 'sink running');
    if (starting.signal.aborted) stop();
    try {
      await sink.runner.done;
    } finally {
      await configured.close();
    }
  } catch (error) {
    if (!starting.signal.aborted || started !== undefined) throw error;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await ops.close();
  }
}

function parseTarget(options: { toTimestamp?: string }): ResetTarget {
  if (options.toTimestamp === undefined) return { kind: 'earliest' };
  const ms = Date.parse(options.toTimestamp);
  if (Number.isNaN(ms))
    throw new ConfigError(
      [
        {
          key: '--to-timestamp',
          expected: 'an ISO-8601 date-time, e.g. 2026-01-31T00:00:00Z',
          found: JSON.stringify(options.toTimestamp),
        },
      ],
      'command line',
    );
  return { kind: 'timestamp', ms };
}

export function registerSinkCommands(program: Command): void {
  const sink = program
    .command('sink')
    .description('Load resource topics into a destination, and replay them (reset, rebuild)');

  sink
    .command('run', { isDefault: true })
    .alias('start')
    .argument('<destination>', `where to load: ${Object.keys(DESTINATIONS).join(', ')}`)
    .description(
      'Consume the resource topics (read_committed) and load them; commits only after the destination confirmed',
    )
    .option('-c, --config <file>', 'configuration file (JSON or YAML)')
    .action((destination: string, options: CommonOptions) => runSink(destination, options));

  sink
    .command('reset')
    .description(
      "Move a stopped sink's consumer group to the earliest offset (or a time), for one resource or all; the next run replays",
    )
    .requiredOption(
      '-d, --destination <name>',
      'the sink whose group to move (its default group is bookeo-connect-sink-<topic prefix>-<destination>)',
    )
    .option('-r, --resource <name>', 'only this resource (default: all the sink loads)')
    .option('--to-timestamp <iso>', 'first offset at or after this time instead of the earliest')
    .option('-c, --config <file>', 'configuration file (JSON or YAML)')
    .action(async (options: CommonOptions & { destination: string; resource?: string; toTimestamp?: string }) => {
      checkDestination(options.destination);
      const target = parseTarget(options);
      const { config, kafka } = setup(options, 'sink-reset');
      const groupId = sinkGroupId(config.sink.groupId, config.kafka.topicPrefix, options.destination);
      const positions = await withAdmin(kafka, async (admin) => {
        const topics =
          options.resource === undefined
            ? await sinkTopics(admin, config)
            : [resourceTopic(config.kafka.topicPrefix, options.resource)];
        return resetGroup(admin, groupId, topics, target);
      });
      for (const p of positions)
        process.stdout.write(`${groupId} ${p.topic} partition ${p.partition} -> offset ${p.offset}\n`);
    });

  sink
    .command('rebuild')
    .argument('<resource>', 'the resource to reload, e.g. bookings')
    .description(
      'Reload one resource from the beginning of its topic into a fresh table, then swap it in atomically (the sink must be stopped)',
    )
    .requiredOption(
      '-d, --destination <name>',
      `the destination holding the table: ${Object.keys(DESTINATIONS).join(', ')}`,
    )
    .option('-c, --config <file>', 'configuration file (JSON or YAML)')
    .action(async (resource: string, options: CommonOptions & { destination: string }) => {
      const factory = await destinationFactory(options.destination);
      const { config, logger, kafka } = setup(options, 'sink-rebuild');
      const registry = createSchemaRegistry(config.schemaRegistry);
      const destination = factory(config, logger);
      try {
        const result = await rebuildResource({
          kafka,
          config,
          destination,
          destinationName: options.destination,
          decoder: createRegistryDecoder(registry),
          resource,
          metrics: createSinkMetrics(createMetricsRegistry()),
          logger,
        });
        process.stdout.write(
          `rebuilt ${resource}: ${result.table} swapped in; group ${result.groupId} continues after offset positions of the rebuild\n`,
        );
      } finally {
        await destination.close();
        await registry.close();
      }
    });
}
