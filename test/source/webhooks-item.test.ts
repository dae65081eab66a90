/**
 * Deliveries and their items, on the real stack (simulator delivering, Kafka, registry), polling
 * set to one hour: a new payment reaches its topic from its delivery's item with no
 * `GET /payments/{id}` (while the booking of the same change is re-read: the count can see GETs);
 * a delivery whose item may be older than what is published (a payment the poll read, here with
 * another amount) is re-read and publishes nothing; one whose item is older than a published
 * version (a booking edited since) reads nothing and publishes nothing. The newer version stays.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startApp, type App } from '../../app/app.js';
import type { AppConfig } from '../../common/config/schema.js';
import type { SourceRuntime } from '../../connector/source/runtime.js';
import { createKafka, type KafkaClient } from '../../kafka/client.js';
import { startSimulator, webhookSignature, type RunningSimulator } from '../../simulator/index.js';
import { cleanupPrefix } from '../../testkit/source-cleanup.js';
import { eventually, uniqueName } from '../../testkit/wait-for.js';
import { capturingLogger, liveEntries, truthOf, viewTopic } from '../helpers/source-fixture.js';
import { allDelivered, firstPollDone, registerWebhooks, webhookSourceConfig } from '../helpers/webhook-source.js';

describe('webhook items: published without a re-read only where nothing newer can exist', () => {
  let simulator: RunningSimulator;
  let kafka: KafkaClient;
  let app: App;
  let runtime: SourceRuntime;
  let running: Promise<void>;
  let publicUrl: string;
  let config: AppConfig;
  const prefix = uniqueName('srcwhi');
  const capture = capturingLogger();

  const apiKey = (): string => simulator.apiKeys[0] ?? '';
  const topic = (resource: string): string => runtime.topicOf(resource);
  const gets = (endpoint: string): number =>
    simulator.admin
      .counters()
      .filter((row) => row.endpoint === `GET ${endpoint}`)
      .reduce((sum, row) => sum + row.count, 0);
  /** Every booking as GET returns it without expansions (the shape of a delivery's item). */
  const bookingItems = async (): Promise<Map<string, Record<string, unknown>>> => {
    const items = new Map<string, Record<string, unknown>>();
    for await (const item of simulator.admin.groundTruth('bookings', apiKey()))
      items.set(String(item.bookingNumber), item);
    return items;
  };
  /** A delivery signed as Bookeo signs it, sent by hand (the simulator's own carry the current item). */
  const deliverByHand = async (
    domain: string,
    type: string,
    itemId: string,
    item: Record<string, unknown>,
  ): Promise<unknown> => {
    const search = `?domain=${domain}&type=${type}`;
    const body = JSON.stringify({ domain, type, itemId, item });
    const timestamp = String(simulator.admin.now().getTime());
    const messageId = randomUUID();
    const signature = webhookSignature(simulator.secretKey, {
      timestamp,
      messageId,
      url: `${publicUrl}/acme${search}`,
      body,
    });
    const answer = await fetch(`${app.webhooks?.url ?? ''}/hooks/acme${search}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-bookeo-timestamp': timestamp,
        'x-bookeo-messageid': messageId,
        'x-bookeo-signature': signature,
      },
      body,
    });
    assert.equal(answer.status, 200, `${domain}/${type} ${itemId} answered 200`);
    return answer.json();
  };

  before(async () => {
    simulator = await startSimulator({
      seed: 33,
      scale: 200,
      secretKey: 'sk-test-SECRET-7f3a9c1e',
      accounts: [{ apiKey: 'ak-test-APIKEY-19c2b44d' }],
    });
    const made = await webhookSourceConfig(simulator, prefix);
    config = made.config;
    publicUrl = made.publicUrl;
    kafka = createKafka(config.kafka, capture.logger);
    app = await startApp({
      config,
      logger: capture.logger,
      source: true,
      destinations: [],
      now: () => simulator.admin.now().getTime(),
    });
    runtime = app.source as SourceRuntime;
    const task = runtime.tasks[0] as SourceRuntime['tasks'][number];
    running = task.run().catch(() => undefined);
    await firstPollDone(simulator, task, config.source.safetyLagSeconds);
    await registerWebhooks(simulator, publicUrl);
  });

  after(async () => {
    await app?.stop();
    await running;
    if (kafka !== undefined) await cleanupPrefix(kafka, prefix);
    await simulator?.close();
  });

  it('publishes a new payment from its item with no GET of it', async () => {
    simulator.admin.clearDeliveries();
    simulator.admin.resetCounters();
    simulator.admin.mutate({ newBookings: 3 });
    const sent = await allDelivered(simulator);
    const payments = sent.filter((delivery) => delivery.domain === 'payments').map((delivery) => delivery.itemId);
    assert.ok(payments.length > 0, 'the new bookings took payments');
    const truth = await truthOf(simulator, 'payments');
    await eventually(async () => {
      const latest = (await viewTopic(kafka, topic('payments'))).latest;
      for (const id of payments) assert.equal(latest.get(id), truth.get(id), `payment ${id} published`);
    });
    assert.equal(gets('/payments/{id}'), 0, 'no payment re-read');
    assert.ok(gets('/bookings/{bookingNumber}') >= 3, 'the new bookings were re-read');
    assert.deepEqual(liveEntries(await viewTopic(kafka, topic('payments'))), truth, 'payments topic = truth');
  });

  it('never publishes an item older than what is published: the newer version stays', async () => {
    // A payment the first poll read (its time is before the cursor), with another amount: re-read, unchanged.
    const cursor = Number(runtime.tasks[0]?.offsets().get('payments')?.cursor);
    let polled: Record<string, unknown> | undefined;
    for await (const item of simulator.admin.groundTruth('payments', apiKey()))
      if (Date.parse(String(item.creationTime)) / 1000 < cursor) polled = item;
    assert.ok(polled !== undefined, 'a payment before the cursor');
    const paymentId = String(polled.id);
    const paymentsBefore = (await viewTopic(kafka, topic('payments'))).latest.get(paymentId);
    simulator.admin.resetCounters();
    const forged = { ...polled, amount: { amount: '999.99', currency: 'EUR' } };
    assert.deepEqual(await deliverByHand('payments', 'created', paymentId, forged), { result: 'unchanged' });
    assert.equal(gets('/payments/{id}'), 1, 'the payment was re-read');
    assert.equal((await viewTopic(kafka, topic('payments'))).latest.get(paymentId), paymentsBefore);

    // A booking edited after the item was rendered (the clock moved on, so its change time is later):
    // the late delivery of the older state is superseded, reads nothing and publishes nothing.
    const items = await bookingItems();
    simulator.admin.advance(5);
    await allDelivered(simulator);
    simulator.admin.clearDeliveries();
    const bookingId = simulator.admin.mutate({ editBookings: 1 }).ids.editBookings[0] ?? '';
    const older = items.get(bookingId);
    assert.ok(older !== undefined, `booking ${bookingId} existed before its edit`);
    await allDelivered(simulator);
    const newer = (await truthOf(simulator, 'bookings')).get(bookingId);
    await eventually(async () =>
      assert.equal((await viewTopic(kafka, topic('bookings'))).latest.get(bookingId), newer),
    );
    const records = (await viewTopic(kafka, topic('bookings'))).records;
    simulator.admin.resetCounters();
    assert.deepEqual(await deliverByHand('bookings', 'updated', bookingId, older), { result: 'unchanged' });
    assert.equal(gets('/bookings/{bookingNumber}'), 0, 'the booking was not read');
    const view = await viewTopic(kafka, topic('bookings'));
    assert.equal(view.latest.get(bookingId), newer, 'the newer version stays');
    assert.equal(view.records, records, 'nothing published');
  });
});
