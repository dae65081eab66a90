/**
 * Window planning for windowed resources (bookings, payments): pure functions of the saved cursor,
 * the clock and the configuration, so every boundary rule is unit-tested without I/O.
 *
 * Conventions (all times are integer epoch seconds; Bookeo's filters have second resolution):
 *   - A window is [start, end], BOTH ends inclusive, as Bookeo applies them.
 *   - Consecutive windows tile without overlap: next.start = previous.end + 1. So within one plan
 *     no entity can be read twice because of a boundary.
 *   - A window spans at most maxWindowSeconds - 1 (end - start), i.e. strictly less than 31 days,
 *     which is inside Bookeo's limit under any reading of "31 days apart".
 *   - The upper bound of every plan is now - safetyLag: writes Bookeo has not made visible yet
 *     are left for the next poll.
 *   - The cursor is the end of the last window whose every page was published: everything with a
 *     version time <= cursor has been read. The next plan starts at cursor + 1 - lookback (never
 *     before backfillFrom); the look-back re-reads a little to catch writes that became visible
 *     late, and dedupe.ts keeps that overlap from re-emitting unchanged entities.
 *   - No wasted calls: when now - lag <= cursor nothing new can exist and the plan is empty (the
 *     look-back alone never triggers a call); windows already covered are never planned again.
 *   - A backfill (no cursor) yields many windows; the caller may fetch several at once but commits
 *     them in plan order, so the cursor only covers a contiguous prefix (source/ordered-units.ts).
 *
 * Public API: planWindows, windowQuery, formatBookeoTime, parseBackfillFrom, maxWindowSeconds,
 *             TimeWindow, WindowPlanInput
 */
import type { Query } from '../pagination.js';
import { DAY_SECONDS, type WindowedStrategy } from './catalog.js';

export interface TimeWindow {
  /** Inclusive, epoch seconds. */
  readonly start: number;
  /** Inclusive, epoch seconds. */
  readonly end: number;
}

export interface WindowPlanInput {
  /** End of the last fully published window (epoch seconds), or undefined before the first. */
  readonly cursor: number | undefined;
  /** Start of the first backfill (epoch seconds); also the floor of any look-back. */
  readonly backfillFrom: number;
  /** Current time, epoch seconds (fractions are dropped). */
  readonly now: number;
  readonly safetyLagSeconds: number;
  readonly lookbackSeconds: number;
  /** Bookeo's limit for the filter, e.g. 31 days in seconds. */
  readonly maxWindowSeconds: number;
}

export function maxWindowSeconds(strategy: WindowedStrategy): number {
  return strategy.maxWindowDays * DAY_SECONDS;
}

export function planWindows(input: WindowPlanInput): TimeWindow[] {
  for (const [name, value] of Object.entries(input)) {
    if (value !== undefined && !Number.isFinite(value))
      throw new RangeError(`planWindows: ${name} must be a finite number`);
  }
  if (input.maxWindowSeconds < 1) throw new RangeError('planWindows: maxWindowSeconds must be >= 1');
  if (input.safetyLagSeconds < 0 || input.lookbackSeconds < 0)
    throw new RangeError('planWindows: lag and look-back must be >= 0');

  const upper = Math.floor(input.now) - input.safetyLagSeconds;
  let from: number;
  if (input.cursor === undefined) {
    from = input.backfillFrom;
  } else {
    // Nothing can have changed after the cursor yet: no call, whatever the look-back says.
    if (upper <= input.cursor) return [];
    from = Math.max(input.backfillFrom, input.cursor + 1 - input.lookbackSeconds);
  }
  const windows: TimeWindow[] = [];
  for (let start = from; start <= upper;) {
    const end = Math.min(start + input.maxWindowSeconds - 1, upper);
    windows.push({ start, end });
    start = end + 1;
  }
  return windows;
}

/** RFC 3339 in UTC with `Z` and no fraction: the form every Bookeo client is known to send. */
export function formatBookeoTime(epochSeconds: number): string {
  return new Date(Math.floor(epochSeconds) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The filter parameters of one window for a windowed catalog definition. */
export function windowQuery(strategy: WindowedStrategy, window: TimeWindow): Query {
  return { [strategy.startParam]: formatBookeoTime(window.start), [strategy.endParam]: formatBookeoTime(window.end) };
}

/** `source.backfillFrom` (YYYY-MM-DD, UTC midnight, or a full RFC 3339 time) → epoch seconds. */
export function parseBackfillFrom(value: string): number {
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(ms)) throw new RangeError(`backfillFrom "${value}" is not a date`);
  return Math.floor(ms / 1000);
}
