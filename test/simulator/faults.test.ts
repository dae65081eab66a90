/** Each fault switch, the counters that record them, and the admin HTTP API. */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { startSimulator, type RunningSimulator } from '../../simulator/index.js';
import { authHeaders, get, type Page } from './helpers.js';

const LIST = '/bookings?startTime=2026-05-01T00:00:00Z&endTime=2026-05-20T00:00:00Z&itemsPerPage=5';
const OTHER = 'other-account';

describe('simulator faults', () => {
  let sim: RunningSimulator;
  let key: string;

  before(async () => {
    sim = await startSimulator({ seed: 4, scale: 2000, accounts: [{ apiKey: 'demo-api-key' }, { apiKey: OTHER }] });
    key = sim.apiKeys[0] ?? '';
  });
  afterEach(() => sim.admin.clearFaults());
  after(() => sim.close());

  it('throttles with 429 + Retry-After from a per-apiKey token bucket', async () => {
    sim.admin.setFaults(key, { rateLimit: { requestsPerSecond: 0.5, burst: 3 } });
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 5; i++) {
      const answer = await get(sim, '/settings/languages');
      statuses.push(answer.status);
      if (answer.status === 429) {
        retryAfter = answer.headers.get('retry-after');
        assert.equal(answer.body.httpStatus, 429);
      }
    }
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
    assert.ok(Number(retryAfter) >= 1 && Number(retryAfter) <= 2, `Retry-After ${retryAfter}`);
    assert.equal(
      (await get(sim, '/settings/languages', { apiKey: OTHER })).status,
      200,
      'another account has its own bucket',
    );
  });

  it('answers the next N requests with 500/502/503 in turn, then recovers', async () => {
    sim.admin.setFaults(key, { errors: { next: 4 } });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await get(sim, LIST)).status);
    assert.deepEqual(statuses, [500, 502, 503, 500, 200]);
    assert.equal(sim.admin.faults(key).errors?.next, 0);
  });

  it('adds latency, and hangs longer than a client timeout', async () => {
    sim.admin.setFaults(key, { latencyMs: 150 });
    let started = performance.now();
    assert.equal((await get(sim, LIST)).status, 200);
    assert.ok(performance.now() - started >= 140);
    sim.admin.setFaults(key, { hang: { next: 1, ms: 5000 } });
    started = performance.now();
    await assert.rejects(
      fetch(`${sim.url}${LIST}`, { headers: authHeaders(sim), signal: AbortSignal.timeout(300) }),
      /TimeoutError|aborted/,
    );
    assert.ok(performance.now() - started < 2000);
    assert.equal((await get(sim, LIST)).status, 200, 'only the next request hung');
  });

  it('resets connections', async () => {
    sim.admin.setFaults(key, { reset: { next: 2 } });
    await assert.rejects(fetch(`${sim.url}${LIST}`, { headers: authHeaders(sim) }), /fetch failed/);
    await assert.rejects(fetch(`${sim.url}${LIST}`, { headers: authHeaders(sim) }), /fetch failed/);
    assert.equal((await get(sim, LIST)).status, 200);
  });

  it('serves a malformed JSON page', async () => {
    sim.admin.setFaults(key, { malformed: { next: 1 } });
    const response = await fetch(`${sim.url}${LIST}`, { headers: authHeaders(sim) });
    assert.equal(response.status, 200);
    await assert.rejects(response.json(), SyntaxError);
    assert.equal((await get(sim, LIST)).status, 200);
  });

  it('drifts the schema: a new field, and money amounts turned into numbers', async () => {
    sim.admin.setFaults(key, { schemaDrift: { addField: true, changeType: true } });
    const page = await get<Page>(sim, LIST);
    const booking = page.body.data[0] as Record<string, unknown>;
    assert.equal(booking.loyaltyTier, 'silver');
    assert.equal(typeof (booking.price as { totalGross: { amount: unknown } }).totalGross.amount, 'number');
    const other = await get<Page>(sim, LIST.replace('itemsPerPage=5', 'itemsPerPage=6'), { apiKey: OTHER });
    assert.equal('loyaltyTier' in (other.body.data[0] ?? {}), false, 'per account');
    sim.admin.clearFaults(key);
    assert.equal('loyaltyTier' in ((await get<Page>(sim, LIST)).body.data[0] ?? {}), false);
  });

  it('expires page tokens early', async () => {
    sim.admin.setFaults(key, { tokenTtlSeconds: 10 });
    const first = await get<Page>(sim, LIST);
    const token = first.body.info.pageNavigationToken ?? '';
    assert.equal((await get(sim, `/bookings?pageNavigationToken=${token}&pageNumber=2`)).status, 200);
    sim.admin.advance(10);
    assert.equal((await get(sim, `/bookings?pageNavigationToken=${token}&pageNumber=2`)).status, 400);
    const again = await get<Page>(sim, LIST);
    assert.ok(sim.admin.expireTokens(key) >= 1);
    assert.equal(
      (await get(sim, `/bookings?pageNavigationToken=${again.body.info.pageNavigationToken ?? ''}&pageNumber=2`))
        .status,
      400,
    );
  });

  it('rejects invalid fault settings', () => {
    assert.throws(() => sim.admin.setFaults(key, { errors: { rate: 2 } }), RangeError);
    assert.throws(() => sim.admin.setFaults('nobody', {}), RangeError);
  });

  it('counts requests per apiKey, endpoint and status', async () => {
    sim.admin.resetCounters();
    await get(sim, LIST);
    await get(sim, '/bookings/1');
    await get(sim, '/bookings/1', { headers: {} });
    sim.admin.setFaults(key, { reset: { next: 1 } });
    await fetch(`${sim.url}${LIST}`, { headers: authHeaders(sim) }).catch(() => undefined);
    const rows = sim.admin.counters();
    const find = (apiKey: string, endpoint: string, status: number | string): number =>
      rows.find((r) => r.apiKey === apiKey && r.endpoint === endpoint && r.status === status)?.count ?? 0;
    assert.equal(find(key, 'GET /bookings', 200), 1);
    assert.equal(find(key, 'GET /bookings', 'reset'), 1);
    assert.equal(find(key, 'GET /bookings/{bookingNumber}', 404), 1);
    assert.equal(find('(unknown)', 'GET /bookings/{bookingNumber}', 403), 1);
  });
});

