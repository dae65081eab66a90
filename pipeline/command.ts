/**
 * `bookeo-connect run --config … [--destination clickhouse duckdb …]`: source and sinks in one
 * process until SIGTERM/SIGINT. Exits non-zero when a source task stopped for a reason no retry
 * fixes (all accounts' tasks ended) or a sink failed (a failure no wait fixes, or Kafka away for
 * longer than `sink.kafkaOutageTimeoutSeconds`), with that reason; the rest is stopped gracefully
 * first. A signal during the start (while Kafka or the registry is awaited) ends it quietly.
 */
import type { Command } from 'commander';
import { loadConfig } from '../common/config/load.js';
import { describeError } from '../common/errors.js';
import { createLogger } from '../common/logger.js';
import { DESTINATIONS, checkDestination } from '../sinks/runner/destinations.js';
import { startPipeline, type Pipeline } from './run.js';

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description(
      'Run the source and one sink per destination in one process (small deployments; `source` and `sink` scale out)',
    )
    .option('-c, --config <file>', 'configuration file (JSON or YAML); environment overrides apply')
    .option('-d, --destination <names...>', `destinations to load: ${Object.keys(DESTINATIONS).join(', ')}`, [
      'clickhouse',
    ])
    .action(async (options: { config?: string; destination: string[] }) => {
      for (const name of options.destination) checkDestination(name);
      const config = loadConfig({ file: options.config });
      const logger = createLogger({ ...config.log, name: 'bookeo-connect' });
      const starting = new AbortController();
      let stopping = false;
      const stopped = new Promise<void>((resolve) => {
        const onSignal = (signal: NodeJS.Signals): void => {
          logger.info({ signal }, 'stopping: source transaction first, then sinks flush and commit');
          stopping = true;
          starting.abort();
          resolve();
        };
        process.once('SIGTERM', onSignal);
        process.once('SIGINT', onSignal);
      });
      let pipeline: Pipeline;
      try {
        pipeline = await startPipeline({ config, logger, destinations: options.destination, signal: starting.signal });
      } catch (error) {
        if (starting.signal.aborted) return;
        throw error;
      }
      const tasks = Promise.allSettled(pipeline.source.tasks.map((task) => task.run()));
      const sinkFailure = Promise.race(
        pipeline.sinks.map((entry) => entry.sink.runner.done.then(() => new Promise<never>(() => undefined))),
      );
      let failure: unknown;
      await Promise.race([stopped, tasks, sinkFailure.catch((error: unknown) => void (failure = error))]);
      await pipeline.stop();
      const results = await tasks;
      const taskFailures = results
        .filter((result): result is PromiseRejectedResult => result.status === 'rejected')
        .map((result) => result.reason as unknown);
      for (const reason of taskFailures) logger.error({ error: describeError(reason) }, 'source task stopped');
      if (failure !== undefined) throw failure;
      if (!stopping && taskFailures.length > 0) throw taskFailures[0];
    });
}
