/**
 * The Bookeo client, catalog and window planner against the real simulator (simulator/), over
 * HTTP: a backfill over planned windows equals the simulator's ground truth exactly (no id lost,
 * none read twice), steady state makes no wasted calls, and the client survives what the
 * simulator's faults throw at it (403, 429 + Retry-After, 5xx bursts, resets, malformed pages,
 * expired page tokens) without ever putting a key in an error or a log line.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { createLogger } from '../../common/logger.js';
import { createBookeoClient, type BookeoAccountClient, type BookeoClient } from '../../bookeo/client.js';
import { BookeoAuthError, MalformedResponseError } from '../../bookeo/errors.js';
import type { Page } from '../../bookeo/pagination.js';
import { resourceByName, type WindowedStrategy } from '../../bookeo/catalog/catalog.js';
import { isNewOrChanged, lookbackHorizon, rememberEmitted, type SeenEntry } from '../../connector/source/dedupe.js';
import { entityFingerprint, entityId, entityTime } from '../../bookeo/catalog/entity.js';
import { listRequest } from '../../bookeo/catalog/requests.js';
import { contentHash } from '../../connector/source/snapshot-diff.js';
import { maxWindowSeconds, planWindows, type TimeWindow } from '../../bookeo/catalog/windows.js';
import { startSimulator } from '../../simulator/index.js';

const SECRET = 'sim_secret_5f1c7e2a9b3d4c6e';
const API_KEY = 'sim_apikey_8a7b6c5d4e3f2a1b';
const WRONG_KEY = 'sim_apikey_WRONG_0000000000';
const bookings = resourceByName('bookings');
const strategy = bookings.cursor as WindowedStrategy;

type Simulator = Awaited<ReturnType<typeof startSimulator>>;

/** admin.now() may be epoch ms, epoch s, an ISO string or a Date: normalise to epoch seconds. */
function toSeconds(value: unknown): number {
  if (value instanceof Date) return Math.floor(value.getTime() / 1000);
  if (typeof value === 'number') return Math.floor(value > 1e11 ? value / 1000 : value);
  if (typeof value === 'string') return Math.floor(Date.parse(value) / 1000);
  throw new TypeError(`unexpected clock value ${String(value)}`);
}

/** Bookings as GET /bookings?expandParticipants=true (the catalog's params) returns them now. */
async function truthOf(sim: Simulator): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for await (const item of sim.admin.groundTruth('bookings', API_KEY, { expandParticipants: true })) out.push(item);
  return out;
}

function inWindow(item: unknown, window: TimeWindow): boolean {
  const time = entityTime(bookings, item);
  return time !== undefined && time >= window.start && time <= window.end;
}

interface Fetched {
  readonly items: unknown[];
  readonly pages: Page[];
}

