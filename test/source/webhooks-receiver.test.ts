/**
 * The webhook receiver on the real stack, with the simulator delivering to it and polling set to
 * one hour (after the first poll, nothing is polled unless a delivery asks for a catch-up): every
 * kind of change reaches its topic through deliveries alone, equal to the ground truth with no
 * version published twice; refused requests (unknown account, wrong method, body too large, bad
 * JSON, bad signature, stale timestamp — by hand and as the simulator's faults) publish nothing and
 * are counted; replayed and reordered deliveries leave the truth and nothing twice; a dropped
 * delivery is recovered through the catch-up the next delivery's PreviousMessageLost starts.
 * Webhooks are registered through the simulator's /webhooks API directly.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApp, type App } from '../../app/app.js';
import type { AppConfig } from '../../common/config/schema.js';
import type { SourceRuntime } from '../../connector/source/runtime.js';
import { createKafka, type KafkaClient } from '../../kafka/client.js';
import { startSimulator, webhookSignature, type RunningSimulator } from '../../simulator/index.js';
import { cleanupPrefix } from '../../testkit/source-cleanup.js';
import { eventually, uniqueName, waitFor } from '../../testkit/wait-for.js';
import { capturingLogger, liveEntries, truthOf, viewTopic } from '../helpers/source-fixture.js';
import {
  WEBHOOK_RESOURCES,
  allDelivered,
  firstPollDone,
  registerWebhooks,
  webhookSourceConfig,
} from '../helpers/webhook-source.js';

const RESOURCES = WEBHOOK_RESOURCES;
const MAX_BODY = 4096;

describe('webhook receiver: deliveries to records, exactly once', () => {
  let simulator: RunningSimulator;
  let kafka: KafkaClient;
  let app: App;
  let runtime: SourceRuntime;
  let running: Promise<void>;
  let publicUrl: string;
  let config: AppConfig;
  const prefix = uniqueName('srcwh');
  const capture = capturingLogger();

  const apiKey = (): string => simulator.apiKeys[0] ?? '';
  const topic = (resource: string): string => runtime.topicOf(resource);
  const task = () => runtime.tasks[0] as SourceRuntime['tasks'][number];
  const delivered = () => allDelivered(simulator);
  /** The source with its receiver, running until stopped; resolves after the first poll of every resource. */
  const startSource = async (): Promise<void> => {
    app = await startApp({
      config,
      logger: capture.logger,
      source: true,
      destinations: [],
      now: () => simulator.admin.now().getTime(),
    });
    runtime = app.source as SourceRuntime;
    running = task()
      .run()
      .catch(() => undefined);
    // The first poll of every resource, then nothing for an hour.
    await firstPollDone(simulator, task(), config.source.safetyLagSeconds);
  };
  const assertTopicsEqualTruth = async (what: string): Promise<void> => {
    for (const resource of RESOURCES) {
      const truth = await truthOf(simulator, resource);
      await eventually(async () => {
        const view = await viewTopic(kafka, topic(resource));
        assert.deepEqual(liveEntries(view), truth, `${resource}: topic equals ground truth ${what}`);
        assert.deepEqual(view.repeated, [], `${resource}: no version published twice ${what}`);
      });
    }
  };
  const metric = async (outcome: string, account = 'acme'): Promise<number> => {
    const text = await (await fetch(`${app.http?.url ?? ''}/metrics`)).text();
    const line = text
      .split('\n')
      .find((candidate) =>
        candidate.startsWith(
          `bookeo_connect_source_webhook_deliveries_total{account="${account}",outcome="${outcome}"}`,
        ),
      );
    return line === undefined ? 0 : Number(line.split(' ').pop());
  };

  before(async () => {
    simulator = await startSimulator({
      seed: 21,
      scale: 300,
      secretKey: 'sk-test-SECRET-7f3a9c1e',
      accounts: [{ apiKey: 'ak-test-APIKEY-19c2b44d' }],
      webhooks: { retryDelaysMs: [30_000, 30_000, 30_000], blockAfterLost: 10, reorderHoldMs: 500 },
    });
    const made = await webhookSourceConfig(simulator, prefix, (raw) => {
      raw.webhooks = { ...raw.webhooks, maxBodyBytes: MAX_BODY };
    });
    config = made.config;
    publicUrl = made.publicUrl;
    kafka = createKafka(config.kafka, capture.logger);
    await startSource();
    await registerWebhooks(simulator, publicUrl);
  });

  after(async () => {
    simulator?.admin.clearFaults();
    await app?.stop();
    await running;
    if (kafka !== undefined) await cleanupPrefix(kafka, prefix);
    await simulator?.close();
  });

  it('publishes edits, new customers, cancellations, payments and deletions through deliveries alone', async () => {
    await assertTopicsEqualTruth('after the first poll');
    const before = new Map(task().offsets());
    simulator.admin.clearDeliveries();
    const result = simulator.admin.mutate({
      newBookings: 2,
      editBookings: 2,
      cancelBookings: 1,
      newCustomers: 1,
      editCustomers: 1,
      deleteCustomers: 1,
    });
    assert.equal(result.applied.deleteCustomers, 1);
    const sent = await delivered();
    const kinds = new Set(sent.map((delivery) => `${delivery.domain}/${delivery.type}`));
    for (const kind of [
      'bookings/updated',
      'bookings/deleted',
      'customers/created',
      'customers/deleted',
      'payments/created',
    ])
      assert.ok(kinds.has(kind), `a ${kind} delivery was sent`);
    await assertTopicsEqualTruth('after the deliveries');
    // Nothing was polled: the cursors and the last full listing are where the first poll left them.
    for (const resource of ['bookings', 'payments', 'customers'])
      assert.deepEqual(
        Object.entries(task().offsets().get(resource) ?? {}).filter(([key]) => key !== 'seen'),
        Object.entries(before.get(resource) ?? {}).filter(([key]) => key !== 'seen'),
        `${resource}: not polled`,
      );
    assert.ok((await metric('published')) > 0);
  });

  it('refuses unknown accounts, other methods, large bodies, bad JSON, bad signatures and stale timestamps, and publishes nothing for them', async () => {
    const base = app.webhooks?.url ?? '';
    const sign = (timestamp: string, messageId: string, body: string, secret = simulator.secretKey) =>
      webhookSignature(secret, { timestamp, messageId, url: `${publicUrl}/acme?domain=bookings&type=updated`, body });
    const deliver = (
      body: string,
      headers: Record<string, string>,
      path = '/hooks/acme?domain=bookings&type=updated',
    ) => fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    const now = String(simulator.admin.now().getTime());
    const booking = [...(await truthOf(simulator, 'bookings')).keys()][0] ?? '';
    const body = JSON.stringify({ itemId: booking });
    const outcomes = ['bad_signature', 'stale_timestamp', 'bad_json', 'too_large', 'method_not_allowed'] as const;
    const counts = async (): Promise<Record<(typeof outcomes)[number], number>> => {
      const values = await Promise.all(outcomes.map((outcome) => metric(outcome)));
      return Object.fromEntries(outcomes.map((outcome, index) => [outcome, values[index] ?? 0])) as Record<
        (typeof outcomes)[number],
        number
      >;
    };
    const before = await counts();
    const unknownBefore = await metric('unknown_account', '');
    const records = (await viewTopic(kafka, topic('bookings'))).records;

    assert.equal((await deliver(body, {}, '/hooks/nobody?domain=bookings&type=updated')).status, 404);
    assert.equal((await fetch(`${base}/hooks/acme`)).status, 405);
    assert.equal((await deliver('x'.repeat(MAX_BODY + 1), {})).status, 413);
    const headers = (timestamp: string, messageId: string, text: string, secret?: string) => ({
      'x-bookeo-timestamp': timestamp,
      'x-bookeo-messageid': messageId,
      'x-bookeo-signature': sign(timestamp, messageId, text, secret),
    });
    assert.equal((await deliver(body, headers(now, 'm-wrong-key', body, 'not-the-secret'))).status, 401);
    assert.equal((await deliver(body, { 'x-bookeo-timestamp': now, 'x-bookeo-messageid': 'm-unsigned' })).status, 401);
    const stale = String(simulator.admin.now().getTime() - 600_000);
    assert.equal((await deliver(body, headers(stale, 'm-stale', body))).status, 401);
    assert.equal((await deliver('{"itemId":', headers(now, 'm-json', '{"itemId":'))).status, 400);

    // The simulator's own faults: a wrongly signed attempt (a booking edit) and a stale one (a customer
    // edit: another webhook, so another queue) are refused, and their retries taken.
    simulator.admin.clearDeliveries();
    const customerRecords = (await viewTopic(kafka, topic('customers'))).records;
    const firstAttemptRefused = (domain: string) =>
      waitFor(
        () =>
          simulator.admin
            .deliveries({ apiKey: apiKey() })
            .find((delivery) => delivery.domain === domain && delivery.attempts[0]?.status === 401),
        { what: `the first ${domain} attempt refused with 401`, timeoutMs: 15_000, intervalMs: 50 },
      );
    simulator.admin.setFaults(apiKey(), { webhooks: { badSignature: { next: 1 } } });
    const edited = simulator.admin.mutate({ editBookings: 1 }).ids.editBookings;
    await firstAttemptRefused('bookings');
    simulator.admin.setFaults(apiKey(), { webhooks: { staleTimestamp: { next: 1 } } });
    const editedCustomers = simulator.admin.mutate({ editCustomers: 1 }).ids.editCustomers;
    await firstAttemptRefused('customers');
    assert.equal((await viewTopic(kafka, topic('customers'))).records, customerRecords, 'no customer published');
    assert.equal(
      (await viewTopic(kafka, topic('bookings'))).records,
      records,
      'nothing published for refused requests',
    );
    const after = await counts();
    assert.equal(after.bad_signature - before.bad_signature, 3, 'two by hand, one from the simulator');
    assert.equal(after.stale_timestamp - before.stale_timestamp, 2);
    assert.equal(after.bad_json - before.bad_json, 1);
    assert.equal(after.too_large - before.too_large, 1);
    assert.equal(after.method_not_allowed - before.method_not_allowed, 1);
    assert.equal((await metric('unknown_account', '')) - unknownBefore, 1);

    simulator.admin.clearFaults();
    simulator.admin.advance(31);
    await delivered();
    const latest = (await viewTopic(kafka, topic('bookings'))).latest;
    const truth = await truthOf(simulator, 'bookings');
    for (const id of edited)
      assert.equal(latest.get(id), truth.get(id), `booking ${id} published once its retry was signed`);
    const customers = await truthOf(simulator, 'customers');
    const latestCustomers = (await viewTopic(kafka, topic('customers'))).latest;
    for (const id of editedCustomers)
      assert.equal(latestCustomers.get(id), customers.get(id), `customer ${id} published on retry`);
    await assertTopicsEqualTruth('after the retried deliveries');
    assert.ok(!capture.lines.some((line) => line.includes(simulator.secretKey)), 'no secret key in the logs');
  });

  it('publishes no state twice for duplicated and reordered deliveries, and ends at the truth', async () => {
    simulator.admin.clearDeliveries();
    const duplicatesBefore = await metric('duplicate');
    simulator.admin.setFaults(apiKey(), { webhooks: { duplicate: { rate: 1 }, reorder: { rate: 0.5 } } });
    simulator.admin.mutate({ editBookings: 4, newBookings: 2, editCustomers: 2, newCustomers: 1 });
    simulator.admin.mutate({ editBookings: 2, cancelBookings: 1, editCustomers: 1 });
    await delivered();
    simulator.admin.clearFaults();
    assert.ok((await metric('duplicate')) > duplicatesBefore, 'replayed message ids were answered without publishing');
    await assertTopicsEqualTruth('after duplicated and reordered deliveries');
  });

  it('recovers a dropped delivery through the catch-up that PreviousMessageLost starts', async () => {
    simulator.admin.clearDeliveries();
    simulator.admin.setFaults(apiKey(), { webhooks: { drop: { next: 2 } } });
    const lostBooking = simulator.admin.mutate({ editBookings: 1 }).ids.editBookings[0] ?? '';
    const lostCustomer = simulator.admin.mutate({ editCustomers: 1 }).ids.editCustomers[0] ?? '';
    await waitFor(
      () =>
        simulator.admin.deliveries({ apiKey: apiKey() }).filter((delivery) => delivery.state === 'dropped').length ===
        2,
      { what: 'two deliveries dropped', timeoutMs: 5_000, intervalMs: 20 },
    );
    simulator.admin.clearFaults();
    // Past the safety lag, so the catch-up poll of bookings reads the lost edit's time.
    simulator.admin.advance(120);
    simulator.admin.mutate({ editBookings: 1, editCustomers: 1 });
    const flagged = await waitFor(
      () => {
        const all = simulator.admin.deliveries({ apiKey: apiKey() });
        const flagged = all.filter((delivery) => delivery.attempts.some((attempt) => attempt.previousMessageLost));
        return flagged.length >= 2 && all.every((delivery) => ['delivered', 'dropped'].includes(delivery.state))
          ? flagged
          : undefined;
      },
      { what: 'the next deliveries, carrying PreviousMessageLost, answered', timeoutMs: 30_000, intervalMs: 50 },
    );
    assert.ok(flagged.length >= 2);
    const bookings = await truthOf(simulator, 'bookings');
    const customers = await truthOf(simulator, 'customers');
    await eventually(
      async () => {
        assert.equal((await viewTopic(kafka, topic('bookings'))).latest.get(lostBooking), bookings.get(lostBooking));
        assert.equal(
          (await viewTopic(kafka, topic('customers'))).latest.get(lostCustomer),
          customers.get(lostCustomer),
        );
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    await assertTopicsEqualTruth('after the catch-up');
  });

  it('republishes nothing a delivery published when the source starts again and polls', async () => {
    simulator.admin.clearDeliveries();
    simulator.admin.mutate({ editBookings: 2, newBookings: 1, editCustomers: 1 });
    await delivered();
    // Past the safety lag and the snapshot interval: the next start's first poll reads those changes again.
    simulator.admin.clearDeliveries();
    simulator.admin.advance(Math.max(config.source.safetyLagSeconds, config.source.snapshotIntervalSeconds) + 1);
    await waitFor(
      () =>
        simulator.admin.deliveries({ apiKey: apiKey() }).every((delivery) => delivery.state === 'delivered') ||
        undefined,
      { what: 'deliveries the clock caused to be answered', timeoutMs: 30_000, intervalMs: 50 },
    );
    await app.stop();
    await running;
    // The ledger of the first process is gone: only what Kafka holds (published state, webhook memory) counts.
    await startSource();
    await assertTopicsEqualTruth('after a restart and its first poll');
  });
});
