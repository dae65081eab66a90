/**
 * `bookeo-connect reconcile [--destination clickhouse] [--resource bookings …] [--grace-seconds N] [--json]`:
 * prints, per resource and account, what Bookeo, the topic and the table hold and how they differ.
 * Exit 0: no differences; 3: differences (listed); 2: bad configuration; 1: could not compare.
 */
import type { Command } from 'commander';
import { loadConfig } from '../common/config/load.js';
import { ConfigError } from '../common/errors.js';
import { createLogger } from '../common/logger.js';
import { bookeoConfigProblems } from '../bookeo/config-problems.js';
import { DESTINATIONS } from '../sinks/runner/destinations.js';
import { reconcile } from './reconcile.js';
import { formatReport } from './report.js';

export const EXIT_DIFFERENCES = 3;

interface ReconcileCommandOptions {
  readonly config?: string;
  readonly destination: string;
  readonly resource?: string[];
  readonly graceSeconds?: string;
  readonly group?: string;
  readonly json?: boolean;
}

export function registerReconcileCommand(program: Command): void {
  program
    .command('reconcile')
    .description('Compare Bookeo now, the latest state of each topic and the destination table; exit 3 on a difference')
    .option('-c, --config <file>', 'configuration file (JSON or YAML); environment overrides apply')
    .option(
      '-d, --destination <name>',
      `the table's destination: ${Object.keys(DESTINATIONS).join(', ')}`,
      'clickhouse',
    )
    .option('-r, --resource <names...>', 'only these resources (default: the source’s)')
    .option(
      '--grace-seconds <n>',
      'changes at Bookeo newer than this are in flight, not differences (default: safety lag + 2 poll intervals)',
    )
    .option(
      '--group <id>',
      "the sink's consumer group (default: sink.groupId or bookeo-connect-sink-<topic prefix>-<destination>)",
    )
    .option('--json', 'print the result as JSON')
    .action(async (options: ReconcileCommandOptions) => {
      const config = loadConfig({ file: options.config });
      const problems = bookeoConfigProblems(config);
      const grace =
        options.graceSeconds === undefined
          ? config.source.safetyLagSeconds + 2 * config.source.pollIntervalSeconds
          : Number(options.graceSeconds);
      if (!Number.isInteger(grace) || grace < 0)
        problems.push({
          key: '--grace-seconds',
          expected: 'a whole number of seconds >= 0',
          found: JSON.stringify(options.graceSeconds),
        });
      if (!(options.destination in DESTINATIONS))
        problems.push({
          key: '--destination',
          expected: `one of ${Object.keys(DESTINATIONS).join(', ')}`,
          found: JSON.stringify(options.destination),
        });
      if (problems.length > 0) throw new ConfigError(problems);
      const logger = createLogger({ ...config.log, name: 'bookeo-reconcile' });
      const results = await reconcile({
        config,
        destinationName: options.destination,
        logger,
        graceSeconds: grace,
        ...(options.resource === undefined ? {} : { resources: options.resource }),
        ...(options.group === undefined ? {} : { groupId: options.group }),
      });
      process.stdout.write(
        options.json === true ? `${JSON.stringify(results, null, 2)}\n` : `${formatReport(results)}\n`,
      );
      if (results.some((result) => result.differences.length > 0)) process.exitCode = EXIT_DIFFERENCES;
    });
}
