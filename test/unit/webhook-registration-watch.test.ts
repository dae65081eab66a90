/**
 * The source's webhook registration loop against the simulator in this process, with stand-in
 * tasks that record what they are asked: a failing Bookeo shows in the status (failing, the error
 * without a key) and is retried until it syncs; webhooks blocked by failed deliveries show in the
 * status and the gauge, are re-created, and their resources are caught up through the task
 * (customers re-listed, bookings polled now; linked people go with customers).
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createBookeoClient, type BookeoClient } from '../../bookeo/client.js';
import { validateConfig } from '../../common/config/load.js';
import { createMetricsRegistry } from '../../common/metrics.js';
import { StatusBoard } from '../../connector/source/status.js';
import type { SourceTask } from '../../connector/source/task-api.js';
import { startWebhookRegistration } from '../../connector/source/webhooks/registration-watch.js';
import { startSimulator, type RunningSimulator } from '../../simulator/index.js';
import { waitFor } from '../../testkit/wait-for.js';
import { capturingLogger } from '../helpers/source-fixture.js';

const SECRET = 'sk-test-WATCH-0c8e2f51';
const API_KEY = 'ak-test-WATCH-6d3b9a07';

/** A task that only records the catch-up requests it gets. */
function recordingTask(asked: string[]): SourceTask {
  const unused = (): never => assert.fail('the registration asked the task for something else');
  return {
    account: 'acme',
    connector: 'test-source',
    catchUp: async (resource: string) => void asked.push(`catch up ${resource}`),
    resnapshot: unused,
    restartResource: unused,
    deliver: unused,
    start: unused,
    pollOnce: unused,
    run: unused,
    pause: unused,
    resume: unused,
    restart: unused,
    offsets: unused,
    backfillFrom: unused,
    sample: unused,
    stop: unused,
  };
}

describe('webhook registration by the source (loop)', () => {
  let simulator: RunningSimulator;
  let client: BookeoClient;
  let receiver: Server;
  const capture = capturingLogger();

  before(async () => {
    receiver = createServer((request, response) => {
      request.resume();
      response.writeHead(503).end();
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    simulator = await startSimulator({
      seed: 12,
      scale: 50,
      secretKey: SECRET,
      accounts: [{ apiKey: API_KEY }],
      webhooks: { retryDelaysMs: [10], blockAfterLost: 1, timeoutMs: 1000 },
    });
    client = createBookeoClient({
      baseUrl: simulator.url,
      secretKey: SECRET,
      requestsPerSecond: 100,
      maxConcurrency: 2,
      connectTimeoutMs: 1000,
      requestTimeoutMs: 5000,
      retryPolicy: { retries: 0, initialDelayMs: 1, maxDelayMs: 5, multiplier: 2 },
      logger: capture.logger,
    });
  });

  after(async () => {
    await client.close();
    await simulator.close();
    await new Promise((resolve) => receiver.close(resolve));
  });

  it('retries a failing sync, then re-creates blocked webhooks and catches their resources up', async () => {
    const publicUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    const config = validateConfig({
      bookeo: { baseUrl: simulator.url, secretKey: SECRET, accounts: [{ id: 'acme', apiKey: API_KEY }] },
      source: { resources: ['bookings', 'customers', 'customers_people'] },
      webhooks: { register: true, publicUrl, checkIntervalSeconds: 1 },
    });
    const status = new StatusBoard();
    status.task('acme', ['bookings', 'customers', 'customers_people']);
    const asked: string[] = [];
    const metrics = createMetricsRegistry();
    const blockedGauge = async (): Promise<string | undefined> =>
      (await metrics.metrics()).split('\n').find((line) => line.startsWith('bookeo_connect_source_webhooks_blocked{'));

    simulator.admin.setFaults(API_KEY, { errors: { next: 2, statuses: [500] } });
    const registration = startWebhookRegistration({
      config,
      client,
      tasks: [recordingTask(asked)],
      status,
      metrics,
      logger: capture.logger,
      random: () => 0,
    });
    try {
      const failing = await waitFor(
        () => {
          const entry = status.get('acme')?.webhookRegistration;
          return entry?.state === 'failing' ? entry : undefined;
        },
        { what: 'the failing registration in the status' },
      );
      assert.match(failing.lastError ?? '', /500 on GET \/webhooks/);
      assert.ok(!(failing.lastError ?? '').includes(API_KEY) && !(failing.lastError ?? '').includes(SECRET));
      await waitFor(() => status.get('acme')?.webhookRegistration?.state === 'synced', {
        what: 'the sync after the failures',
      });
      assert.equal(status.get('acme')?.webhookRegistration?.registered, 6);
      assert.equal(status.get('acme')?.webhookRegistration?.consecutiveFailures, 0);
      assert.deepEqual(asked, [], 'nothing was blocked at the first check: no catch-up');
      assert.equal(await blockedGauge(), 'bookeo_connect_source_webhooks_blocked{account="acme"} 0');

      // Deliveries fail: the bookings/updated and customers/updated webhooks get blocked.
      simulator.admin.mutate({ editBookings: 1, editCustomers: 1 }, API_KEY);
      // Both may be found by one check or by two: what the status and the gauge showed together is gathered.
      const blockedSeen = new Set<string>();
      await waitFor(
        async () => {
          const entry = status.get('acme')?.webhookRegistration;
          const gauge = await blockedGauge();
          if (entry !== undefined && entry.blocked.length > 0 && gauge?.endsWith(` ${entry.blocked.length}`) === true)
            for (const hook of entry.blocked) blockedSeen.add(`${hook.domain}/${hook.type}`);
          return blockedSeen.size === 2;
        },
        { what: 'the two blocked webhooks in the status and the gauge', intervalMs: 20 },
      );
      assert.deepEqual([...blockedSeen].sort(), ['bookings/updated', 'customers/updated']);
      await waitFor(() => new Set(asked).size === 2, { what: 'the catch-up requests' });
      assert.deepEqual([...new Set(asked)].sort(), ['catch up bookings', 'catch up customers']);
      const after = status.get('acme')?.webhookRegistration;
      assert.ok((after?.recreated ?? 0) >= 2);
      assert.ok((after?.lastCatchUp?.resources.length ?? 0) > 0);
      const live = [];
      for await (const hook of simulator.admin.groundTruth('webhooks', API_KEY)) live.push(hook);
      assert.equal(live.filter((hook) => 'blockedTime' in hook && String(hook.url).startsWith(publicUrl)).length, 0);
    } finally {
      await registration.stop();
    }
    assert.equal(await blockedGauge(), undefined, 'the series goes with the stopped registration');
  });
});
