/** Pagination as Bookeo does it: page-1 token, any page order, snapshot semantics under mutations, TTL on the clock. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSimulator, type RunningSimulator } from '../../simulator/index.js';
import { allPages, get, type Page } from './helpers.js';

const WINDOW =
  '/bookings?startTime=2026-05-01T00:00:00Z&endTime=2026-05-31T23:59:59Z&includeCanceled=true&itemsPerPage=20';

describe('simulator pagination', () => {
  let sim: RunningSimulator;

  before(async () => {
    sim = await startSimulator({ seed: 3, scale: 4000, tokenTtlSeconds: 600 });
  });
  after(() => sim.close());

  it('gives a token only when there is more than one page, and the same token on every page', async () => {
    const first = await get<Page>(sim, WINDOW);
    assert.ok(first.body.info.totalPages > 3);
    const token = first.body.info.pageNavigationToken;
    assert.ok(token);
    const third = await get<Page>(sim, `/bookings?pageNavigationToken=${token}&pageNumber=3`);
    assert.equal(third.body.info.currentPage, 3);
    assert.equal(third.body.info.pageNavigationToken, token);
    const single = await get<Page>(
      sim,
      '/bookings?startTime=2026-05-01T00:00:00Z&endTime=2026-05-02T00:00:00Z&itemsPerPage=100',
    );
    assert.ok(single.body.info.totalItems > 0);
    assert.equal(single.body.info.totalPages, 1);
    assert.equal('pageNavigationToken' in single.body.info, false);
  });

  it('serves the same items whatever the page order', async () => {
    const inOrder = await allPages(sim, WINDOW);
    const reversed = await allPages(sim, WINDOW, (pages) => [...pages].reverse());
    const shuffled = await allPages(sim, WINDOW, (pages) =>
      [...pages].sort((a, b) => ((a * 7919) % 13) - ((b * 7919) % 13)),
    );
    assert.equal(inOrder.items.length, inOrder.first.info.totalItems);
    assert.deepEqual(reversed.items, inOrder.items);
    assert.deepEqual(shuffled.items, inOrder.items);
    assert.equal(
      new Set(inOrder.items.map((b) => b.bookingNumber)).size,
      inOrder.items.length,
      'no duplicates across pages',
    );
  });

  it('keeps a token’s result fixed while bookings are created, edited and canceled between pages', async () => {
    const query = '/bookings?startTime=2026-06-01T00:00:00Z&endTime=2026-07-01T00:00:00Z&itemsPerPage=10';
    const first = await get<Page>(sim, query);
    const token = first.body.info.pageNavigationToken ?? '';
    const ids: string[] = first.body.data.map((b) => String(b.bookingNumber));
    const result = sim.admin.mutate({ newBookings: 30, cancelBookings: 10, editBookings: 10 });
    assert.equal(result.applied.newBookings, 30);
    for (let n = 2; n <= first.body.info.totalPages; n++) {
      const page = await get<Page>(sim, `/bookings?pageNavigationToken=${token}&pageNumber=${n}`);
      assert.equal(page.body.info.totalItems, first.body.info.totalItems);
      ids.push(...page.body.data.map((b) => String(b.bookingNumber)));
    }
    assert.equal(ids.length, first.body.info.totalItems, 'nothing shifted between pages');
    assert.equal(new Set(ids).size, ids.length);
    const fresh = await get<Page>(sim, query);
    assert.notEqual(fresh.body.info.totalItems, first.body.info.totalItems, 'a new search sees the changes');
  });

  it('refuses unknown, foreign and expired tokens and out-of-range pages with 400', async () => {
    const first = await get<Page>(sim, WINDOW);
    const token = first.body.info.pageNavigationToken ?? '';
    const unknown = await get(sim, '/bookings?pageNavigationToken=nope&pageNumber=2');
    assert.equal(unknown.status, 400);
    assert.match(String(unknown.body.message), /invalid or expired pageNavigationToken/);
    assert.ok(unknown.body.errorId);
    assert.equal(
      (await get(sim, `/customers?pageNavigationToken=${token}&pageNumber=2`)).status,
      400,
      'a bookings token is not a customers token',
    );
    assert.equal(
      (await get(sim, `/bookings?pageNavigationToken=${token}&pageNumber=${first.body.info.totalPages + 1}`)).status,
      400,
    );
    assert.equal((await get(sim, `${WINDOW}&pageNumber=2`)).status, 400, 'page 2 needs the token');
    sim.admin.advance(599);
    assert.equal((await get(sim, `/bookings?pageNavigationToken=${token}&pageNumber=2`)).status, 200);
    sim.admin.advance(1);
    assert.equal(
      (await get(sim, `/bookings?pageNavigationToken=${token}&pageNumber=2`)).status,
      400,
      'expired after the TTL',
    );
  });

  it('pages customers and payments the same way', async () => {
    const customers = await allPages(sim, '/customers?itemsPerPage=100', (pages) => [...pages].reverse());
    assert.equal(customers.items.length, sim.admin.count('customers'));
    const payments = await allPages(
      sim,
      '/payments?startTime=2026-04-01T00:00:00Z&endTime=2026-05-01T00:00:00Z&itemsPerPage=300',
    );
    assert.equal(payments.items.length, payments.first.info.totalItems);
    assert.ok(payments.first.info.totalPages > 1);
  });
});
