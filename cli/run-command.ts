/**
 * How every command ends: configuration problems exit 2 with the full list, other failures exit 1
 * with one line (details go to the log). Output goes to stderr so stdout stays for data.
 */
import { ConfigError, describeError } from '../common/errors.js';

export const EXIT_CONFIG = 2;
export const EXIT_FAILURE = 1;

export async function runCommand(body: () => Promise<unknown>): Promise<void> {
  try {
    await body();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`bookeo-connect: ${error.message}\n`);
      process.exitCode = EXIT_CONFIG;
      return;
    }
    process.stderr.write(`bookeo-connect: ${describeError(error)}\n`);
    process.exitCode = EXIT_FAILURE;
  }
}
