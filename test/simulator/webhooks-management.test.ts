/** Webhook management as Bookeo does it: list, register (with validation), replace, read, delete, per API key. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSimulator, type RunningSimulator } from '../../simulator/index.js';
import { del, get, post, type Page } from './helpers.js';
import { startReceiver } from './webhook-receiver.js';

const OTHER = 'other-account';
const URL_A = 'https://receiver.example.com/hooks/acme?domain=bookings&type=updated';

describe('simulator webhook management', () => {
  let sim: RunningSimulator;

  before(async () => {
    sim = await startSimulator({ seed: 5, scale: 200, accounts: [{ apiKey: 'demo-api-key' }, { apiKey: OTHER }] });
  });
  after(() => sim.close());

  it('lists the generated webhooks in the list envelope, a blocked one with blockedTime and blockedReason', async () => {
    const list = await get<Page>(sim, '/webhooks');
    assert.equal(list.status, 200);
    assert.deepEqual(Object.keys(list.body), ['info', 'data']);
    assert.equal(list.body.info.totalItems, 4);
    const blocked = list.body.data.filter((h) => 'blockedTime' in h);
    assert.equal(blocked.length, 1);
    assert.match(String(blocked[0]?.blockedReason), /failed deliveries/);
    assert.deepEqual(list.body.data, await collect(sim.admin.groundTruth('webhooks')));
  });

  it('registers {url, domain, type} with 201 + Location, reads and lists it, and another account does not see it', async () => {
    const created = await post(sim, '/webhooks', { url: URL_A, domain: 'bookings', type: 'updated' });
    assert.equal(created.status, 201);
    const id = String(created.body.id);
    assert.deepEqual(created.body, { id, url: URL_A, domain: 'bookings', type: 'updated' });
    assert.equal(created.headers.get('location'), `/v2/webhooks/${id}`);
    assert.deepEqual((await get(sim, `/webhooks/${id}`)).body, created.body);
    const ids = (await get<Page>(sim, '/webhooks')).body.data.map((h) => h.id);
    assert.ok(ids.includes(id));
    assert.ok(
      (await collect(sim.admin.groundTruth('webhooks'))).some((h) => h.id === id),
      'ground truth lists it',
    );
    assert.equal((await get(sim, `/webhooks/${id}`, { apiKey: OTHER })).status, 404);
    assert.ok(!(await get<Page>(sim, '/webhooks', { apiKey: OTHER })).body.data.some((h) => h.id === id));
  });

  it('keeps one webhook per (domain, type): a new registration replaces the old one under a new id', async () => {
    const first = await post(sim, '/webhooks', { url: URL_A, domain: 'customers', type: 'deleted' });
    const second = await post(sim, '/webhooks', { url: `${URL_A}&v=2`, domain: 'customers', type: 'deleted' });
    assert.notEqual(second.body.id, first.body.id);
    assert.equal((await get(sim, `/webhooks/${String(first.body.id)}`)).status, 404);
    const same = (await get<Page>(sim, '/webhooks')).body.data.filter(
      (h) => h.domain === 'customers' && h.type === 'deleted',
    );
    assert.deepEqual(same, [second.body], 'the generated blocked customers/deleted webhook was replaced too');
  });

  it('deletes with 204; the webhook is gone and a second delete is 404', async () => {
    const created = await post(sim, '/webhooks', { url: URL_A, domain: 'payments', type: 'created' });
    const id = String(created.body.id);
    assert.equal((await del(sim, `/webhooks/${id}`)).status, 204);
    assert.equal((await get(sim, `/webhooks/${id}`)).status, 404);
    const again = await del(sim, `/webhooks/${id}`);
    assert.equal(again.status, 404);
    assert.equal((JSON.parse(again.text) as { httpStatus: number }).httpStatus, 404);
  });

  it('refuses bad registrations with 400 and Bookeo error bodies', async () => {
    const cases: [unknown, RegExp][] = [
      [[1, 2], /JSON object/],
      [{ domain: 'bookings', type: 'created' }, /url is required/],
      [{ url: 'not a url', domain: 'bookings', type: 'created' }, /not an absolute URL/],
      [{ url: 'ftp://x.example.com/h', domain: 'bookings', type: 'created' }, /must use https/],
      [{ url: URL_A, domain: 'holds', type: 'created' }, /domain must be one of bookings, seatblocks/],
      [{ url: URL_A, domain: 'bookings', type: 'changed' }, /type must be one of created, updated, deleted/],
    ];
    const before = (await get<Page>(sim, '/webhooks')).body.data;
    for (const [body, message] of cases) {
      const answer = await post<{ httpStatus: number; message: string; errorId: string }>(sim, '/webhooks', body);
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.equal(answer.body.httpStatus, 400);
      assert.match(answer.body.message, message);
      assert.match(answer.body.errorId, /^[0-9A-F]{16}$/);
    }
    assert.deepEqual((await get<Page>(sim, '/webhooks')).body.data, before, 'nothing registered');
  });

  it('refuses http URLs when the simulator is told to take only https, as Bookeo does', async () => {
    const strict = await startSimulator({ seed: 5, scale: 50, webhooks: { allowHttp: false } });
    try {
      const answer = await post(strict, '/webhooks', {
        url: 'http://127.0.0.1:1/h',
        domain: 'bookings',
        type: 'created',
      });
      assert.equal(answer.status, 400);
      assert.match(String(answer.body.message), /must use https:/);
      const https = await post(strict, '/webhooks', { url: URL_A, domain: 'bookings', type: 'created' });
      assert.equal(https.status, 201);
    } finally {
      await strict.close();
    }
  });

  it('sends nothing for the generated webhooks: mutations without a registered webhook make no delivery', async () => {
    sim.admin.mutate({ newBookings: 3, editBookings: 2, cancelBookings: 1, newCustomers: 2 }, OTHER);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(sim.admin.deliveries({ apiKey: OTHER }), []);
  });

  it('changes neither the data nor the mutations: a simulator with webhooks stays equal to one without', async () => {
    const plain = await startSimulator({ seed: 9, scale: 200 });
    const watched = await startSimulator({ seed: 9, scale: 200 });
    const receiver = await startReceiver();
    try {
      for (const domain of ['bookings', 'customers', 'payments'])
        for (const type of ['created', 'updated', 'deleted'])
          await post(watched, '/webhooks', { url: receiver.urlFor(domain, type), domain, type });
      const request = {
        newBookings: 4,
        editBookings: 2,
        cancelBookings: 2,
        newCustomers: 2,
        editCustomers: 2,
        deleteCustomers: 1,
      };
      assert.deepEqual(watched.admin.mutate(request), plain.admin.mutate(request));
      watched.admin.advance(3 * 86_400);
      plain.admin.advance(3 * 86_400);
      await receiver.waitFor(10);
      for (const resource of ['bookings', 'customers', 'customers_people', 'payments'])
        assert.deepEqual(
          await collect(watched.admin.groundTruth(resource)),
          await collect(plain.admin.groundTruth(resource)),
          resource,
        );
    } finally {
      await Promise.all([plain.close(), watched.close()]);
      await receiver.close();
    }
  });

  it('refuses invalid delivery settings at start', async () => {
    await assert.rejects(
      startSimulator({ scale: 10, webhooks: { timeoutMs: 0, queueLimit: 0.5 } }),
      /invalid webhook settings: timeoutMs must be > 0; queueLimit must be an integer >= 1/,
    );
  });
});

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
