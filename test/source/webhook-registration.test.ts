/**
 * The source with `webhooks.register: true` against the simulator and the real stack: it registers
 * the customers webhooks at start (replacing the account's foreign ones); a receiver that fails
 * gets one of them blocked; the task's status and `bookeo_connect_source_webhooks_blocked` show it;
 * the source re-creates it (a new id, not blocked) and catches up: the customer edit Bookeo never
 * delivered reaches the topic through the re-listing the catch-up asks for. Polling and full
 * listings are set to an hour, so nothing else can bring that edit within the test.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startApp, type App } from '../../app/app.js';
import { validateConfig } from '../../common/config/load.js';
import type { TaskStatus } from '../../connector/source/status.js';
import { createKafka, type KafkaClient } from '../../kafka/client.js';
import { startSimulator, type RunningSimulator, type Webhook } from '../../simulator/index.js';
import { cleanupPrefix } from '../../testkit/source-cleanup.js';
import { uniqueName, waitFor } from '../../testkit/wait-for.js';
import { capturingLogger, sourceTestConfig, truthOf, viewTopic } from '../helpers/source-fixture.js';

const SECRET_KEY = 'sk-test-SECRET-7f3a9c1e';
const API_KEY = 'ak-test-APIKEY-19c2b44d';

describe('webhook registration by the source', () => {
  let simulator: RunningSimulator;
  let kafka: KafkaClient;
  let receiver: Server;
  let app: App | undefined;
  let running: Promise<unknown> | undefined;
  const prefix = uniqueName('srchooks');
  const capture = capturingLogger();
  let failedDeliveries = 0;

  before(async () => {
    // Every delivery fails: one lost message blocks the webhook, after one quick retry.
    receiver = createServer((request, response) => {
      failedDeliveries++;
      request.resume();
      response.writeHead(500).end();
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    simulator = await startSimulator({
      seed: 31,
      scale: 200,
      secretKey: SECRET_KEY,
      accounts: [{ apiKey: API_KEY }],
      webhooks: { retryDelaysMs: [50], blockAfterLost: 1, timeoutMs: 2000 },
    });
    kafka = createKafka(sourceTestConfig(simulator).kafka, capture.logger);
  });

  after(async () => {
    await app?.stop();
    await running;
    await cleanupPrefix(kafka, prefix);
    await simulator.close();
    await new Promise((resolve) => receiver.close(resolve));
  });

  it('registers, shows a blocked webhook in status and metrics, re-creates it and catches up', async () => {
    const publicUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    const raw = JSON.parse(JSON.stringify(sourceTestConfig(simulator, { prefix }))) as Record<
      string,
      Record<string, unknown>
    >;
    raw.source = {
      ...raw.source,
      resources: ['customers', 'customers_people'],
      pollIntervalSeconds: 3600,
      snapshotIntervalSeconds: 3600,
      sweepIntervalSeconds: 0,
    };
    raw.webhooks = { register: true, publicUrl, checkIntervalSeconds: 3 };
    const config = validateConfig(raw);
    const started = await startApp({
      config,
      logger: capture.logger,
      source: true,
      destinations: [],
      now: () => simulator.admin.now().getTime(),
    });
    app = started;
    running = Promise.allSettled(started.source?.tasks.map((task) => task.run()) ?? []);
    const ops = started.http?.url ?? '';
    const taskStatus = async (): Promise<TaskStatus> => (await (await fetch(`${ops}/tasks/acme`)).json()) as TaskStatus;
    const blockedMetric = async (): Promise<number | undefined> => {
      const text = await (await fetch(`${ops}/metrics`)).text();
      const line = text
        .split('\n')
        .find((row) => row.startsWith('bookeo_connect_source_webhooks_blocked{account="acme"}'));
      return line === undefined ? undefined : Number(line.split(' ').pop());
    };
    const ours = async (): Promise<Webhook[]> => {
      const hooks: Webhook[] = [];
      for await (const hook of simulator.admin.groundTruth('webhooks', API_KEY)) hooks.push(hook as unknown as Webhook);
      return hooks.filter((hook) => hook.url.startsWith(`${publicUrl}/acme?`));
    };

    // Registered at start: customers created/updated/deleted, and the first full listing published.
    await waitFor(async () => (await taskStatus()).webhookRegistration?.state === 'synced', {
      what: 'the first registration',
    });
    assert.deepEqual((await ours()).map((hook) => `${hook.domain}/${hook.type}`).sort(), [
      'customers/created',
      'customers/deleted',
      'customers/updated',
    ]);
    assert.equal(await blockedMetric(), 0);
    await waitFor(async () => (await taskStatus()).resources.customers?.lastCommitAt !== null, {
      what: 'the first full listing of customers',
      timeoutMs: 60_000,
    });
    const updatedBefore = (await ours()).find((hook) => hook.type === 'updated') as Webhook;

    // A customer edit the receiver fails to take: the customers/updated webhook gets blocked.
    const edited = simulator.admin.mutate({ editCustomers: 1 }, API_KEY).ids.editCustomers[0] as string;
    const seen = await waitFor(
      async () => {
        const [status, metric] = await Promise.all([taskStatus(), blockedMetric()]);
        const blocked = status.webhookRegistration?.blocked ?? [];
        return metric === 1 && blocked.length === 1 ? { status, blocked } : undefined;
      },
      { what: 'the blocked webhook in status and in the metric', timeoutMs: 30_000, intervalMs: 50 },
    );
    assert.ok(failedDeliveries >= 2, 'the delivery was tried and retried');
    assert.equal(seen.blocked[0]?.type, 'updated');
    assert.match(seen.blocked[0]?.blockedReason ?? '', /HTTP 500/);

    // Re-created (a new id, not blocked), and caught up: the edit Bookeo never delivered reaches the topic.
    const recreated = await waitFor(
      async () => {
        const hook = (await ours()).find((candidate) => candidate.type === 'updated');
        return hook !== undefined && hook.id !== updatedBefore.id && hook.blockedTime === undefined ? hook : undefined;
      },
      { what: 'the re-created customers/updated webhook' },
    );
    assert.equal(recreated.url, updatedBefore.url);
    await waitFor(async () => (await taskStatus()).webhookRegistration?.lastCatchUp?.resources.includes('customers'), {
      what: 'the catch-up of customers',
    });
    const truth = (await truthOf(simulator, 'customers')).get(edited);
    assert.ok(truth !== undefined);
    await waitFor(async () => (await viewTopic(kafka, `${prefix}.customers`)).latest.get(edited) === truth, {
      what: 'the edited customer in the topic',
      timeoutMs: 60_000,
      intervalMs: 500,
    });
    const after = await taskStatus();
    assert.ok((after.webhookRegistration?.recreated ?? 0) >= 1);
    await waitFor(async () => (await blockedMetric()) === 0, { what: 'the metric back to 0 at the next check' });
    for (const line of capture.lines) {
      assert.ok(!line.includes(SECRET_KEY), 'secretKey in a log line');
      assert.ok(!line.includes(API_KEY), 'apiKey in a log line');
    }
    assert.ok(!JSON.stringify(after).includes(API_KEY));
  });
});
