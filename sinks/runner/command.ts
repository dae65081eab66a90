/**
 * `bookeo-connect sink reset` and `sink rebuild <resource>` (`sink <destination>` itself is an app,
 * app/commands.ts). Each command loads the validated configuration, builds its clients here (the
 * edge), and hands them down.
 */
import type { Command } from 'commander';
import { loadConfig } from '../../common/config/load.js';
import type { AppConfig } from '../../common/config/schema.js';
import { ConfigError } from '../../common/errors.js';
import { createLogger, type Logger } from '../../common/logger.js';
import { createMetricsRegistry } from '../../common/metrics.js';
import { createSchemaRegistry } from '../../avro/registry.js';
import { sinkGroupId } from '../../contract/group-id.js';
import { resourceTopic } from '../../contract/topics.js';
import { withAdmin } from '../../kafka/admin.js';
import { createKafka, type KafkaClient } from '../../kafka/client.js';
import { DESTINATIONS, checkDestination, destinationFactory } from './destinations.js';
import { resetGroup, type ResetTarget } from './group-admin.js';
import { createSinkMetrics } from './metrics.js';
import { rebuildResource } from './rebuild.js';
import { createRegistryDecoder } from './registry-decoder.js';
import { sinkTopics } from './sink-topics.js';

interface CommonOptions {
  readonly config?: string;
}

function setup(options: CommonOptions, component: string): { config: AppConfig; logger: Logger; kafka: KafkaClient } {
  const config = loadConfig({ file: options.config });
  const logger = createLogger({ level: config.log.level, format: config.log.format }).child({ component });
  return { config, logger, kafka: createKafka(config.kafka, logger, component) };
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

/** `sink` and its replay commands; returns it so the app adds `sink run` (app/commands.ts). */
export function registerSinkCommands(program: Command): Command {
  const sink = program
    .command('sink')
    .description('Load resource topics into a destination, and replay them (reset, rebuild)');

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
  return sink;
}
