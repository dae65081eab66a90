/**
 * `bookeo-connect source`: runs the source until SIGTERM/SIGINT (graceful: the open transaction is
 * finished or aborted, never half-committed), or with --once a single poll of every resource
 * (a backfill, then exit). Exits non-zero when a task stopped for a reason no retry can fix, with
 * that reason (e.g. Bookeo's errorId for bad credentials; never a key), and with --once when any
 * resource's poll failed, naming each. A signal during the start (while Kafka or the registry is
 * awaited) ends it quietly.
 */
import type { Command } from 'commander';
import { loadConfig } from '../../common/config/load.js';
import { ConnectError, describeError } from '../../common/errors.js';
import { createLogger } from '../../common/logger.js';
import { createMetricsRegistry } from '../../common/metrics.js';
import { startSourceRuntime, type SourceRuntime } from './runtime.js';

export function registerSourceCommand(program: Command): void {
  program
    .command('source')
    .description('Poll Bookeo and publish every configured resource to Kafka (Avro, exactly-once)')
    .option('-c, --config <file>', 'configuration file (JSON or YAML); environment overrides apply')
    .option('--once', 'poll every resource once (e.g. a backfill) and exit; non-zero when any resource failed')
    .action(async (options: { config?: string; once?: boolean }) => {
      const config = loadConfig({ file: options.config });
      const logger = createLogger({ ...config.log, name: 'bookeo-source' });
      const starting = new AbortController();
      let runtime: SourceRuntime | undefined;
      const stop = (signal: string): void => {
        logger.info({ signal }, 'stopping source');
        starting.abort();
        void runtime?.stop();
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
      try {
        runtime = await startSourceRuntime({
          config,
          logger,
          metrics: createMetricsRegistry(),
          serveHttp: options.once !== true,
          signal: starting.signal,
        });
      } catch (error) {
        if (starting.signal.aborted) return;
        throw error;
      }
      const running = runtime;
      if (options.once === true) return pollOnce(running);
      const results = await Promise.allSettled(running.tasks.map((task) => task.run()));
      await running.stop();
      const failures = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
      for (const failure of failures) logger.error({ error: describeError(failure.reason) }, 'task stopped');
      if (failures.length > 0) throw failures[0]?.reason;
    });
}

/** One poll of every resource of every task; the status goes to stdout, failures make the exit code. */
async function pollOnce(runtime: SourceRuntime): Promise<void> {
  const results = await Promise.allSettled(runtime.tasks.map((task) => task.pollOnce()));
  await runtime.stop();
  process.stdout.write(`${JSON.stringify(runtime.status.all(), null, 2)}\n`);
  const stopped = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (stopped !== undefined) throw stopped.reason;
  const failed = results.flatMap((result, index) =>
    result.status === 'fulfilled'
      ? result.value.failed.map((entry) => `${runtime.tasks[index]?.account ?? '?'}/${entry.resource} (${entry.error})`)
      : [],
  );
  if (failed.length > 0)
    throw new ConnectError(
      `${failed.length} resource poll${failed.length === 1 ? '' : 's'} failed: ${failed.join('; ')}`,
    );
}
