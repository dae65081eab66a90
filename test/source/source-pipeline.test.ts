/**
 * The source end to end against the simulator and the real stack: a backfill equals the
 * simulator's ground truth for every resource, changes and deletions arrive, an unchanged entity
 * is never published twice (across polls and restarts), and no secret reaches logs, metrics or
 * status. The simulator's virtual clock is the source's clock, so every step is deterministic.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createKafka, type KafkaClient } from '../../kafka/client.js';
import { startApp, type App } from '../../app/app.js';
import type { SourceRuntime } from '../../connector/source/runtime.js';
import { RESOURCE_NAMES } from '../../contract/resources.js';
import { startSimulator, type RunningSimulator } from '../../simulator/index.js';
import { SchemaRegistry as ConfluentSchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { readTopicToEnd } from '../../kafka/topic-reader.js';
import { readerGroupId } from '../../contract/group-id.js';
import { stackEndpoints } from '../../deploy/stack/endpoints.js';
import { cleanupPrefix } from '../../testkit/source-cleanup.js';
import { eventually } from '../../testkit/wait-for.js';
import { capturingLogger, liveEntries, sourceTestConfig, truthOf, viewTopic } from '../helpers/source-fixture.js';

const RESOURCES = RESOURCE_NAMES;
const TOKEN = 'rest-token-0123456789abcdef';
const APIKEY = 'ak-test-APIKEY-19c2b44d';

describe('source connector against the simulator', () => {
  let simulator: RunningSimulator;
  let kafka: KafkaClient;
  const config = () => sourceTestConfig(simulator, { prefix, bearerToken: TOKEN });
  let prefix: string;
  const capture = capturingLogger();
  let app: App | undefined;
  let runtime: SourceRuntime | undefined;
  const metrics = async (): Promise<string> => (await fetch(`${(app as App).http?.url ?? ''}/metrics`)).text();

  /** The source as `bookeo-connect source` runs it: an app with its ops API. */
  const start = async (): Promise<SourceRuntime> => {
    app = await startApp({
      config: config(),
      logger: capture.logger,
      source: true,
      destinations: [],
      now: () => simulator.admin.now().getTime(),
    });
    runtime = app.source as SourceRuntime;
    return runtime;
  };
  const poll = async (): Promise<void> => {
    for (const task of (runtime as SourceRuntime).tasks) await task.pollOnce();
  };
  const topic = (resource: string): string => (runtime as SourceRuntime).topicOf(resource);

  before(async () => {
    simulator = await startSimulator({
      seed: 7,
      scale: 400,
      secretKey: 'sk-test-SECRET-7f3a9c1e',
      accounts: [{ apiKey: APIKEY }],
    });
    prefix = `srcit${Date.now().toString(36)}`;
    kafka = createKafka(config().kafka, capture.logger);
  });

  after(async () => {
    await app?.stop();
    await cleanupPrefix(kafka, prefix);
    await simulator.close();
  });

  it('backfills every resource to exactly the ground truth, each version once', async () => {
    await start();
    await poll();
    for (const resource of RESOURCES) {
      const truth = await truthOf(simulator, resource);
      assert.ok(truth.size > 0, `${resource}: the simulator has data`);
      await eventually(async () => {
        const view = await viewTopic(kafka, topic(resource));
        assert.deepEqual(liveEntries(view), truth, `${resource}: topic equals ground truth (ids and content)`);
        assert.equal(view.records, truth.size, `${resource}: one record per entity`);
        assert.deepEqual(view.repeated, [], `${resource}: no version published twice`);
      });
    }
    const status = (runtime as SourceRuntime).status.all()[0];
    assert.equal(status?.state, 'running');
    assert.ok((status?.resources.bookings?.records ?? 0) > 0);
  });

  it('publishes edits, cancellations, new entities and deletions, and nothing unchanged', async () => {
    const before = new Map<string, number>();
    for (const resource of RESOURCES) before.set(resource, (await viewTopic(kafka, topic(resource))).records);
    const result = simulator.admin.mutate({
      newBookings: 4,
      editBookings: 5,
      cancelBookings: 3,
      newCustomers: 3,
      editCustomers: 3,
      deleteCustomers: 2,
      editProducts: 1,
      editResources: 1,
    });
    simulator.admin.advance(120);
    await poll();

    for (const resource of RESOURCES) {
      const truth = await truthOf(simulator, resource);
      await eventually(async () => {
        const view = await viewTopic(kafka, topic(resource));
        assert.deepEqual(liveEntries(view), truth, `${resource}: topic equals ground truth after mutations`);
        assert.deepEqual(view.repeated, [], `${resource}: no version published twice`);
      });
    }
    const bookings = await viewTopic(kafka, topic('bookings'));
    const hardDeleted = simulator.admin.deletedIds('bookings');
    assert.ok(hardDeleted.length > 0, "the simulator hard-deleted the deleted customers' bookings");
    assert.equal(bookings.tombstones, hardDeleted.length, 'the sweep finds hard-deleted bookings');
    const changedBookings = new Set(
      [...result.ids.newBookings, ...result.ids.editBookings, ...result.ids.cancelBookings].filter(
        (id) => !hardDeleted.includes(id),
      ),
    );
    assert.equal(
      bookings.records - (before.get('bookings') ?? 0),
      changedBookings.size + hardDeleted.length,
      'only changed bookings are published again',
    );
    const customers = await viewTopic(kafka, topic('customers'));
    assert.equal(customers.tombstones, 2, 'deleted customers become tombstones');
    for (const id of result.ids.deleteCustomers) assert.equal(customers.latest.get(id), null);
    const people = await viewTopic(kafka, topic('customers_people'));
    const deletedPeople = [...people.latest].filter(
      ([id, hash]) => hash === null && result.ids.deleteCustomers.some((customer) => id.startsWith(`${customer}/`)),
    );
    assert.equal(deletedPeople.length, people.tombstones, "a deleted customer's linked people are deleted with it");
  });

  it('publishes nothing again after a restart when nothing changed', async () => {
    const counts = new Map<string, number>();
    for (const resource of RESOURCES) counts.set(resource, (await viewTopic(kafka, topic(resource))).records);
    await (app as App).stop();
    await start();
    simulator.admin.advance(120);
    await poll();
    // The restarted task has committed (at least its offsets) by now: its markers settle like any other.
    for (const resource of RESOURCES) {
      await eventually(async () =>
        assert.equal(
          (await viewTopic(kafka, topic(resource))).records,
          counts.get(resource),
          `${resource}: no record after a restart with no change`,
        ),
      );
    }
  });

  it('writes records any Confluent-compatible consumer decodes', async () => {
    // An independent implementation of the wire format and registry lookups.
    const confluent = new ConfluentSchemaRegistry({ host: stackEndpoints().registryUrl });
    let checked = 0;
    await readTopicToEnd(kafka, {
      groupId: readerGroupId(),
      topic: topic('bookings'),
      onMessage: async (message) => {
        if (checked >= 5 || message.value === null || message.key === null) return;
        const key = (await confluent.decode(message.key)) as { account: string; id: string };
        const value = (await confluent.decode(message.value)) as { bookingNumber: string };
        assert.equal(key.account, 'acme');
        assert.equal(value.bookingNumber, key.id);
        checked++;
      },
    });
    assert.equal(checked, 5);
  });

  it('serves status and controls over REST behind the bearer token', async () => {
    const url = (app as App).http?.url as string;
    const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    assert.equal((await fetch(`${url}/connector`)).status, 401);
    const connector = (await (await fetch(`${url}/connector`, { headers: auth })).json()) as {
      tasks: Array<{ account: string; resources: Record<string, { records: number }> }>;
    };
    assert.equal(connector.tasks[0]?.account, 'acme');
    assert.equal((await fetch(`${url}/readyz`)).status, 200);
    assert.equal(
      (await fetch(`${url}/tasks/acme/resources/bookings/pause`, { method: 'POST', headers: auth })).status,
      200,
    );
    const paused = (await (await fetch(`${url}/tasks/acme`, { headers: auth })).json()) as {
      resources: Record<string, { state: string }>;
    };
    assert.equal(paused.resources.bookings?.state, 'paused');
    simulator.admin.mutate({ editBookings: 2 });
    simulator.admin.advance(120);
    const before = (await viewTopic(kafka, topic('bookings'))).records;
    assert.equal((await fetch(`${url}/tasks/acme/poll`, { method: 'POST', headers: auth })).status, 200);
    assert.equal((await viewTopic(kafka, topic('bookings'))).records, before, 'a paused resource is not polled');
    assert.equal(
      (await fetch(`${url}/tasks/acme/resources/bookings/resume`, { method: 'POST', headers: auth })).status,
      200,
    );
    await fetch(`${url}/tasks/acme/poll`, { method: 'POST', headers: auth });
    await eventually(async () =>
      assert.equal((await viewTopic(kafka, topic('bookings'))).records, before + 2, 'resumed: the two edits arrive'),
    );
    assert.equal(
      (await fetch(`${url}/tasks/acme/resources/nope/pause`, { method: 'POST', headers: auth })).status,
      404,
    );
    assert.match(
      await (await fetch(`${url}/metrics`)).text(),
      /bookeo_connect_source_cursor_lag_seconds\{account="acme",resource="bookings"\}/,
    );
  });

  it('keeps operator requests made during a poll: the poll in flight does not overwrite them', async () => {
    const url = (app as App).http?.url as string;
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    simulator.admin.advance(120); // a full listing is due: the poll below lists customers and would record that it did
    // Slow calls while the requests land, so the poll is certainly in flight and commits after them.
    simulator.admin.setFaults(APIKEY, { latencyMs: 300 });
    const inFlight = poll();
    const asked = await Promise.all([
      fetch(`${url}/tasks/acme/resources/customers/resnapshot`, { method: 'POST', headers }),
      fetch(`${url}/tasks/acme/resources/bookings/backfill`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ from: '2025-01-01' }),
      }),
    ]);
    simulator.admin.clearFaults(APIKEY);
    await inFlight;
    assert.deepEqual(
      asked.map((response) => response.status),
      [200, 200],
    );
    const before = {
      customers: (await viewTopic(kafka, topic('customers'))).records,
      bookings: (await viewTopic(kafka, topic('bookings'))).records,
    };
    simulator.admin.mutate({ editCustomers: 1 });
    simulator.admin.advance(1); // well inside snapshotIntervalSeconds: only the re-snapshot lists customers again
    await poll();
    await eventually(async () =>
      assert.equal(
        (await viewTopic(kafka, topic('customers'))).records,
        before.customers + 1,
        're-snapshot: the edit is found',
      ),
    );
    const bookings = (await viewTopic(kafka, topic('bookings'))).records;
    assert.ok(
      bookings > before.bookings,
      `backfill: the bookings since the date are read and published again (${before.bookings} → ${bookings})`,
    );
  });

  it('never writes a secret to logs, metrics or status', async () => {
    const text = [
      capture.lines.join(''),
      await metrics(),
      JSON.stringify((runtime as SourceRuntime).status.all()),
    ].join('\n');
    assert.ok(capture.lines.length > 0, 'something was logged');
    assert.match(
      await metrics(),
      /bookeo_connect_source_api_calls_total\{account="acme",resource="bookings",status="200"\}/,
    );
    for (const secret of ['sk-test-SECRET-7f3a9c1e', 'ak-test-APIKEY-19c2b44d'])
      assert.ok(!text.includes(secret), `${secret} leaked`);
  });
});