/** Runs windows `parallel` at a time (as a backfill would); pages of one window stay in order. */
async function fetchWindows(
  account: BookeoAccountClient,
  windows: readonly TimeWindow[],
  parallel: number,
  itemsPerPage?: number,
): Promise<Fetched[]> {
  const results: Fetched[] = new Array(windows.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < windows.length; index = next++) {
      const window = windows[index] as TimeWindow;
      const request = listRequest(bookings, { window });
      const query = itemsPerPage === undefined ? request.query : { ...request.query, itemsPerPage };
      const fetched: Fetched = { items: [], pages: [] };
      for await (const page of account.list(
        { ...request, ...(query === undefined ? {} : { query }) },
        { fingerprint: (item) => entityFingerprint(bookings, item) },
      )) {
        fetched.pages.push(page);
        fetched.items.push(...page.items);
      }
      results[index] = fetched;
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return results;
}

function requestCount(
  sim: Simulator,
  predicate: (row: { endpoint: string; status: number | string }) => boolean,
): number {
  return sim.admin
    .counters()
    .filter((row) => row.apiKey === API_KEY && predicate(row))
    .reduce((sum, row) => sum + row.count, 0);
}

/** The last full 31-day window before the simulator's now: the busiest one (the history ramps up). */
let busyWindowOf: () => TimeWindow = () => {
  throw new Error('simulator not started');
};
const busyWindow = (): TimeWindow => busyWindowOf();

const isBookingList = (row: { endpoint: string }): boolean => row.endpoint === 'GET /bookings';

describe('Bookeo client against the simulator', () => {
  let sim: Simulator;
  let client: BookeoClient;
  let account: BookeoAccountClient;
  const lines: string[] = [];
  let truth: Record<string, unknown>[];
  let backfillFrom: number;

  before(async () => {
    sim = await startSimulator({
      seed: 20240601,
      scale: 600,
      historyDays: 120,
      accounts: [{ apiKey: API_KEY }],
      secretKey: SECRET,
      clock: 'virtual',
      now: '2025-06-01T12:00:00Z',
      tokenTtlSeconds: 1800,
    });
    const logger = createLogger({
      level: 'debug',
      format: 'json',
      destination: { write: (line: string) => void lines.push(line) },
    });
    client = createBookeoClient({
      baseUrl: sim.url,
      secretKey: SECRET,
      requestsPerSecond: 200,
      maxConcurrency: 4,
      connectTimeoutMs: 2000,
      requestTimeoutMs: 5000,
      retryPolicy: { retries: 6, initialDelayMs: 5, maxDelayMs: 100, multiplier: 2 },
      logger,
    });
    account = client.forAccount({ id: 'sim', apiKey: API_KEY });
    truth = await truthOf(sim);
    assert.ok(truth.length > 0, 'the simulator has bookings');
    backfillFrom = Math.min(...truth.map((item) => entityTime(bookings, item) ?? Infinity));
    busyWindowOf = () => {
      const end = toSeconds(sim.admin.now()) - 3600;
      return { start: end - maxWindowSeconds(strategy) + 1, end };
    };
  });

  afterEach(() => sim.admin.clearFaults());

  after(async () => {
    await client?.close();
    await sim?.close();
  });

  it('backfills bookings over planned windows: exactly the ground truth, no id read twice, no wasted call', async () => {
    const now = toSeconds(sim.admin.now());
    const windows = planWindows({
      cursor: undefined,
      backfillFrom,
      now,
      safetyLagSeconds: 0,
      lookbackSeconds: 0,
      maxWindowSeconds: maxWindowSeconds(strategy),
    });
    assert.ok(windows.length > 1, 'the history spans several windows');
    const before = requestCount(sim, isBookingList);
    const results = await fetchWindows(account, windows, 4, 25);

    const ids = results.flatMap((r) => r.items.map((item) => entityId(bookings, item)));
    assert.equal(new Set(ids).size, ids.length, 'tiled windows never return an id twice');
    const expected = truth.filter((item) => entityTime(bookings, item)! <= now).map((item) => entityId(bookings, item));
    assert.deepEqual([...ids].sort(), [...expected].sort());
    // Versions match too: what we read is the current state.
    const fetchedById = new Map(
      results.flatMap((r) => r.items).map((item) => [entityId(bookings, item), entityTime(bookings, item)]),
    );
    for (const item of truth) assert.equal(fetchedById.get(entityId(bookings, item)), entityTime(bookings, item));
    assert.ok(
      results.some((r) => (r.pages[0]?.totalPages ?? 0) > 1),
      'some window needed several pages',
    );

    const calls = requestCount(sim, isBookingList) - before;
    const needed = results.reduce((sum, r) => sum + Math.max(1, r.pages[0]?.totalPages ?? 1), 0);
    assert.equal(calls, needed, 'one request per page, nothing else');

    // Steady state right after: nothing new can exist, so no window and no call.
    const cursor = windows.at(-1)?.end;
    assert.deepEqual(
      planWindows({
        cursor,
        backfillFrom,
        now,
        safetyLagSeconds: 0,
        lookbackSeconds: 300,
        maxWindowSeconds: maxWindowSeconds(strategy),
      }),
      [],
    );
  });

  it('incremental poll with look-back re-emits only what changed', async () => {
    const lag = 60;
    const lookback = 300;
    const maxSpan = maxWindowSeconds(strategy);
    const start = toSeconds(sim.admin.now());
    // State as after a backfill up to now - lag: everything inside the look-back was emitted.
    let cursor = start - lag;
    let seen = new Map<string, SeenEntry>();
    const horizon = lookbackHorizon(cursor, lookback);
    seen = rememberEmitted(
      seen,
      truth
        .filter((item) => (entityTime(bookings, item) ?? 0) <= cursor)
        .map((item) => ({
          id: entityId(bookings, item),
          version: contentHash(item),
          at: entityTime(bookings, item) ?? 0,
        })),
      horizon,
    );
    const mutation = sim.admin.mutate({ newBookings: 3, editBookings: 3, cancelBookings: 1 });
    sim.admin.advance(lag + 5);
    const windows = planWindows({
      cursor,
      backfillFrom,
      now: toSeconds(sim.admin.now()),
      safetyLagSeconds: lag,
      lookbackSeconds: lookback,
      maxWindowSeconds: maxSpan,
    });
    assert.equal(windows.length, 1);
    const [result] = await fetchWindows(account, windows, 1);
    const emitted = (result?.items ?? [])
      .filter((item) => isNewOrChanged(seen, entityId(bookings, item), contentHash(item)))
      .map((item) => entityId(bookings, item));
    const touched = new Set(Object.values(mutation.ids).flat());
    assert.ok(touched.size > 0, 'the simulator reported the mutated ids');
    for (const id of touched) assert.ok(emitted.includes(id), `changed booking ${id} is emitted`);
    assert.ok(
      emitted.every((id) => touched.has(id)),
      `only changed bookings are emitted: ${emitted.join(',')}`,
    );
    cursor = windows[0]!.end;
    truth = await truthOf(sim);
  });

  it("wrong apiKey: BookeoAuthError with Bookeo's errorId, and no key in the error or the logs", async () => {
    const wrong = client.forAccount({ id: 'wrong', apiKey: WRONG_KEY });
    const window = { start: backfillFrom, end: backfillFrom + 86_400 };
    const error = await (async () => {
      for await (const page of wrong.list(listRequest(bookings, { window }))) void page;
    })().catch((e: unknown) => e);
    assert.ok(error instanceof BookeoAuthError, String(error));
    assert.equal(error.status, 403);
    assert.match(error.errorId ?? '', /\S+/);
    assert.ok(error.message.includes(error.errorId ?? '?'), 'the message quotes the errorId');
    const logger = createLogger({
      level: 'debug',
      format: 'json',
      destination: { write: (line: string) => void lines.push(line) },
    });
    logger.error({ err: error }, 'account failed');
    const texts = [error.message, error.stack ?? '', JSON.stringify(error), String(error), ...lines];
    for (const text of texts)
      for (const secret of [SECRET, API_KEY, WRONG_KEY])
        assert.ok(!text.includes(secret), `a key leaked into: ${text.slice(0, 160)}`);
  });

  it('429 with Retry-After: the budget slows down and the listing completes exactly', async () => {
    sim.admin.setFaults(API_KEY, { rateLimit: { requestsPerSecond: 4, burst: 2 } });
    // Its own account id, hence its own budget: the slowed-down rate must not leak into other tests.
    const throttledAccount = client.forAccount({ id: 'sim-throttled', apiKey: API_KEY });
    const window = busyWindow();
    const throttledBefore = requestCount(sim, (row) => isBookingList(row) && row.status === 429);
    const [result] = await fetchWindows(throttledAccount, [window], 1, 30);
    const throttled = requestCount(sim, (row) => isBookingList(row) && row.status === 429) - throttledBefore;
    assert.ok(throttled > 0, 'the simulator did throttle');
    assert.ok(throttledAccount.budget.state().throttleCount > 0, 'the budget saw the 429s');
    assert.ok(throttledAccount.budget.state().requestsPerSecond < 200, 'and slowed down');
    assert.equal(account.budget.state().throttleCount, 0, 'other accounts keep their own budget');
    const expected = truth.filter((item) => inWindow(item, window)).map((item) => entityId(bookings, item));
    assert.deepEqual(result?.items.map((item) => entityId(bookings, item)).sort(), expected.sort());
  });

  it('5xx bursts and connection resets are retried and the listing is exact', async () => {
    sim.admin.setFaults(API_KEY, { errors: { next: 4 }, reset: { next: 2 } });
    const window = busyWindow();
    const errorsBefore = requestCount(
      sim,
      (row) => isBookingList(row) && (row.status === 'reset' || (typeof row.status === 'number' && row.status >= 500)),
    );
    const [result] = await fetchWindows(account, [window], 1, 10);
    const errors =
      requestCount(
        sim,
        (row) =>
          isBookingList(row) && (row.status === 'reset' || (typeof row.status === 'number' && row.status >= 500)),
      ) - errorsBefore;
    assert.equal(errors, 6);
    const expected = truth.filter((item) => inWindow(item, window)).map((item) => entityId(bookings, item));
    assert.deepEqual(result?.items.map((item) => entityId(bookings, item)).sort(), expected.sort());
  });

  it('a malformed page is retried; a page that stays malformed fails with a clear, non-retriable error', async () => {
    const window = busyWindow();
    sim.admin.setFaults(API_KEY, { malformed: { next: 1 } });
    const [result] = await fetchWindows(account, [window], 1, 10);
    const expected = truth.filter((item) => inWindow(item, window)).map((item) => entityId(bookings, item));
    assert.deepEqual(result?.items.map((item) => entityId(bookings, item)).sort(), expected.sort());

    sim.admin.setFaults(API_KEY, { malformed: { next: 100 } });
    const error = await fetchWindows(account, [window], 1, 10).catch((e: unknown) => e);
    assert.ok(error instanceof MalformedResponseError, String(error));
    assert.equal(error.retriable, false);
    assert.match(error.message, /GET \/bookings\?/);
  });

  it('an expired page token restarts the query from page 1 and the result is still exact', async () => {
    sim.admin.setFaults(API_KEY, { tokenTtlSeconds: 30 });
    const window = busyWindow();
    const expected = truth.filter((item) => inWindow(item, window)).map((item) => entityId(bookings, item));
    const request = listRequest(bookings, { window });
    const ids: string[] = [];
    let restarts = 0;
    let advanced = false;
    for await (const page of account.list(
      { ...request, query: { ...request.query, itemsPerPage: 10 } },
      { prefetch: 0, fingerprint: (item) => entityFingerprint(bookings, item) },
    )) {
      ids.push(...page.items.map((item) => entityId(bookings, item)));
      restarts = page.restarts;
      if (!advanced && page.pageNumber === 2) {
        // Let the token outlive its TTL while the consumer works on page 2.
        sim.admin.advance(31);
        advanced = true;
      }
    }
    assert.equal(restarts, 1);
    assert.equal(new Set(ids).size, ids.length, 'items already yielded unchanged are not yielded again');
    assert.deepEqual([...ids].sort(), [...expected].sort());
    assert.ok(lines.some((line) => line.includes('restarting the query from page 1')));
  });
});
