import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRateBudget, type BudgetClock } from '../../bookeo/rate-budget.js';

/** Virtual time: sleeping advances the clock at once, so schedules are exact and tests instant. */
function fakeClock(start = 0): BudgetClock & { advance(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
    sleep: async (ms, signal) => {
      signal?.throwIfAborted();
      now += ms;
      await Promise.resolve();
    },
  };
}

describe('rate budget', () => {
  it('spaces requests at the configured rate after the burst', async () => {
    const clock = fakeClock();
    const budget = createRateBudget({ requestsPerSecond: 5, maxConcurrency: 10, burst: 1, clock });
    const times: number[] = [];
    for (let i = 0; i < 6; i++) await budget.run(async () => times.push(clock.now()));
    assert.deepEqual(times, [0, 200, 400, 600, 800, 1000]);
  });

  it('never runs more than maxConcurrency at once, and hands slots over FIFO', async () => {
    const budget = createRateBudget({ requestsPerSecond: 1000, maxConcurrency: 2, burst: 1000 });
    let inFlight = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        budget.run(async () => {
          inFlight++;
          peak = Math.max(peak, inFlight);
          await new Promise((resolve) => setTimeout(resolve, 5));
          order.push(i);
          inFlight--;
        }),
      ),
    );
    assert.equal(peak, 2);
    assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.equal(budget.state().inFlight, 0);
  });

  it('a 429 pauses the whole account for Retry-After and halves the rate, then recovers', async () => {
    const clock = fakeClock();
    const budget = createRateBudget({ requestsPerSecond: 4, maxConcurrency: 4, burst: 1, recoveryMs: 10_000, clock });
    await budget.run(async () => undefined);
    budget.throttled(3000);
    assert.equal(budget.state().requestsPerSecond, 2);
    const times: number[] = [];
    await budget.run(async () => times.push(clock.now()));
    await budget.run(async () => times.push(clock.now()));
    // Paused until 3000; then one token per 500 ms at the halved rate.
    assert.equal(times[0], 3500);
    assert.equal(times[1], 4000);
    clock.advance(10_000);
    assert.equal(budget.state().requestsPerSecond, 4);
    assert.equal(budget.state().throttleCount, 1);
  });

  it('never drops below the floor and uses a default pause without Retry-After', () => {
    const clock = fakeClock(1000);
    const budget = createRateBudget({
      requestsPerSecond: 8,
      maxConcurrency: 1,
      minRequestsPerSecond: 2,
      defaultPauseMs: 700,
      clock,
    });
    for (let i = 0; i < 5; i++) budget.throttled();
    assert.equal(budget.state().requestsPerSecond, 2);
    assert.equal(budget.state().pausedUntil, 1700);
  });

  it('lets a waiting caller abort', async () => {
    const budget = createRateBudget({ requestsPerSecond: 1000, maxConcurrency: 1 });
    let release!: () => void;
    const holder = budget.run(() => new Promise<void>((resolve) => (release = resolve)));
    const controller = new AbortController();
    const waiter = budget.run(async () => 'ran', controller.signal);
    controller.abort(new Error('shutdown'));
    await assert.rejects(waiter, /shutdown/);
    release();
    await holder;
    assert.equal(budget.state().inFlight, 0);
    assert.equal(await budget.run(async () => 'ok'), 'ok');
  });

  it('rejects a nonsense configuration', () => {
    assert.throws(() => createRateBudget({ requestsPerSecond: 0, maxConcurrency: 1 }), RangeError);
    assert.throws(() => createRateBudget({ requestsPerSecond: 1, maxConcurrency: 0 }), RangeError);
  });
});
