/**
 * `bookeo-connect source`: runs the source until SIGTERM/SIGINT (graceful: the open transaction is
 * finished or aborted, never half-committed), or with --once a single poll of every resource
 * (a backfill, then exit). Exits non-zero when a task stopped for a reason no retry can fix, with
 * that reason (e.g. Bookeo's errorId for bad credentials; never a key).
 */
import type { Command } from 'commander';
import { loadConfig } from '../../common/config/load.js';
import { describeError } from '../../common/errors.js';
import { createLogger } from '../../common/logger.js';
import { createMetricsRegistry } from '../../common/metrics.js';
import { startSourceRuntime } from './runtime.js';

export function registerSourceCommand(program: Command): void {
  program
    .command('source')
    .description('Poll Bookeo and publish every configured resource to Kafka (Avro, exactly-once)')
    .option('-c, --config <file>', 'configuration file (JSON or YAML); environment overrides apply')
    .option('--once', 'poll every resource once (e.g. a backfill) and exit')
    .action(async (options: { config?: string; once?: boolean }) => {
      const config = loadConfig({ file: options.config });
      const logger = createLogger({ ...config.log, name: 'bookeo-source' });
      const runtime = await startSourceRuntime({ config, logger, metrics: createMetricsRegistry(), serveHttp: options.once !== true });
      const stop = (signal: string): void => {
        logger.info({ signal }, 'stopping source');
        void runtime.stop();
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
      const results = await Promise.allSettled(runtime.tasks.map((task) => (options.once === true ? task.pollOnce() : task.run())));
      await runtime.stop();
      const failures = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
      for (const failure of failures) logger.error({ error: describeError(failure.reason) }, 'task stopped');
      if (failures.length > 0) throw failures[0]?.reason;
      if (options.once === true) process.stdout.write(`${JSON.stringify(runtime.status.all(), null, 2)}\n`);
    });
}
