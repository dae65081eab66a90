/**
 * One rate budget per Bookeo account, shared by all of that account's resources: a token bucket
 * (requests per second, small burst) plus a cap on requests in flight. Bookeo publishes no limits,
 * so the budget is how we stay polite; a 429 makes it adaptive:
 *   - every caller of the account pauses until the server's Retry-After has passed (not only the
 *     request that was refused: its siblings would be refused too), the bucket is emptied, and
 *   - the rate drops by `throttleFactor` (down to `minRequestsPerSecond`), then doubles back after
 *     each `recoveryMs` without another 429, until it is at the configured rate again.
 * Waiting is FIFO and abortable. Retry back-off happens outside the budget (the retry module waits
 * between attempts), so a backing-off request holds no concurrency slot.
 *
 * Public API:
 *   createRateBudget(options): RateBudget
 *   RateBudget.run(fn, signal?)     runs fn inside the budget (one token, one slot)
 *   RateBudget.throttled(ms?)       report a 429 (with the parsed Retry-After, if any)
 *   RateBudget.state()              rate, tokens, inFlight, queued, pausedUntil (for metrics/tests)
 */
import { setTimeout as delay } from 'node:timers/promises';

export interface BudgetClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: BudgetClock = {
  now: () => Date.now(),
  sleep: (ms, signal) => delay(ms, undefined, signal ? { signal } : undefined),
};

export interface RateBudgetOptions {
  readonly requestsPerSecond: number;
  readonly maxConcurrency: number;
  /** Tokens that may accumulate while idle; default max(1, floor(requestsPerSecond)). */
  readonly burst?: number;
  /** Multiplier applied to the rate on each 429 (default 0.5). */
  readonly throttleFactor?: number;
  /** Floor for the adaptive rate (default requestsPerSecond / 16). */
  readonly minRequestsPerSecond?: number;
  /** Quiet time after a 429 before the rate doubles back (default 30 s). */
  readonly recoveryMs?: number;
  /** Pause applied on a 429 that carried no Retry-After (default 1 s). */
  readonly defaultPauseMs?: number;
  readonly clock?: BudgetClock;
}

export interface RateBudgetState {
  readonly requestsPerSecond: number;
  readonly tokens: number;
  readonly inFlight: number;
  readonly queued: number;
  readonly pausedUntil: number;
  readonly throttleCount: number;
}

export interface RateBudget {
  run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  throttled(retryAfterMs?: number): void;
  state(): RateBudgetState;
}

export function createRateBudget(options: RateBudgetOptions): RateBudget {
  if (!(options.requestsPerSecond > 0)) throw new RangeError('requestsPerSecond must be > 0');
  if (!(options.maxConcurrency >= 1)) throw new RangeError('maxConcurrency must be >= 1');
  const clock = options.clock ?? systemClock;
  const configuredRate = options.requestsPerSecond;
  const burst = options.burst ?? Math.max(1, Math.floor(configuredRate));
  const factor = options.throttleFactor ?? 0.5;
  const minRate = options.minRequestsPerSecond ?? configuredRate / 16;
  const recoveryMs = options.recoveryMs ?? 30_000;
  const defaultPauseMs = options.defaultPauseMs ?? 1_000;

  let rate = configuredRate;
  let tokens = burst;
  let refilledAt = clock.now();
  let lastThrottleAt = -Infinity;
  let pausedUntil = 0;
  let throttleCount = 0;
  let inFlight = 0;
  const slotQueue: Array<() => void> = [];
  let tokenGate: Promise<void> = Promise.resolve();
  let tokenWaiters = 0;

  function refill(now: number): void {
    // Recover step by step: one doubling per quiet recovery period.
    while (rate < configuredRate && now - lastThrottleAt >= recoveryMs) {
      const stepAt = lastThrottleAt + recoveryMs;
      tokens = Math.min(burst, tokens + (Math.max(0, stepAt - refilledAt) * rate) / 1000);
      refilledAt = Math.max(refilledAt, stepAt);
      rate = Math.min(configuredRate, rate * 2);
      lastThrottleAt = stepAt;
    }
    if (now > refilledAt) {
      tokens = Math.min(burst, tokens + ((now - refilledAt) * rate) / 1000);
      refilledAt = now;
    }
  }

  async function acquireSlot(signal: AbortSignal | undefined): Promise<void> {
    if (inFlight < options.maxConcurrency && slotQueue.length === 0) {
      inFlight++;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const grant = (): void => {
        signal?.removeEventListener('abort', onAbort);
        inFlight++;
        resolve();
      };
      const onAbort = (): void => {
        const index = slotQueue.indexOf(grant);
        if (index >= 0) slotQueue.splice(index, 1);
        reject(signal?.reason);
      };
      slotQueue.push(grant);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  function releaseSlot(): void {
    inFlight--;
    const next = slotQueue.shift();
    if (next !== undefined) next();
  }

  async function takeToken(signal: AbortSignal | undefined): Promise<void> {
    // FIFO: each taker waits for the previous one, so a steady queue drains at exactly `rate`.
    const previous = tokenGate;
    let open!: () => void;
    tokenGate = new Promise<void>((resolve) => (open = resolve));
    tokenWaiters++;
    try {
      await previous;
      for (;;) {
        signal?.throwIfAborted();
        const now = clock.now();
        refill(now);
        const pauseWait = pausedUntil - now;
        const tokenWait = tokens >= 1 ? 0 : ((1 - tokens) * 1000) / rate;
        const wait = Math.max(pauseWait, tokenWait);
        if (wait <= 0) {
          tokens -= 1;
          return;
        }
        await clock.sleep(Math.ceil(wait), signal);
      }
    } finally {
      tokenWaiters--;
      open();
    }
  }

  return {
    async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
      await acquireSlot(signal);
      try {
        await takeToken(signal);
        return await fn();
      } finally {
        releaseSlot();
      }
    },

    throttled(retryAfterMs?: number): void {
      const now = clock.now();
      refill(now);
      throttleCount++;
      pausedUntil = Math.max(pausedUntil, now + (retryAfterMs ?? defaultPauseMs));
      tokens = 0;
      refilledAt = Math.max(now, pausedUntil);
      rate = Math.max(minRate, rate * factor);
      // Recovery counts from the end of the pause, not from the refusal.
      lastThrottleAt = pausedUntil;
    },

    state(): RateBudgetState {
      refill(clock.now());
      return {
        requestsPerSecond: rate,
        tokens,
        inFlight,
        queued: slotQueue.length + tokenWaiters,
        pausedUntil,
        throttleCount,
      };
    },
  };
}