describe('simulator admin HTTP API', () => {
  let sim: RunningSimulator;
  before(async () => {
    sim = await startSimulator({ seed: 8, scale: 1200 });
  });
  after(() => sim.close());

  const call = async (
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> }> => {
    const response = await fetch(`${sim.adminUrl}${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('advances the clock, mutates, switches faults and reads counters', async () => {
    const advanced = await call('POST', '/clock/advance', { seconds: 3600 });
    assert.equal(advanced.body.now, '2026-06-01T01:00:00.000Z');
    const mutated = await call('POST', '/mutate?apiKey=demo-api-key', { newBookings: 2, deleteCustomers: 1 });
    assert.equal((mutated.body.applied as Record<string, number>).newBookings, 2);
    assert.equal(
      (await call('PUT', '/faults?apiKey=demo-api-key', { errors: { next: 1, statuses: [503] } })).status,
      200,
    );
    assert.equal((await get(sim, '/settings/languages')).status, 503);
    assert.equal((await call('DELETE', '/faults')).status, 200);
    assert.equal((await get(sim, '/settings/languages')).status, 200);
    const counters = (await call('GET', '/counters')).body.counters as { status: number }[];
    assert.ok(counters.some((row) => row.status === 503));
    assert.equal((await call('PUT', '/faults?apiKey=demo-api-key', { latencyMs: -1 })).status, 400);
    assert.equal((await call('GET', '/nothing')).status, 404);
  });

  it('streams the ground truth as NDJSON, equal to the in-process truth, plus deleted ids', async () => {
    const response = await fetch(`${sim.adminUrl}/truth/bookings`);
    assert.match(String(response.headers.get('content-type')), /ndjson/);
    const lines = (await response.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const inProcess: unknown[] = [];
    for await (const item of sim.admin.groundTruth('bookings')) inProcess.push(item);
    assert.deepEqual(lines, inProcess);
    const deleted = await call('GET', '/truth/customers/deleted');
    assert.deepEqual(deleted.body.ids, sim.admin.deletedIds('customers'));
    assert.equal((await call('GET', '/truth/nonsense')).status, 404);
  });
});
