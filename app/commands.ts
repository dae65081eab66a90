/**
 * The long-running commands, each one app (app.ts) run as a process (process.ts):
 *   source              poll Bookeo and publish (`--once`: one backfill, then exit)
 *   sink <destination>  load the resource topics into one destination
 *   run                 the source and one sink per destination in one process (small deployments;
 *                       `source` and `sink` scale out with the same behaviour)
 */
import type { Command } from 'commander';
import { DESTINATIONS } from '../sinks/runner/destinations.js';
import { runProcess } from './process.js';

interface ConfigOption {
  readonly config?: string;
}

const CONFIG_HELP = 'configuration file (JSON or YAML); environment overrides apply';

/** `sink` itself (with its replay commands) comes from `addSinkCommand`; `sink run` is added to it here. */
export function registerAppCommands(program: Command, addSinkCommand: (program: Command) => Command): void {
  program
    .command('source')
    .description('Poll Bookeo and publish every configured resource to Kafka (Avro, exactly-once)')
    .option('-c, --config <file>', CONFIG_HELP)
    .option('--once', 'poll every resource once (e.g. a backfill) and exit; non-zero when any resource failed')
    .action((options: ConfigOption & { once?: boolean }) =>
      runProcess({
        configFile: options.config,
        name: 'bookeo-source',
        source: true,
        destinations: [],
        once: options.once === true,
      }),
    );

  addSinkCommand(program)
    .command('run', { isDefault: true })
    .alias('start')
    .argument('<destination>', `where to load: ${Object.keys(DESTINATIONS).join(', ')}`)
    .description(
      'Consume the resource topics (read_committed) and load them; commits only after the destination confirmed',
    )
    .option('-c, --config <file>', CONFIG_HELP)
    .action((destination: string, options: ConfigOption) =>
      runProcess({ configFile: options.config, source: false, destinations: [destination] }),
    );

  program
    .command('run')
    .description(
      'Run the source and one sink per destination in one process (small deployments; `source` and `sink` scale out)',
    )
    .option('-c, --config <file>', CONFIG_HELP)
    .option('-d, --destination <names...>', `destinations to load: ${Object.keys(DESTINATIONS).join(', ')}`, [
      'clickhouse',
    ])
    .action((options: ConfigOption & { destination: string[] }) =>
      runProcess({
        configFile: options.config,
        name: 'bookeo-connect',
        source: true,
        destinations: options.destination,
      }),
    );
}
