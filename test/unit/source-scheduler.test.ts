/**
 * Each resource on its own timer (resource-scheduler.ts), with fake polls: a slow poll never holds
 * another resource back, an explicit poll joins the one in flight, pause/resume/wake, a fatal
 * failure ends every loop, stop() waits for the polls in flight.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createResourceScheduler, type ResourceScheduler } from '../../connector/source/resource-scheduler.js';
import { waitFor } from '../../testkit/wait-for.js';

class Fatal extends Error {}

/** Polls that count themselves; a resource's poll can be held open until released. */
function fakePolls() {
  const counts = new Map<string, number>();
  const held = new Map<string, () => void>();
  const failing = new Map<string, Error>();
  const holding = new Set<string>();
  const poll = async (resource: string): Promise<void> => {
    counts.set(resource, (counts.get(resource) ?? 0) + 1);
    if (holding.has(resource)) await new Promise<void>((resolve) => held.set(resource, resolve));
    const failure = failing.get(resource);
    if (failure !== undefined) throw failure;
  };
  return {
    poll,
    count: (resource: string): number => counts.get(resource) ?? 0,
    hold: (resource: string) => void holding.add(resource),
    release(resource: string) {
      holding.delete(resource);
      held.get(resource)?.();
      held.delete(resource);
    },
    fail: (resource: string, error: Error) => void failing.set(resource, error),
  };
}

function schedule(polls: ReturnType<typeof fakePolls>, intervalMs: number): ResourceScheduler {
  return createResourceScheduler({
    resources: ['customers', 'bookings'],
    intervalMs,
    poll: polls.poll,
    isFatal: (error) => error instanceof Fatal,
  });
}

describe('resource scheduler', () => {
  it('polls a resource again and again while a slow poll of another is still running', async () => {
    const polls = fakePolls();
    polls.hold('customers');
    const scheduler = schedule(polls, 5);
    const running = scheduler.run();
    await waitFor(() => polls.count('bookings') >= 5, {
      what: 'bookings polled five times',
      timeoutMs: 5_000,
      intervalMs: 5,
    });
    assert.equal(polls.count('customers'), 1, 'customers is still in its first poll');
    polls.release('customers');
    await scheduler.stop();
    await running;
  });

  it('joins a poll in flight instead of starting a second one of the same resource', async () => {
    const polls = fakePolls();
    polls.hold('customers');
    const scheduler = schedule(polls, 60_000);
    const first = scheduler.poll('customers');
    const all = scheduler.pollAll();
    await waitFor(() => polls.count('bookings') === 1, { what: 'bookings polled', timeoutMs: 5_000, intervalMs: 5 });
    polls.release('customers');
    assert.deepEqual(await all, [{ resource: 'customers' }, { resource: 'bookings' }]);
    assert.deepEqual(await first, { resource: 'customers' });
    assert.equal(polls.count('customers'), 1);
  });

  it('reports a failure as the outcome and keeps polling the resource at its next interval', async () => {
    const polls = fakePolls();
    const failure = new Error('Bookeo unreachable');
    polls.fail('bookings', failure);
    const scheduler = schedule(polls, 5);
    assert.deepEqual(await scheduler.pollAll(), [{ resource: 'customers' }, { resource: 'bookings', error: failure }]);
    const running = scheduler.run();
    await waitFor(() => polls.count('bookings') >= 4, {
      what: 'failing bookings polled again',
      timeoutMs: 5_000,
      intervalMs: 5,
    });
    await scheduler.stop();
    await running;
  });

  it('skips a paused resource; resume and wake poll it without waiting for the interval', async () => {
    const polls = fakePolls();
    const scheduler = schedule(polls, 60_000);
    scheduler.pause('bookings');
    assert.deepEqual(await scheduler.pollAll(), [{ resource: 'customers' }]);
    const running = scheduler.run();
    await waitFor(() => polls.count('customers') === 2, {
      what: 'customers polled by its loop',
      timeoutMs: 5_000,
      intervalMs: 5,
    });
    assert.equal(polls.count('bookings'), 0);
    scheduler.resume('bookings');
    await waitFor(() => polls.count('bookings') === 1, {
      what: 'bookings polled on resume',
      timeoutMs: 5_000,
      intervalMs: 5,
    });
    scheduler.wake('customers');
    await waitFor(() => polls.count('customers') === 3, {
      what: 'customers polled on wake',
      timeoutMs: 5_000,
      intervalMs: 5,
    });
    await scheduler.stop();
    await running;
  });

  it('a wake during a poll makes the resource poll again right after it', async () => {
    const polls = fakePolls();
    polls.hold('customers');
    const scheduler = schedule(polls, 60_000);
    const running = scheduler.run();
    await waitFor(() => polls.count('customers') === 1, { what: 'customers polling', timeoutMs: 5_000, intervalMs: 5 });
    scheduler.wake('customers');
    polls.release('customers');
    await waitFor(() => polls.count('customers') === 2, {
      what: 'customers polled again',
      timeoutMs: 5_000,
      intervalMs: 5,
    });
    await scheduler.stop();
    await running;
  });

  it('a fatal failure ends every loop and run() with it, without waiting for a slow poll', async () => {
    const polls = fakePolls();
    polls.hold('customers');
    polls.fail('bookings', new Fatal('fenced'));
    const scheduler = schedule(polls, 5);
    await assert.rejects(scheduler.run(), Fatal);
    assert.equal(polls.count('bookings'), 1);
    polls.release('customers');
    await scheduler.stop();
    assert.equal(polls.count('customers'), 1, 'no poll after the fatal failure');
  });

  it('stop() waits for the polls in flight and ends run()', async () => {
    const polls = fakePolls();
    polls.hold('customers');
    const scheduler = schedule(polls, 5);
    const running = scheduler.run();
    await waitFor(() => polls.count('customers') === 1, { what: 'customers polling', timeoutMs: 5_000, intervalMs: 5 });
    let stopped = false;
    const stopping = scheduler.stop().then(() => (stopped = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(stopped, false, 'stop waits for the poll in flight');
    polls.release('customers');
    await stopping;
    await running;
  });
});
