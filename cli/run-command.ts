/**
 * How every command ends: configuration problems exit 2 with the full list, other failures exit 1
 * with one line (details go to the log). Output goes to stderr so stdout stays for data.
 *
 * A command that failed has cleaned up by the time it throws (its own finally blocks ran), yet a
 * library may keep a handle open (kafkajs schedules a consumer restart from its own crash handler,
 * for one): the process then exits after a short grace period anyway, never staying up half-alive.
 */
import { ConfigError, describeError } from '../common/errors.js';

export const EXIT_CONFIG = 2;
export const EXIT_FAILURE = 1;
/** Time left for buffered output (logs, stderr) to drain before a failed command's process is ended. */
export const FAILED_EXIT_GRACE_MS = 3_000;

export async function runCommand(body: () => Promise<unknown>): Promise<void> {
  try {
    await body();
  } catch (error) {
    process.stderr.write(`bookeo-connect: ${error instanceof ConfigError ? error.message : describeError(error)}\n`);
    process.exitCode = error instanceof ConfigError ? EXIT_CONFIG : EXIT_FAILURE;
    setTimeout(() => process.exit(), FAILED_EXIT_GRACE_MS).unref();
  }
}
