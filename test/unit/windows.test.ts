import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resourceByName, type WindowedStrategy } from '../../bookeo/catalog/catalog.js';
import {
  formatBookeoTime,
  maxWindowSeconds,
  parseBackfillFrom,
  planWindows,
  windowQuery,
  type TimeWindow,
} from '../../bookeo/catalog/windows.js';

const DAY = 86_400;
const MAX = 31 * DAY;
const t = (iso: string): number => Date.parse(iso) / 1000;
const base = { safetyLagSeconds: 60, lookbackSeconds: 300, maxWindowSeconds: MAX };

function assertTiled(windows: readonly TimeWindow[]): void {
  for (const [index, window] of windows.entries()) {
    assert.ok(window.end >= window.start, `window ${index} is not empty`);
    assert.ok(window.end - window.start <= MAX - 1, `window ${index} spans < 31 days`);
    const next = windows[index + 1];
    if (next !== undefined) assert.equal(next.start, window.end + 1, `window ${index + 1} starts right after ${index}`);
  }
}

describe('planWindows', () => {
  it('backfills from backfillFrom to now - lag in tiled windows under 31 days', () => {
    const backfillFrom = t('2024-01-01T00:00:00Z');
    const now = t('2024-04-15T12:00:00Z');
    const windows = planWindows({ ...base, cursor: undefined, backfillFrom, now });
    assert.equal(windows[0]?.start, backfillFrom);
    assert.equal(windows.at(-1)?.end, now - 60);
    assertTiled(windows);
    // 106.5 days at 31-day strides: 4 windows, the last one partial.
    assert.equal(windows.length, 4);
    assert.equal(windows[1]?.start, backfillFrom + MAX);
  });

  it('covers every second between backfillFrom and the upper bound exactly once', () => {
    const backfillFrom = 1_000;
    const windows = planWindows({
      cursor: undefined,
      backfillFrom,
      now: 1_000 + 95,
      safetyLagSeconds: 5,
      lookbackSeconds: 0,
      maxWindowSeconds: 10,
    });
    const covered = windows.flatMap((w) => Array.from({ length: w.end - w.start + 1 }, (_, i) => w.start + i));
    assert.deepEqual(
      covered,
      Array.from({ length: 91 }, (_, i) => backfillFrom + i),
    );
    assertTiled(windows);
  });

  it('makes no call when nothing new can exist after the cursor (steady state)', () => {
    const cursor = t('2024-05-01T10:00:00Z');
    assert.deepEqual(planWindows({ ...base, cursor, backfillFrom: 0, now: cursor + 60 }), []);
    assert.deepEqual(planWindows({ ...base, cursor, backfillFrom: 0, now: cursor + 10 }), []);
    // The clock went backwards (NTP step): still no call, never a negative window.
    assert.deepEqual(planWindows({ ...base, cursor, backfillFrom: 0, now: cursor - 3600 }), []);
  });

  it('re-reads only the look-back before the cursor, never older covered time', () => {
    const cursor = t('2024-05-01T10:00:00Z');
    const windows = planWindows({ ...base, cursor, backfillFrom: 0, now: cursor + 120 });
    assert.deepEqual(windows, [{ start: cursor + 1 - 300, end: cursor + 60 }]);
  });

  it('without look-back, starts right after the cursor (no second is read twice)', () => {
    const cursor = 50_000;
    const windows = planWindows({ ...base, lookbackSeconds: 0, cursor, backfillFrom: 0, now: cursor + 61 });
    assert.deepEqual(windows, [{ start: cursor + 1, end: cursor + 1 }]);
  });

  it('splits a long outage after the cursor into several windows', () => {
    const cursor = t('2024-01-01T00:00:00Z');
    const now = cursor + 70 * DAY;
    const windows = planWindows({ ...base, cursor, backfillFrom: 0, now });
    assert.equal(windows.length, 3);
    assert.equal(windows[0]?.start, cursor + 1 - 300);
    assert.equal(windows.at(-1)?.end, now - 60);
    assertTiled(windows);
  });

  it('never looks back before backfillFrom', () => {
    const backfillFrom = 10_000;
    const windows = planWindows({ ...base, cursor: backfillFrom + 10, backfillFrom, now: backfillFrom + 1000 });
    assert.equal(windows[0]?.start, backfillFrom);
  });

  it('plans nothing when backfillFrom is in the future of now - lag', () => {
    assert.deepEqual(planWindows({ ...base, cursor: undefined, backfillFrom: 1_000_000, now: 1_000_030 }), []);
  });

  it('ignores fractions of a second in now', () => {
    const windows = planWindows({ ...base, lookbackSeconds: 0, cursor: 100, backfillFrom: 0, now: 200.999 });
    assert.deepEqual(windows, [{ start: 101, end: 140 }]);
  });

  it('rejects nonsense inputs', () => {
    assert.throws(() => planWindows({ ...base, cursor: undefined, backfillFrom: Number.NaN, now: 1 }), RangeError);
    assert.throws(
      () => planWindows({ ...base, maxWindowSeconds: 0, cursor: undefined, backfillFrom: 0, now: 1 }),
      RangeError,
    );
    assert.throws(
      () => planWindows({ ...base, safetyLagSeconds: -1, cursor: undefined, backfillFrom: 0, now: 1 }),
      RangeError,
    );
  });
});

describe('query formatting', () => {
  it('formats RFC 3339 UTC with Z and no millis', () => {
    assert.equal(formatBookeoTime(t('2024-02-29T23:59:59Z')), '2024-02-29T23:59:59Z');
    assert.equal(formatBookeoTime(0.9), '1970-01-01T00:00:00Z');
  });

  it('builds the window filter of a catalog definition', () => {
    const bookings = resourceByName('bookings').cursor as WindowedStrategy;
    assert.deepEqual(windowQuery(bookings, { start: t('2024-01-01T00:00:00Z'), end: t('2024-01-31T23:59:59Z') }), {
      lastUpdatedStartTime: '2024-01-01T00:00:00Z',
      lastUpdatedEndTime: '2024-01-31T23:59:59Z',
    });
    const payments = resourceByName('payments').cursor as WindowedStrategy;
    assert.deepEqual(Object.keys(windowQuery(payments, { start: 0, end: 1 })), ['startTime', 'endTime']);
    assert.equal(maxWindowSeconds(bookings), MAX);
  });

  it('parses backfillFrom as UTC midnight or a full time', () => {
    assert.equal(parseBackfillFrom('2024-01-01'), t('2024-01-01T00:00:00Z'));
    assert.equal(parseBackfillFrom('2024-01-01T05:00:00+05:00'), t('2024-01-01T00:00:00Z'));
    assert.throws(() => parseBackfillFrom('soon'), RangeError);
  });
});
