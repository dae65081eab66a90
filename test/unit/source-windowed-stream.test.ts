/**
 * One poll of a windowed resource (bookings), with an in-memory Bookeo client whose windows answer
 * when the test says so, and an in-memory transactional writer: windows fetched out of order are
 * still committed in plan order, each with its cursor, and a window that failed stops the cursor
 * at the end of the last window before it (what came after it is not committed).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateConfig } from '../../common/config/load.js';
import { createLogger } from '../../common/logger.js';
import { createMetricsRegistry } from '../../common/metrics.js';
import type { BookeoAccountClient } from '../../bookeo/client.js';
import { paginate } from '../../bookeo/pagination.js';
import { createRateBudget } from '../../bookeo/rate-budget.js';
import { resourceByName, type WindowedStrategy } from '../../bookeo/catalog/catalog.js';
import {
  formatBookeoTime,
  maxWindowSeconds,
  parseBackfillFrom,
  planWindows,
  windowQuery,
  type TimeWindow,
} from '../../bookeo/catalog/windows.js';
import type { OutgoingRecord } from '../../kafka/records.js';
import { createCommitter } from '../../connector/source/committer.js';
import { createSourceMetrics } from '../../connector/source/metrics.js';
import { createRecordFactory } from '../../connector/source/record-factory.js';
import { StatusBoard } from '../../connector/source/status.js';
import type { StreamContext } from '../../connector/source/stream-context.js';
import { pollWindowed } from '../../connector/source/windowed-stream.js';
import { RECORD_HEADER } from '../../contract/headers.js';
import { jsonSerializer, memoryOffsets } from '../helpers/source-fakes.js';
import { waitFor } from '../../testkit/wait-for.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const BACKFILL_FROM = '2026-03-01';
const definition = resourceByName('bookings');
const strategy = definition.cursor as WindowedStrategy;
const settings = validateConfig({ source: { backfillFrom: BACKFILL_FROM, parallelWindows: 3 } }).source;
/** The windows the poll plans (no cursor yet): the test holds each one's answer. */
const plan = planWindows({
  cursor: undefined,
  backfillFrom: parseBackfillFrom(BACKFILL_FROM),
  now: NOW / 1000,
  safetyLagSeconds: settings.safetyLagSeconds,
  lookbackSeconds: settings.lookbackSeconds,
  maxWindowSeconds: maxWindowSeconds(strategy),
});

/** Lets every promise callback that is ready run (to check that something did NOT happen). */
const settle = async (): Promise<void> => {
  for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
};

interface HeldWindow {
  answer(): void;
  fail(error: Error): void;
}

function windowedPoll() {
  const transactions: Array<readonly OutgoingRecord[]> = [];
  const offsets = memoryOffsets();
  const held = new Map<number, HeldWindow>();
  const asked: number[] = [];
  const indexOf = (query: Record<string, unknown>): number =>
    plan.findIndex((window) =>
      Object.entries(windowQuery(strategy, window)).every(([name, value]) => query[name] === value),
    );
  const client: BookeoAccountClient = {
    accountId: 'acme',
    budget: createRateBudget({ requestsPerSecond: 1000, maxConcurrency: 4 }),
    getJson: () => Promise.reject(new Error('not used')),
    list: (request, options = {}) => {
      const index = indexOf(request.query ?? {});
      const window = plan[index] as TimeWindow;
      const answered = new Promise<void>((resolve, reject) => held.set(index, { answer: resolve, fail: reject }));
      asked.push(index);
      const booking = {
        bookingNumber: `B${index}`,
        title: `window ${index}`,
        creationTime: formatBookeoTime(window.start),
        lastChangeTime: formatBookeoTime(window.start + 1),
      };
      return paginate(
        async () => {
          await answered;
          return {
            info: { totalItems: 1, totalPages: 1, currentPage: 1, pageNavigationToken: undefined },
            data: [booking],
          };
        },
        request.query ?? {},
        { prefetch: 0, ...options },
      );
    },
  };
  const status = new StatusBoard();
  status.task('acme', ['bookings']);
  const context: StreamContext = {
    account: 'acme',
    definition,
    client,
    factory: createRecordFactory({
      account: 'acme',
      resource: 'bookings',
      serializer: jsonSerializer('t.bookings'),
      deadLetterTopic: 't.dlq',
    }),
    committer: createCommitter({ commit: async (records) => (transactions.push(records), { latencyMs: 0 }) }, offsets),
    offsets,
    settings,
    now: () => NOW,
    status,
    metrics: createSourceMetrics(createMetricsRegistry('windowedtest_')),
    logger: createLogger({ level: 'silent', format: 'json' }),
    signal: new AbortController().signal,
  };
  const window = (index: number): HeldWindow => held.get(index) as HeldWindow;
  return {
    poll: () => pollWindowed(context, 1_000),
    window,
    /** Waits until every planned window was asked for (they are fetched in parallel). */
    allAsked: () =>
      waitFor(() => asked.length === plan.length || undefined, {
        what: 'every window asked for',
        timeoutMs: 2_000,
        intervalMs: 1,
      }),
    /** Per transaction: the bookings it published and the cursor it saved. */
    committed: () =>
      transactions.map((records) => ({
        bookings: records
          .filter((r) => r.topic === 't.bookings')
          .map((r) => String(r.headers?.[RECORD_HEADER.idempotencyKey]).split('/')[2]?.split('@')[0]),
        cursor: (JSON.parse(String(records.find((r) => r.key === 'bookings')?.value)) as { cursor: number }).cursor,
      })),
    cursor: () => offsets.get('bookings')?.cursor,
  };
}

describe('windowed stream', () => {
  it('plans several windows (the test needs at least three)', () => {
    assert.ok(plan.length >= 3, `${plan.length} windows`);
  });

  it('commits windows fetched out of order in plan order, each with the cursor at its end', async () => {
    const poll = windowedPoll();
    const done = poll.poll();
    await poll.allAsked();
    for (let index = plan.length - 1; index >= 1; index--) poll.window(index).answer();
    await settle();
    assert.deepEqual(poll.committed(), [], 'nothing is committed before the first window');
    assert.equal(poll.cursor(), undefined);

    poll.window(0).answer();
    await done;
    assert.deepEqual(
      poll.committed(),
      plan.map((window, index) => ({ bookings: [`B${index}`], cursor: window.end })),
    );
  });

  it('stops the cursor at the end of the last window before one that failed; later windows are not committed', async () => {
    const poll = windowedPoll();
    const done = poll.poll();
    await poll.allAsked();
    for (let index = 2; index < plan.length; index++) poll.window(index).answer();
    poll.window(1).fail(new Error('window 1 refused'));
    poll.window(0).answer();
    await assert.rejects(done, /window 1 refused/);
    assert.deepEqual(poll.committed(), [{ bookings: ['B0'], cursor: (plan[0] as TimeWindow).end }]);
    assert.equal(poll.cursor(), (plan[0] as TimeWindow).end);
  });
});
