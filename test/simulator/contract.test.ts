/**
 * The simulator's API contract: Bookeo's auth, parameter rules, envelopes and value formats.
 * Every test asserts something a wrong implementation would fail.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSimulator, type RunningSimulator } from '../../simulator/index.js';
import { BOOKEO_TIME, authHeaders, collect, daysAfter, get, iso, post, type Page } from './helpers.js';

const NOW = new Date('2026-06-01T00:00:00Z');
const SECOND_KEY = 'second-account-key';

describe('simulator contract', () => {
  let sim: RunningSimulator;

  before(async () => {
    sim = await startSimulator({
      seed: 7,
      scale: 3000,
      accounts: [{ apiKey: 'demo-api-key' }, { apiKey: SECOND_KEY, timezone: 'Europe/Paris' }],
    });
  });
  after(() => sim.close());

  describe('authentication', () => {
    it('accepts the keys as headers and as query parameters', async () => {
      assert.equal((await get(sim, '/settings/languages')).status, 200);
      const query = await get(sim, `/settings/languages?secretKey=${sim.secretKey}&apiKey=${sim.apiKeys[0] ?? ''}`, {
        headers: {},
      });
      assert.equal(query.status, 200);
    });

    for (const [name, headers] of [
      ['no keys', {}],
      ['only the apiKey header', { 'X-Bookeo-apiKey': 'demo-api-key' }],
      ['a wrong secretKey header', { 'X-Bookeo-secretKey': 'nope', 'X-Bookeo-apiKey': 'demo-api-key' }],
      ['an unknown apiKey header', { 'X-Bookeo-secretKey': 'demo-secret-key', 'X-Bookeo-apiKey': 'nope' }],
    ] as const) {
      it(`answers 403 with {httpStatus, message, errorId} for ${name}`, async () => {
        const answer = await get(sim, '/bookings/1', { headers });
        assert.equal(answer.status, 403);
        assert.equal(answer.body.httpStatus, 403);
        assert.equal(typeof answer.body.message, 'string');
        assert.match(String(answer.body.errorId), /^[0-9A-F]{16}$/);
      });
    }

    it('rejects wrong keys in the query form too', async () => {
      assert.equal(
        (await get(sim, `/settings/languages?secretKey=wrong&apiKey=demo-api-key`, { headers: {} })).status,
        403,
      );
      assert.equal(
        (await get(sim, `/settings/languages?secretKey=${sim.secretKey}&apiKey=wrong`, { headers: {} })).status,
        403,
      );
    });

    it('keeps each account’s data apart', async () => {
      const a = await get<Page>(sim, '/customers?itemsPerPage=5');
      const b = await get<Page>(sim, '/customers?itemsPerPage=5', { apiKey: SECOND_KEY });
      const idsA = new Set(a.body.data.map((c) => c.id));
      assert.ok(b.body.data.every((c) => !idsA.has(c.id)));
      assert.equal((await get(sim, `/customers/${String(a.body.data[0]?.id)}`, { apiKey: SECOND_KEY })).status, 404);
      const paris = await get<Page>(
        sim,
        `/bookings?startTime=${iso(daysAfter(NOW, -40))}&endTime=${iso(daysAfter(NOW, -30))}`,
        { apiKey: SECOND_KEY },
      );
      assert.match(String(paris.body.data[0]?.startTime), /\+0[12]:00$/, 'the account’s own time zone (Europe/Paris)');
    });
  });

  describe('GET /bookings windows', () => {
    const window = `startTime=${iso(daysAfter(NOW, -31))}&endTime=${iso(NOW)}`;

    it('accepts exactly 31 days and refuses 31 days and a second', async () => {
      assert.equal((await get(sim, `/bookings?${window}`)).status, 200);
      const over = await get(
        sim,
        `/bookings?startTime=${iso(daysAfter(NOW, -31))}&endTime=${iso(new Date(NOW.getTime() + 1000))}`,
      );
      assert.equal(over.status, 400);
      assert.match(String(over.body.message), /31 days/);
      const overUpdated = await get(
        sim,
        `/bookings?lastUpdatedStartTime=2026-01-01T00:00:00Z&lastUpdatedEndTime=2026-03-01T00:00:00Z`,
      );
      assert.equal(overUpdated.status, 400);
    });

    it('refuses half a pair, no pair, a reversed window and bad dates', async () => {
      for (const query of [
        'startTime=2026-05-01T00:00:00Z',
        'lastUpdatedEndTime=2026-05-01T00:00:00Z',
        '',
        'startTime=2026-05-10T00:00:00Z&endTime=2026-05-01T00:00:00Z',
        'startTime=2026-05-01&endTime=2026-05-10',
        'startTime=yesterday&endTime=2026-05-10T00:00:00Z',
        'startTime=2026-02-30T00:00:00Z&endTime=2026-03-02T00:00:00Z',
      ]) {
        const answer = await get(sim, `/bookings?${query}`);
        assert.equal(answer.status, 400, query);
        assert.equal(answer.body.httpStatus, 400);
        assert.ok(answer.body.errorId);
      }
    });

    it('combines both pairs with AND', async () => {
      const updated = `lastUpdatedStartTime=${iso(daysAfter(NOW, -20))}&lastUpdatedEndTime=${iso(NOW)}`;
      const byStart = (await get<Page>(sim, `/bookings?${window}&itemsPerPage=100`)).body.info.totalItems;
      const byUpdate = (await get<Page>(sim, `/bookings?${updated}&itemsPerPage=100`)).body.info.totalItems;
      const both = await get<Page>(sim, `/bookings?${window}&${updated}&itemsPerPage=100`);
      assert.ok(both.body.info.totalItems > 0 && both.body.info.totalItems < Math.min(byStart, byUpdate));
      for (const b of both.body.data) {
        assert.ok(Date.parse(String(b.startTime)) >= daysAfter(NOW, -31).getTime());
        assert.ok(Date.parse(String(b.lastChangeTime ?? b.creationTime)) >= daysAfter(NOW, -20).getTime());
      }
    });

    it('accepts offsets, milliseconds and -00:00 (account-local) in query times', async () => {
      for (const query of [
        'startTime=2026-05-01T00:00:00.000Z&endTime=2026-05-02T00:00:00.000Z',
        'startTime=2026-04-30T20:00:00-04:00&endTime=2026-05-01T20:00:00-04:00',
      ]) {
        assert.equal((await get(sim, `/bookings?${query}`)).status, 200, query);
      }
      const local = await get<Page>(
        sim,
        '/bookings?startTime=2026-05-02T00:00:00-00:00&endTime=2026-05-02T23:59:59-00:00&itemsPerPage=100',
      );
      assert.ok(local.body.data.length > 0);
      for (const b of local.body.data) assert.ok(String(b.startTime).startsWith('2026-05-02T'), String(b.startTime));
    });

    it('leaves canceled bookings out unless includeCanceled=true, and filters by productId', async () => {
      const without = await get<Page>(sim, `/bookings?${window}&itemsPerPage=100`);
      const withCanceled = await get<Page>(sim, `/bookings?${window}&itemsPerPage=100&includeCanceled=true`);
      assert.ok(withCanceled.body.info.totalItems > without.body.info.totalItems);
      const all = await collect(sim.admin.groundTruth('bookings'));
      assert.ok(all.some((b) => b.canceled === true));
      const productId = String(without.body.data[0]?.productId);
      const one = await get<Page>(sim, `/bookings?${window}&itemsPerPage=100&productId=${productId}`);
      assert.ok(one.body.data.length > 0 && one.body.data.every((b) => b.productId === productId));
      assert.equal((await get(sim, `/bookings?${window}&productId=NOPE`)).status, 400);
    });

    it('enforces itemsPerPage 1..100 (default 50) and orders by start time then booking number', async () => {
      assert.equal((await get(sim, `/bookings?${window}&itemsPerPage=101`)).status, 400);
      assert.equal((await get(sim, `/bookings?${window}&itemsPerPage=0`)).status, 400);
      const page = await get<Page>(sim, `/bookings?${window}`);
      assert.equal(page.body.data.length, 50);
      const keys = page.body.data.map((b) => [Date.parse(String(b.startTime)), Number(b.bookingNumber)] as const);
      for (let i = 1; i < keys.length; i++) {
        const [s0, n0] = keys[i - 1] as readonly [number, number];
        const [s1, n1] = keys[i] as readonly [number, number];
        assert.ok(s0 < s1 || (s0 === s1 && n0 < n1));
      }
    });

    it('serves Bookeo value formats: string ids, local offsets, money as strings, optional fields absent', async () => {
      const page = await get<Page>(
        sim,
        `/bookings?${window}&itemsPerPage=100&includeCanceled=true&expandCustomer=true&expandParticipants=true`,
      );
      for (const b of page.body.data) {
        assert.equal(typeof b.bookingNumber, 'string');
        assert.match(String(b.startTime), BOOKEO_TIME);
        assert.match(String(b.startTime), /-0[45]:00$/, 'America/New_York offset');
        const price = b.price as Record<string, { amount: unknown; currency: string }>;
        assert.equal(typeof price.totalGross?.amount, 'string');
        assert.equal((b.customer as Record<string, unknown>).id, b.customerId);
        const participants = b.participants as { numbers: { number: number }[]; details: unknown[] };
        assert.equal(
          participants.details.length,
          participants.numbers.reduce((sum, n) => sum + n.number, 0),
        );
        if (b.canceled === true) assert.equal(b.lastChangeTime, b.cancelationTime);
        else assert.equal('cancelationTime' in b, false);
        assert.ok(!Object.values(b).includes(null), 'Bookeo leaves absent fields out instead of sending null');
      }
      const plain = await get<Page>(sim, `/bookings?${window}&itemsPerPage=5`);
      assert.ok(plain.body.data.every((b) => !('customer' in b) && !('details' in (b.participants as object))));
    });
  });

  describe('single entities and other lists', () => {
    it('GET /bookings/{n} returns the booking, 404 with an error body for an unknown one', async () => {
      const [first] = await collect(sim.admin.groundTruth('bookings'));
      const one = await get(sim, `/bookings/${String(first?.bookingNumber)}`);
      assert.deepEqual(one.body, first);
      const missing = await get(sim, '/bookings/999');
      assert.equal(missing.status, 404);
      assert.equal(missing.body.httpStatus, 404);
    });

    it('customers: createdSince, search, linked people, single customer', async () => {
      const since = await get<Page>(sim, `/customers?createdSince=${iso(daysAfter(NOW, -30))}&itemsPerPage=100`);
      assert.ok(since.body.info.totalItems > 0);
      assert.ok(since.body.data.every((c) => Date.parse(String(c.creationTime)) >= daysAfter(NOW, -30).getTime()));
      const truth = await collect(sim.admin.groundTruth('customers'));
      assert.ok(since.body.info.totalItems < truth.length);
      const emails = truth.map((c) => c.emailAddress);
      assert.ok(new Set(emails).size < emails.length, 'some customers share an e-mail (duplicate records)');
      assert.ok(truth.some((c) => c.member === true) && truth.some((c) => c.member === false));
      const target = truth[5] as Record<string, unknown>;
      const search = await get<Page>(
        sim,
        `/customers?searchText=${encodeURIComponent(String(target.lastName))}&searchField=lastName&itemsPerPage=100`,
      );
      assert.ok(search.body.data.some((c) => c.id === target.id));
      assert.ok(search.body.data.every((c) => String(c.lastName).includes(String(target.lastName))));
      assert.deepEqual((await get(sim, `/customers/${String(target.id)}`)).body, target);
      const people = await collect(sim.admin.groundTruth('customers_people'));
      const owner = String(people[0]?.customerId);
      const linked = await get<Page>(sim, `/customers/${owner}/linkedpeople`);
      assert.deepEqual(
        linked.body.data,
        people.filter((p) => p.customerId === owner),
      );
      assert.equal((await get(sim, '/customers/NOPE')).status, 404);
    });

    it('settings, webhooks and payments have their envelopes and limits', async () => {
      const languages = await get(sim, '/settings/languages');
      assert.deepEqual(Object.keys(languages.body), ['data']);
      const products = await get<Page>(sim, '/settings/products');
      assert.deepEqual(
        new Set(products.body.data.map((p) => p.type)),
        new Set(['fixed', 'fixedCourse', 'flexibleTime']),
      );
      const fixed = await get<Page>(sim, '/settings/products?type=fixedCourse');
      assert.ok(fixed.body.data.every((p) => p.type === 'fixedCourse'));
      const resources = await get<Page>(sim, '/settings/resources');
      assert.ok(resources.body.data.every((t) => Array.isArray(t.resources)));
      const hooks = await get<Page>(sim, '/webhooks');
      assert.ok(hooks.body.data.some((h) => 'blockedTime' in h));
      assert.equal(
        (await get(sim, `/payments?startTime=${iso(daysAfter(NOW, -10))}&endTime=${iso(NOW)}&itemsPerPage=301`)).status,
        400,
      );
      assert.equal((await get(sim, `/payments`)).status, 400);
      const payments = await get<Page>(
        sim,
        `/payments?startTime=${iso(daysAfter(NOW, -31))}&endTime=${iso(NOW)}&itemsPerPage=300`,
      );
      assert.equal(payments.body.data.length, Math.min(300, payments.body.info.totalItems));
      const all = await collect(sim.admin.groundTruth('payments'));
      assert.ok(
        all.some((p) => String((p.amount as { amount: string }).amount).startsWith('-')),
        'refunds are negative payments',
      );
    });
  });

  describe('writes', () => {
    it('POST /holds prices a hold that expires on the clock; POST /bookings answers 201 with Location', async () => {
      const future = (await collect(sim.admin.groundTruth('bookings'))).find(
        (b) => Date.parse(String(b.startTime)) > NOW.getTime() + 86_400_000 && typeof b.eventId === 'string',
      );
      assert.ok(future);
      const customerId = String(future.customerId);
      const body = {
        productId: future.productId,
        eventId: future.eventId,
        customerId,
        participants: { numbers: [{ peopleCategoryId: 'Cadults', number: 2 }] },
      };
      const hold = await post(sim, '/holds?holdDurationSeconds=300', body);
      assert.equal(hold.status, 201);
      assert.match(String(hold.headers.get('location')), /\/v2\/holds\//);
      assert.equal((await get(sim, `/holds/${String(hold.body.id)}`)).status, 200);
      sim.admin.advance(301);
      assert.equal((await get(sim, `/holds/${String(hold.body.id)}`)).status, 404, 'the hold expired');

      const created = await post(sim, '/bookings', body);
      assert.equal(created.status, 201);
      assert.equal(created.headers.get('location'), `/v2/bookings/${String(created.body.bookingNumber)}`);
      assert.deepEqual((created.body.participants as { numbers: unknown }).numbers, body.participants.numbers);
      const now = sim.admin.now();
      const window = await get<Page>(
        sim,
        `/bookings?lastUpdatedStartTime=${iso(new Date(now.getTime() - 60_000))}&lastUpdatedEndTime=${iso(now)}`,
      );
      assert.ok(
        window.body.data.some((b) => b.bookingNumber === created.body.bookingNumber),
        'a new booking is in the lastUpdated window',
      );
      assert.equal((await post(sim, '/bookings', { ...body, participants: { numbers: [] } })).status, 400);
      assert.equal((await post(sim, '/bookings', { ...body, eventId: 'X_2026-01-01' })).status, 400);
    });
  });

  it('answers /v2 paths that do not exist with a Bookeo error body', async () => {
    const answer = await fetch(`${sim.url}/nothing`, { headers: authHeaders(sim) });
    assert.equal(answer.status, 404);
    assert.equal(((await answer.json()) as { httpStatus: number }).httpStatus, 404);
  });
});
