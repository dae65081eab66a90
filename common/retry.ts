/**
 * The one retry module: exponential back-off with jitter, honouring a server's Retry-After.
 *
 * Only errors flagged retriable (see errors.ts) are retried; programming errors never are. Options
 * are passed in (no hidden test defaults read from the environment), and waits are abortable so a
 * shutdown never sits out a long back-off.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { RetriesExhaustedError, isRetriable } from './errors.js';

export interface RetryPolicy {
  /** Attempts after the first one. 0 disables retrying. */
  readonly retries: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly multiplier: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  retries: 8,
  initialDelayMs: 200,
  maxDelayMs: 30_000,
  multiplier: 2,
});

export interface RetryAttemptInfo {
  readonly attempt: number;
  readonly error: unknown;
  readonly delayMs: number;
}

export interface RetryOptions {
  readonly operation: string;
  readonly signal?: AbortSignal;
  readonly onRetry?: (info: RetryAttemptInfo) => void;
  /** Which failures are retried; default every error that says it is retriable (`isRetriable`). */
  readonly retriable?: (error: unknown) => boolean;
  /** Random source in [0,1); injectable so back-off schedules can be unit-tested. */
  readonly random?: () => number;
}

/** Delay before retry number `attempt` (1-based): a random point in the upper half of an exponential cap, or the server's hint when larger. */
export function backoffDelayMs(
  policy: RetryPolicy,
  attempt: number,
  random: () => number,
  retryAfterMs?: number,
): number {
  const cap = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.multiplier ** (attempt - 1));
  const jittered = Math.round(cap / 2 + (random() * cap) / 2);
  return retryAfterMs === undefined ? jittered : Math.max(retryAfterMs, jittered);
}

export type Retrier = <T>(fn: (attempt: number) => Promise<T>, options: RetryOptions) => Promise<T>;

export function createRetry(policy: RetryPolicy = DEFAULT_RETRY_POLICY): Retrier {
  return async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
    const random = options.random ?? Math.random;
    for (let attempt = 0; ; attempt++) {
      options.signal?.throwIfAborted();
      try {
        return await fn(attempt);
      } catch (error) {
        if (!(options.retriable ?? isRetriable)(error)) throw error;
        if (attempt >= policy.retries) throw new RetriesExhaustedError(options.operation, attempt + 1, error);
        const hint = (error as { retryAfterMs?: number }).retryAfterMs;
        const delayMs = backoffDelayMs(policy, attempt + 1, random, hint);
        options.onRetry?.({ attempt: attempt + 1, error, delayMs });
        await delay(delayMs, undefined, options.signal ? { signal: options.signal } : undefined);
      }
    }
  };
}
