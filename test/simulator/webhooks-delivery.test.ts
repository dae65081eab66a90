/**
 * Webhook deliveries: a signed POST for each kind of change, retries on errors and slow answers
 * (driven by the simulator clock), X-Bookeo-PreviousMessageLost after a message is given up,
 * blocking after repeated losses, and DELETE stopping deliveries. A local receiver records all.
 * Tests that advance the clock watch customers/updated, which nothing but a customer edit sends
 * (passing a booking's start records payments and updates the booking).
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { startSimulator, verifyWebhookSignature } from '../../simulator/index.js';
import { get, post, type Page } from './helpers.js';
import { startHarness, type Harness } from './webhook-harness.js';
import type { Received } from './webhook-receiver.js';

const HOOKS = [
  ['bookings', 'created'],
  ['bookings', 'updated'],
  ['bookings', 'deleted'],
  ['customers', 'created'],
  ['customers', 'updated'],
  ['customers', 'deleted'],
  ['payments', 'created'],
] as const;

describe('simulator webhook deliveries', () => {
  let h: Harness;

  before(async () => {
    h = await startHarness();
  });
  afterEach(() => h.reset());
  after(() => h.close());

  const signed = (r: Received): boolean =>
    verifyWebhookSignature(
      h.sim.secretKey,
      { timestamp: String(r.headers['x-bookeo-timestamp']), messageId: r.messageId, url: r.url, body: r.body },
      String(r.headers['x-bookeo-signature']),
    );
  const of = (domain: string, type: string) => (r: Received) => r.json.domain === domain && r.json.type === type;

  it('delivers a signed POST for every kind of change to the webhook of its domain and type', async () => {
    for (const [domain, type] of HOOKS) await h.register(domain, type);
    const payments = h.sim.admin.count('payments');
    const made = h.sim.admin.mutate({
      newBookings: 2,
      editBookings: 1,
      cancelBookings: 1,
      newCustomers: 1,
      editCustomers: 1,
      deleteCustomers: 1,
    });
    const deliveries = await h.quiet();
    assert.ok(deliveries.every((d) => d.state === 'delivered'));
    const got = await h.receiver.waitFor(deliveries.length);
    assert.equal(got.length, deliveries.length, 'one POST per message');
    const now = String(h.sim.admin.now().getTime());
    for (const r of got) {
      assert.ok(signed(r), `signature of ${r.json.domain}/${r.json.type} ${r.json.itemId}`);
      assert.equal(r.headers['x-bookeo-timestamp'], now, 'timestamp: simulator clock, epoch ms');
      assert.equal(r.previousMessageLost, false);
      assert.equal(r.url, h.receiver.urlFor(r.json.domain, r.json.type), 'sent to the webhook of its domain/type');
    }
    assert.equal(new Set(got.map((r) => r.messageId)).size, got.length, 'MessageIds are unique');
    const ids = (domain: string, type: string): string[] => got.filter(of(domain, type)).map((r) => r.json.itemId);
    for (const id of made.ids.newBookings) assert.ok(ids('bookings', 'created').includes(id), `created ${id}`);
    assert.deepEqual(ids('bookings', 'updated'), made.ids.editBookings);
    assert.ok(
      made.ids.cancelBookings.every((id) => ids('bookings', 'deleted').includes(id)),
      'cancel → deleted',
    );
    for (const id of made.ids.newCustomers) assert.ok(ids('customers', 'created').includes(id));
    for (const id of made.ids.editCustomers) assert.ok(ids('customers', 'updated').includes(id));
    assert.deepEqual(ids('customers', 'deleted'), made.ids.deleteCustomers);
    assert.equal(ids('payments', 'created').length, h.sim.admin.count('payments') - payments, 'one per new payment');

    const edited = got.find(of('bookings', 'updated'));
    const current = await get(h.sim, `/bookings/${edited?.json.itemId ?? ''}`);
    assert.deepEqual(edited?.json.item, current.body, 'the item is the entity as GET by id returns it');
    const canceled = got.find((r) => of('bookings', 'deleted')(r) && made.ids.cancelBookings.includes(r.json.itemId));
    assert.equal(canceled?.json.item?.canceled, true, 'a cancellation carries the canceled booking');
    const gone = got.find(of('customers', 'deleted'));
    assert.equal(gone?.json.item, undefined, 'a hard-deleted customer has an itemId and no item');
    assert.equal((await get(h.sim, `/customers/${gone?.json.itemId ?? ''}`)).status, 404);
  });

  it('delivers the payment recorded when the clock passes a booking start, and the booking whose totalPaid moved', async () => {
    await h.register('payments', 'created');
    await h.register('bookings', 'updated');
    const now = h.sim.admin.now().getTime();
    type Money = { amount: string };
    let due: Record<string, unknown> | undefined;
    for await (const b of h.sim.admin.groundTruth('bookings')) {
      const price = b.price as { totalGross: Money; totalPaid: Money };
      const start = Date.parse(String(b.startTime));
      const unpaid = price.totalGross.amount !== price.totalPaid.amount && b.canceled !== true;
      if (start > now && unpaid && (due === undefined || start < Date.parse(String(due.startTime)))) due = b;
    }
    assert.ok(due !== undefined, 'a future booking with money still due');
    const number = String(due.bookingNumber);
    h.sim.admin.advance((Date.parse(String(due.startTime)) - now) / 1000);
    const [payment] = await h.receiver.waitFor(
      1,
      (r) => r.json.domain === 'payments' && r.json.item?.description === `Booking ${number}`,
    );
    assert.ok(payment !== undefined && signed(payment));
    const [booking] = await h.receiver.waitFor(1, (r) => r.json.domain === 'bookings' && r.json.itemId === number);
    const price = booking?.json.item?.price as { totalGross: Money; totalPaid: Money };
    assert.equal(price.totalPaid.amount, price.totalGross.amount, 'the item shows the settled booking');
  });

  it('retries a 500 after the back-off (on the simulator clock) with the same MessageId and a fresh signature', async () => {
    await h.register('customers', 'updated');
    h.receiver.answer = (_r, seen) => (seen === 1 ? 500 : 200);
    h.sim.admin.mutate({ editCustomers: 1 });
    const first = await h.delivery(
      () => true,
      (d) => d.state === 'retrying',
      'the first attempt to fail',
    );
    assert.deepEqual(
      first.attempts.map((a) => a.status),
      [500],
    );
    const done = await h.settle(first.messageId);
    assert.equal(done.state, 'delivered');
    assert.deepEqual(
      done.attempts.map((a) => a.status),
      [500, 200],
    );
    const got = await h.receiver.waitFor(2);
    assert.ok(got.every((r) => r.messageId === first.messageId && signed(r)));
    assert.ok(Number(got[1]?.headers['x-bookeo-timestamp']) - Number(got[0]?.headers['x-bookeo-timestamp']) >= 60_000);
  });

  it('retries an answer slower than the answer window, and the API is not held up meanwhile', async () => {
    await h.register('customers', 'updated');
    h.receiver.answer = (_r, seen) => (seen === 1 ? 'hang' : 200);
    h.sim.admin.mutate({ editCustomers: 1 });
    await h.receiver.waitFor(1);
    const started = performance.now();
    assert.equal((await get<Page>(h.sim, '/webhooks')).status, 200, 'the API answers while a delivery hangs');
    assert.ok(performance.now() - started < 250, 'well within the answer window');
    const first = await h.delivery(
      () => true,
      (d) => d.state === 'retrying',
      'the attempt to time out',
    );
    assert.equal(first.attempts[0]?.error, 'timeout');
    assert.equal((await h.settle(first.messageId)).state, 'delivered');
  });

  it('gives a message up after its last attempt; the next delivery carries X-Bookeo-PreviousMessageLost until one is answered', async () => {
    await h.register('customers', 'updated');
    h.receiver.answer = () => 500;
    h.sim.admin.mutate({ editCustomers: 1 });
    const [lost] = await h.queued(1);
    assert.equal((await h.settle(lost?.messageId ?? '')).state, 'lost');
    assert.equal(h.sim.admin.deliveries()[0]?.attempts.length, 3, 'three attempts: first plus two retries');
    h.receiver.answer = () => 200;
    h.sim.admin.mutate({ editCustomers: 1 });
    const [next] = await h.receiver.waitFor(1, (r) => r.messageId !== lost?.messageId, 'the next message');
    assert.equal(next?.previousMessageLost, true);
    assert.equal(next?.headers['x-bookeo-previousmessagelost'], 'true');
    h.sim.admin.mutate({ editCustomers: 1 });
    const after = await h.receiver.waitFor(2, (r) => r.messageId !== lost?.messageId, 'the one after');
    assert.equal(after[1]?.previousMessageLost, false, 'cleared once a delivery was answered');
  });

  it('blocks a webhook after repeated losses: blockedTime/blockedReason, nothing more until it is registered again', async () => {
    const id = await h.register('customers', 'updated');
    h.receiver.answer = () => 500;
    for (let round = 0; round < 2; round++) {
      h.sim.admin.mutate({ editCustomers: 1 });
      const message = (await h.queued(round + 1))[round];
      assert.equal((await h.settle(message?.messageId ?? '')).state, 'lost');
    }
    const blocked = await get(h.sim, `/webhooks/${id}`);
    assert.equal(Date.parse(String(blocked.body.blockedTime)), Math.floor(h.sim.admin.now().getTime() / 1000) * 1000);
    assert.equal(blocked.body.blockedReason, 'Too many failed deliveries (HTTP 500)');
    const before = h.sim.admin.deliveries().length;
    h.sim.admin.mutate({ editCustomers: 2 });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(h.sim.admin.deliveries().length, before, 'a blocked webhook gets nothing');

    h.receiver.answer = () => 200;
    const again = await h.register('customers', 'updated');
    assert.notEqual(again, id);
    assert.equal((await get(h.sim, `/webhooks/${id}`)).status, 404, 'replaced');
    const made = h.sim.admin.mutate({ editCustomers: 1 });
    const [r] = await h.receiver.waitFor(1, (x) => x.json.itemId === made.ids.editCustomers[0] && x.url !== '');
    assert.ok(r !== undefined && signed(r));
  });

  it('bounds the queue of a webhook: past the limit a message is lost without being sent', async () => {
    const small = await startSimulator({ seed: 11, scale: 100, webhooks: { queueLimit: 2, timeoutMs: 2_000 } });
    try {
      const receiver = h.receiver;
      receiver.answer = () => 'hang';
      const answer = await post(small, '/webhooks', {
        url: receiver.urlFor('customers', 'created'),
        domain: 'customers',
        type: 'created',
      });
      assert.equal(answer.status, 201);
      small.admin.mutate({ newCustomers: 1 });
      await receiver.waitFor(1);
      small.admin.mutate({ newCustomers: 3 });
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(
        small.admin.deliveries().map((d) => d.state),
        ['sending', 'queued', 'queued', 'lost'],
      );
      assert.equal(small.admin.deliveries()[3]?.attempts.length, 0, 'refused by the full queue');
    } finally {
      await small.close();
    }
  });

  it('stops delivering when the webhook is deleted: the attempt in flight and the queued messages are canceled', async () => {
    const id = await h.register('bookings', 'updated');
    h.receiver.answer = () => 'hang';
    h.sim.admin.mutate({ editBookings: 1 });
    await h.receiver.waitFor(1);
    h.sim.admin.mutate({ editBookings: 2 });
    await h.queued(3);
    const response = await fetch(`${h.sim.url}/webhooks/${id}`, {
      method: 'DELETE',
      headers: { 'X-Bookeo-secretKey': h.sim.secretKey, 'X-Bookeo-apiKey': h.apiKey },
    });
    assert.equal(response.status, 204);
    h.sim.admin.mutate({ editBookings: 2 });
    const all = await h.quiet();
    assert.deepEqual(
      all.map((d) => d.state),
      ['canceled', 'canceled', 'canceled'],
    );
    assert.equal(h.receiver.received.length, 1, 'nothing sent after the delete');
  });
});
