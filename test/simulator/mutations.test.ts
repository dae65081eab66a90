/** Mutations, ground truth and determinism: what the connector's exactly-once claims are checked against. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startSimulator } from '../../simulator/index.js';
import { collect, get, iso, type Page } from './helpers.js';

describe('simulator mutations and ground truth', () => {
  it('same seed → same data; another seed → other data', async () => {
    const a = await startSimulator({ seed: 11, scale: 1500 });
    const b = await startSimulator({ seed: 11, scale: 1500 });
    const c = await startSimulator({ seed: 12, scale: 1500 });
    try {
      for (const resource of [
        'bookings',
        'customers',
        'customers_people',
        'payments',
        'settings_products',
        'resources',
        'webhooks',
      ] as const) {
        assert.deepEqual(
          await collect(a.admin.groundTruth(resource)),
          await collect(b.admin.groundTruth(resource)),
          resource,
        );
      }
      a.admin.mutate({
        newBookings: 5,
        editBookings: 5,
        cancelBookings: 5,
        deleteCustomers: 2,
        editCustomers: 3,
        editProducts: 1,
      });
      b.admin.mutate({
        newBookings: 5,
        editBookings: 5,
        cancelBookings: 5,
        deleteCustomers: 2,
        editCustomers: 3,
        editProducts: 1,
      });
      assert.deepEqual(
        await collect(a.admin.groundTruth('bookings')),
        await collect(b.admin.groundTruth('bookings')),
        'mutations are deterministic too',
      );
      assert.notDeepEqual(
        (await collect(a.admin.groundTruth('customers'))).slice(0, 20),
        (await collect(c.admin.groundTruth('customers'))).slice(0, 20),
      );
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });

  it('edits, cancellations, new and deleted entities show up as Bookeo shows them', async () => {
    const sim = await startSimulator({ seed: 5, scale: 2000 });
    try {
      sim.admin.advance(3600);
      const now = sim.admin.now();
      const result = sim.admin.mutate({
        newBookings: 4,
        editBookings: 4,
        cancelBookings: 3,
        newCustomers: 2,
        editCustomers: 2,
        deleteCustomers: 3,
        editProducts: 2,
        editResources: 1,
      });
      assert.deepEqual(Object.values(result.applied), [4, 4, 3, 2, 2, 3, 2, 1]);
      const truth = new Map(
        (await collect(sim.admin.groundTruth('bookings'))).map((b) => [String(b.bookingNumber), b]),
      );
      for (const n of result.ids.editBookings)
        assert.equal(Date.parse(String(truth.get(n)?.lastChangeTime)), now.getTime());
      for (const n of result.ids.cancelBookings) {
        const b = truth.get(n);
        assert.equal(b?.canceled, true);
        assert.equal(b?.cancelationTime, b?.lastChangeTime);
        assert.equal(Date.parse(String(b?.cancelationTime)), now.getTime());
      }
      for (const n of result.ids.newBookings) {
        assert.equal(Date.parse(String(truth.get(n)?.creationTime)), now.getTime());
        assert.equal('lastChangeTime' in (truth.get(n) ?? {}), false, 'never changed after creation');
      }
      const window = await get<Page>(
        sim,
        `/bookings?lastUpdatedStartTime=${iso(now)}&lastUpdatedEndTime=${iso(now)}&includeCanceled=true&itemsPerPage=100`,
      );
      assert.deepEqual(
        new Set(window.body.data.map((b) => b.bookingNumber)),
        new Set([...result.ids.newBookings, ...result.ids.editBookings, ...result.ids.cancelBookings]),
      );
      const without = await get<Page>(
        sim,
        `/bookings?lastUpdatedStartTime=${iso(now)}&lastUpdatedEndTime=${iso(now)}&itemsPerPage=100`,
      );
      assert.ok(without.body.data.every((b) => b.canceled === false));

      const deletedCustomers = sim.admin.deletedIds('customers');
      assert.deepEqual(deletedCustomers, result.ids.deleteCustomers);
      for (const id of deletedCustomers) assert.equal((await get(sim, `/customers/${id}`)).status, 404);
      const customers = await collect(sim.admin.groundTruth('customers'));
      assert.ok(deletedCustomers.every((id) => !customers.some((c) => c.id === id)));
      for (const id of sim.admin.deletedIds('bookings')) {
        assert.equal(truth.has(id), false, 'hard-deleted bookings are gone from the truth');
        assert.equal((await get(sim, `/bookings/${id}`)).status, 404);
      }
      const people = await collect(sim.admin.groundTruth('customers_people'));
      assert.ok(sim.admin.deletedIds('customers_people').every((id) => !people.some((p) => p.id === id)));
      assert.equal(customers.length, sim.admin.count('customers'));
    } finally {
      await sim.close();
    }
  });

  it('keeps totalPaid equal to the sum of the booking’s payments, across clock advances', async () => {
    const sim = await startSimulator({ seed: 9, scale: 1500 });
    try {
      sim.admin.mutate({ newBookings: 20, editBookings: 20, cancelBookings: 10 });
      sim.admin.advance(20 * 86_400);
      const paid = new Map<string, number>();
      for (const p of await collect(sim.admin.groundTruth('payments'))) {
        const n = String(p.description).replace('Booking ', '');
        paid.set(n, (paid.get(n) ?? 0) + Math.round(Number((p.amount as { amount: string }).amount) * 100));
      }
      let checked = 0;
      for (const b of await collect(sim.admin.groundTruth('bookings'))) {
        const price = b.price as { totalPaid: { amount: string }; totalGross: { amount: string } };
        assert.equal(
          Math.round(Number(price.totalPaid.amount) * 100),
          paid.get(String(b.bookingNumber)) ?? 0,
          String(b.bookingNumber),
        );
        if (b.canceled === false && Date.parse(String(b.startTime)) <= sim.admin.now().getTime())
          assert.equal(price.totalPaid.amount, price.totalGross.amount, 'paid in full once started');
        checked++;
      }
      assert.ok(checked > 1500);
    } finally {
      await sim.close();
    }
  });

  it('ticks at the configured rate of the simulated clock', async () => {
    const sim = await startSimulator({ seed: 2, scale: 500, mutationRate: 6 });
    try {
      sim.admin.advance(600);
      const result = sim.admin.tick();
      const total = Object.values(result.applied).reduce((a, b) => a + b, 0);
      assert.ok(total >= 50 && total <= 60, `10 minutes at 6/min gave ${total}`);
      assert.ok(result.applied.newBookings > result.applied.cancelBookings);
      const again = sim.admin.tick();
      assert.equal(
        Object.values(again.applied).reduce((a, b) => a + b, 0),
        0,
        'no simulated time passed, nothing owed',
      );
    } finally {
      await sim.close();
    }
  });
});
