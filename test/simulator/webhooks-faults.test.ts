/**
 * Webhook delivery faults, each doing what it says (duplicate, delayed, out-of-order, dropped,
 * badly signed, stale), switched in process and over the HTTP admin API, and the admin view of
 * deliveries over HTTP. They watch customers/updated, which nothing but a customer edit sends, so
 * advancing the clock (payments due at booking starts) adds no message of its own.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { verifyWebhookSignature } from '../../simulator/index.js';
import { startHarness, type Harness } from './webhook-harness.js';
import type { Received } from './webhook-receiver.js';

describe('simulator webhook faults', () => {
  let h: Harness;

  before(async () => {
    h = await startHarness();
    await h.register('customers', 'updated');
  });
  afterEach(async () => {
    await h.reset();
    await h.register('customers', 'updated');
  });
  after(() => h.close());

  const signed = (r: Received): boolean =>
    verifyWebhookSignature(
      h.sim.secretKey,
      { timestamp: String(r.headers['x-bookeo-timestamp']), messageId: r.messageId, url: r.url, body: r.body },
      String(r.headers['x-bookeo-signature']),
    );

  it('duplicate: a delivered message is sent again, identical', async () => {
    h.sim.admin.setFaults(h.apiKey, { webhooks: { duplicate: { next: 1 } } });
    h.sim.admin.mutate({ editCustomers: 2 });
    const [first, second] = await h.quiet();
    assert.deepEqual(first?.faults, ['duplicate']);
    assert.deepEqual(
      first?.attempts.map((a) => [a.status, a.duplicate]),
      [
        [200, false],
        [200, true],
      ],
    );
    assert.equal(second?.attempts.length, 1, 'next: 1 fires once');
    const got = await h.receiver.waitFor(3);
    const twice = got.filter((r) => r.messageId === first?.messageId);
    assert.equal(twice.length, 2);
    assert.equal(twice[0]?.body, twice[1]?.body);
    assert.equal(twice[0]?.headers['x-bookeo-signature'], twice[1]?.headers['x-bookeo-signature']);
    assert.equal(twice[0]?.headers['x-bookeo-timestamp'], twice[1]?.headers['x-bookeo-timestamp']);
  });

  it('delay: a message waits (here until the clock passes it) and those behind it wait too', async () => {
    h.sim.admin.setFaults(h.apiKey, { webhooks: { delay: { next: 1, ms: 600_000 } } });
    h.sim.admin.mutate({ editCustomers: 2 });
    const queued = await h.queued(2);
    assert.deepEqual(
      queued.map((d) => [d.state, d.attempts.length]),
      [
        ['queued', 0],
        ['queued', 0],
      ],
    );
    const queuedAt = Date.parse(queued[0]?.queuedAt ?? '');
    h.sim.admin.advance(600);
    const [delayed, behind] = await h.quiet();
    assert.equal(delayed?.state, 'delivered');
    assert.equal(Date.parse(delayed?.attempts[0]?.at ?? '') - queuedAt, 600_000, 'sent once the clock passed it');
    const got = await h.receiver.waitFor(2);
    assert.deepEqual(
      got.map((r) => r.messageId),
      [delayed?.messageId, behind?.messageId],
      'still in order',
    );
  });

  it('reorder: a message is sent after the one queued next', async () => {
    h.sim.admin.setFaults(h.apiKey, { webhooks: { reorder: { next: 1 } } });
    h.sim.admin.mutate({ editCustomers: 3 });
    const queued = await h.quiet();
    assert.deepEqual(queued[0]?.faults, ['reorder']);
    const got = await h.receiver.waitFor(3);
    assert.deepEqual(
      got.map((r) => r.messageId),
      [queued[1]?.messageId, queued[0]?.messageId, queued[2]?.messageId],
    );
  });

  it('drop: a message is never sent; the next one carries X-Bookeo-PreviousMessageLost', async () => {
    h.sim.admin.setFaults(h.apiKey, { webhooks: { drop: { next: 1 } } });
    h.sim.admin.mutate({ editCustomers: 2 });
    const [dropped, next] = await h.quiet();
    assert.equal(dropped?.state, 'dropped');
    assert.equal(dropped?.attempts.length, 0);
    const got = await h.receiver.waitFor(1);
    assert.deepEqual(
      got.map((r) => [r.messageId, r.previousMessageLost]),
      [[next?.messageId, true]],
    );
    assert.equal(h.sim.admin.deliveries({ state: 'dropped' }).length, 1, 'counted in the view');
  });

  it('badSignature: an attempt is signed with a wrong key; refused, it is retried correctly signed', async () => {
    h.sim.admin.setFaults(h.apiKey, { webhooks: { badSignature: { next: 1 } } });
    h.receiver.answer = (r) => (signed(r) ? 200 : 401);
    h.sim.admin.mutate({ editCustomers: 1 });
    const [message] = await h.queued(1);
    const done = await h.settle(message?.messageId ?? '');
    assert.deepEqual(
      done.attempts.map((a) => [a.status, a.badSignature]),
      [
        [401, true],
        [200, false],
      ],
    );
    const got = await h.receiver.waitFor(2);
    assert.deepEqual(got.map(signed), [false, true]);
  });

  it('staleTimestamp: an attempt carries an old X-Bookeo-Timestamp, correctly signed', async () => {
    h.sim.admin.setFaults(h.apiKey, { webhooks: { staleTimestamp: { next: 1, seconds: 900 } } });
    h.receiver.answer = (r) =>
      Math.abs(Number(r.headers['x-bookeo-timestamp']) - h.sim.admin.now().getTime()) > 120_000 ? 400 : 200;
    h.sim.admin.mutate({ editCustomers: 1 });
    const [message] = await h.queued(1);
    const now = h.sim.admin.now().getTime();
    const done = await h.settle(message?.messageId ?? '');
    assert.deepEqual(
      done.attempts.map((a) => [a.status, a.staleTimestamp]),
      [
        [400, true],
        [200, false],
      ],
    );
    const [stale] = await h.receiver.waitFor(2);
    assert.equal(Number(stale?.headers['x-bookeo-timestamp']), now - 900_000);
    assert.ok(stale !== undefined && signed(stale), 'only the timestamp is off');
  });

  it('over HTTP: faults are set and validated under /_admin/faults, deliveries are read under /_admin/webhooks/deliveries', async () => {
    const admin = h.sim.adminUrl;
    const put = (body: unknown): Promise<Response> =>
      fetch(`${admin}/faults?apiKey=${h.apiKey}`, { method: 'PUT', body: JSON.stringify(body) });
    assert.equal((await put({ webhooks: { drop: { next: -1 } } })).status, 400);
    const unknown = await put({ webhooks: { explode: { next: 1 } } });
    assert.equal(unknown.status, 400);
    assert.match(((await unknown.json()) as { error: string }).error, /webhooks.explode is not a webhook fault/);
    assert.equal((await put({ webhooks: { drop: { next: 1 } } })).status, 200);
    h.sim.admin.mutate({ editCustomers: 2 });
    await h.quiet();
    const view = (await (await fetch(`${admin}/webhooks/deliveries?apiKey=${h.apiKey}&state=dropped`)).json()) as {
      deliveries: { state: string; domain: string; type: string }[];
    };
    assert.deepEqual(
      view.deliveries.map((d) => [d.state, d.domain, d.type]),
      [['dropped', 'customers', 'updated']],
    );
    assert.equal((await fetch(`${admin}/webhooks/deliveries`, { method: 'DELETE' })).status, 200);
    assert.deepEqual(h.sim.admin.deliveries(), []);
  });
});
