/**
 * A long-running command as a process: configuration (validated at the edge, frozen), logger,
 * signal handling, the app (app.ts), then wait until a signal, a source task that no retry can
 * fix, or a sink that stopped. The rest is then stopped gracefully (the source's open transaction
 * finished or aborted, each sink flushes and commits) and the failure, if any, is thrown (the CLI
 * exits non-zero with it). A signal during the start (a dependency awaited) ends it quietly.
 */
import { loadConfig } from '../common/config/load.js';
import { ConnectError, describeError } from '../common/errors.js';
import { createLogger, type Logger } from '../common/logger.js';
import type { SourceRuntime } from '../connector/source/runtime.js';
import { checkDestination } from '../sinks/runner/destinations.js';
import { startApp, type App } from './app.js';

export interface ProcessOptions {
  /** The configuration file, if any; environment overrides apply. */
  readonly configFile: string | undefined;
  /** The logger's name. */
  readonly name?: string;
  readonly source: boolean;
  readonly destinations: readonly string[];
  /** Source only: one poll of every resource (a backfill), its status to stdout, then exit. */
  readonly once?: boolean;
}

export async function runProcess(options: ProcessOptions): Promise<void> {
  for (const destination of options.destinations) checkDestination(destination);
  const config = loadConfig({ file: options.configFile });
  const logger = createLogger({ ...config.log, ...(options.name === undefined ? {} : { name: options.name }) });
  const starting = new AbortController();
  let stopping = false;
  let onSignal: (signal: NodeJS.Signals) => void = () => undefined;
  const signalled = new Promise<void>((resolve) => {
    onSignal = (signal) => {
      logger.info({ signal }, 'stopping: the source transaction first, then sinks flush and commit');
      stopping = true;
      starting.abort();
      resolve();
    };
  });
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    let app: App;
    try {
      app = await startApp({
        config,
        logger,
        source: options.source,
        destinations: options.destinations,
        serveHttp: options.once !== true,
        signal: starting.signal,
      });
    } catch (error) {
      if (starting.signal.aborted) return;
      throw error;
    }
    if (options.once === true && app.source !== undefined) return await pollOnce(app, app.source);
    await runUntilStopped(app, signalled, () => stopping, logger);
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}

async function runUntilStopped(app: App, signalled: Promise<void>, stopping: () => boolean, logger: Logger) {
  const tasks = app.source === undefined ? undefined : Promise.allSettled(app.source.tasks.map((task) => task.run()));
  let sinkFailure: unknown;
  const sinkEnded = app.sinks.length === 0 ? undefined : Promise.race(app.sinks.map((entry) => entry.sink.runner.done));
  await Promise.race([
    signalled,
    ...(tasks === undefined ? [] : [tasks]),
    ...(sinkEnded === undefined ? [] : [sinkEnded.catch((error: unknown) => void (sinkFailure = error))]),
  ]);
  await app.stop();
  const taskFailures = ((await tasks) ?? [])
    .filter((result): result is PromiseRejectedResult => result.status === 'rejected')
    .map((result) => result.reason as unknown);
  for (const reason of taskFailures) logger.error({ error: describeError(reason) }, 'source task stopped');
  if (sinkFailure !== undefined) throw sinkFailure;
  if (!stopping() && taskFailures.length > 0) throw taskFailures[0];
}

/** One poll of every resource of every task; the status goes to stdout, failures make the exit code. */
async function pollOnce(app: App, source: SourceRuntime): Promise<void> {
  const results = await Promise.allSettled(source.tasks.map((task) => task.pollOnce()));
  await app.stop();
  process.stdout.write(`${JSON.stringify(source.status.all(), null, 2)}\n`);
  const stopped = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (stopped !== undefined) throw stopped.reason;
  const failed = results.flatMap((result, index) =>
    result.status === 'fulfilled'
      ? result.value.failed.map((entry) => `${source.tasks[index]?.account ?? '?'}/${entry.resource} (${entry.error})`)
      : [],
  );
  if (failed.length > 0)
    throw new ConnectError(
      `${failed.length} resource poll${failed.length === 1 ? '' : 's'} failed: ${failed.join('; ')}`,
    );
}
