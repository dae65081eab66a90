/**
 * Waiting for a dependency at start (Kafka, the registry, a destination): a connector started
 * before its broker must wait, with back-off, and say why in /readyz, rather than exit. Only
 * problems no wait can fix (a configuration or authentication error, a bug) end the wait early;
 * everything else is retried until the deadline, after which the last error is thrown.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { backoffDelayMs, type RetryPolicy } from './retry.js';
import { ConfigError, ConnectError, describeError, isProgrammingError } from './errors.js';
import type { Logger } from './logger.js';

/** The dependency did not become reachable before the deadline; `cause` is the last failure. */
export class DependencyUnavailableError extends ConnectError {
  constructor(dependency: string, waitedMs: number, cause: unknown) {
    super(`${dependency} still unreachable after ${Math.round(waitedMs / 1000)} s: ${describeError(cause)}`, {
      cause,
      retriable: false,
    });
  }
}

const STARTUP_BACKOFF: RetryPolicy = Object.freeze({
  retries: Number.MAX_SAFE_INTEGER,
  initialDelayMs: 500,
  maxDelayMs: 10_000,
  multiplier: 2,
});

/** Errors that a wait cannot fix: bad configuration, bad credentials, our own bugs. */
export function isPermanentStartupError(error: unknown): boolean {
  if (error instanceof ConfigError || isProgrammingError(error)) return true;
  const name = error instanceof Error ? error.name : '';
  if (/SASLAuthentication|Authorization|AuthError/.test(name)) return true;
  const status = (error as { status?: unknown }).status;
  return status === 401 || status === 403;
}

export interface WaitForOptions {
  /** What is waited for, e.g. `Kafka at 127.0.0.1:9092`; in logs and the readiness reason. */
  readonly dependency: string;
  readonly timeoutMs: number;
  readonly logger: Logger;
  readonly signal?: AbortSignal;
  /** Called with the reason while waiting and with undefined once reached (feeds /readyz). */
  readonly onWaiting?: (reason: string | undefined) => void;
  /** Failures not worth waiting on; default isPermanentStartupError. */
  readonly permanent?: (error: unknown) => boolean;
  readonly random?: () => number;
}

export async function waitForDependency<T>(attempt: () => Promise<T>, options: WaitForOptions): Promise<T> {
  const started = Date.now();
  const random = options.random ?? Math.random;
  for (let tries = 1; ; tries++) {
    options.signal?.throwIfAborted();
    try {
      const result = await attempt();
      if (tries > 1)
        options.logger.info(
          { dependency: options.dependency, waitedMs: Date.now() - started },
          'dependency reachable; continuing the start',
        );
      options.onWaiting?.(undefined);
      return result;
    } catch (error) {
      if ((options.permanent ?? isPermanentStartupError)(error)) throw error;
      const waited = Date.now() - started;
      if (waited >= options.timeoutMs) throw new DependencyUnavailableError(options.dependency, waited, error);
      const reason = `waiting for ${options.dependency}: ${describeError(error)}`;
      options.onWaiting?.(reason);
      const delayMs = Math.min(backoffDelayMs(STARTUP_BACKOFF, tries, random), Math.max(0, options.timeoutMs - waited));
      options.logger.warn(
        { dependency: options.dependency, attempt: tries, delayMs, error: describeError(error) },
        'dependency unreachable at start; waiting',
      );
      await delay(delayMs, undefined, options.signal === undefined ? undefined : { signal: options.signal });
    }
  }
}
