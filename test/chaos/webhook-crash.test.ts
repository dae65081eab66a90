/**
 * Chaos: the source killed with SIGKILL while Bookeo's webhook deliveries to it are in flight, with
 * polling at one hour so changes arrive through deliveries alone. Bookeo retries what got no 2xx
 * (short retry delays here), the restarted source answers the retries, and anything Bookeo gave up
 * on is caught up through PreviousMessageLost. At the end Bookeo, the topics and the table agree,
 * with no state published twice in a row.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Delivery } from '../../simulator/index.js';
import { waitFor } from '../../testkit/wait-for.js';
import { requireStack } from '../helpers/stack.js';
import { WEBHOOK_RESOURCES, registerWebhooks } from '../helpers/webhook-source.js';
import { type ConnectorProcess } from './kit/processes.js';
import { freePort } from '../../testkit/free-port.js';
import { checkThreeLayers, describeReport } from './kit/three-layers.js';
import { createWorld, type ChaosWorld } from './kit/world.js';

/** Bookeo's back-off shortened: about half a minute of attempts, longer than a restart takes. */
const RETRY_DELAYS_MS = [250, 500, 1_000, 2_000, 4_000, 8_000, 15_000];
/** Deliveries answered before the kill, so the receiver is known to be publishing. */
const DELIVERED_BEFORE_KILL = 40;
/** Deliveries answered by the restarted source while Bookeo keeps changing. */
const DELIVERED_AFTER_RESTART = 40;
const UNFINISHED: readonly Delivery['state'][] = ['queued', 'sending', 'retrying'];

describe('chaos: kill -9 of the source while webhook deliveries are in flight', () => {
  let world: ChaosWorld;
  let publicUrl: string;

  before(async () => {
    await requireStack();
    const port = await freePort();
    publicUrl = `http://127.0.0.1:${port}/hooks`;
    world = await createWorld({
      name: 'whkill',
      seed: 117,
      scale: 500,
      // No bookings start in the next days, so the clock alone changes no customer (no webhook would say so).
      simulator: { futureDays: 0, webhooks: { retryDelaysMs: RETRY_DELAYS_MS, blockAfterLost: 1_000 } },
      configure: (raw) => {
        raw.source = {
          ...raw.source,
          resources: [...WEBHOOK_RESOURCES],
          pollIntervalSeconds: 3_600,
          snapshotIntervalSeconds: 86_400,
          sweepIntervalSeconds: 0,
        };
        raw.webhooks = { enabled: true, publicUrl, host: '127.0.0.1', port };
      },
    });
  });

  after(async () => {
    await world.close();
  });

  const deliveries = (): Delivery[] => world.simulator.admin.deliveries({ apiKey: world.apiKey });
  const deliveredAfter = (from: number): Delivery[] =>
    deliveries().filter((delivery) =>
      delivery.attempts.some(
        (attempt) => Date.parse(attempt.at) >= from && attempt.status !== undefined && attempt.status < 300,
      ),
    );
  const ready = (process: ConnectorProcess, what: string): Promise<unknown> =>
    waitFor(() => process.readiness.at(-1)?.status === 200, { what, timeoutMs: 60_000, intervalMs: 100 });

  it('loses nothing and publishes no state twice', async () => {
    const sink = await world.startSink();
    let source = await world.startSource('source-1');
    await ready(source, 'the source and its receiver to be ready');
    await registerWebhooks(world.simulator, publicUrl);
    // A slower API stretches each delivery's re-read, so deliveries stay in flight long enough to be killed.
    world.simulator.admin.setFaults(world.apiKey, { latencyMs: 30 });
    world.startChurn();

    await waitFor(
      () => deliveries().filter((delivery) => delivery.state === 'delivered').length >= DELIVERED_BEFORE_KILL,
      {
        what: `${DELIVERED_BEFORE_KILL} deliveries answered before the kill`,
        timeoutMs: 30_000,
        intervalMs: 50,
      },
    );
    const inFlight = await waitFor(
      () => {
        const sending = deliveries().filter((delivery) => delivery.state === 'sending');
        return sending.length >= 2 ? sending : undefined;
      },
      { what: 'deliveries in flight to kill the source under', timeoutMs: 30_000, intervalMs: 5 },
    );
    await source.kill9();
    const killedAt = Date.now();

    source = await world.startSource('source-2');
    const restartedAt = Date.now();
    await waitFor(() => deliveredAfter(killedAt).length > 0, {
      what: 'the restarted source to answer a delivery',
      timeoutMs: 60_000,
      intervalMs: 50,
    });
    const resumedMs = Date.now() - restartedAt;
    await waitFor(() => deliveredAfter(killedAt).length >= DELIVERED_AFTER_RESTART, {
      what: `${DELIVERED_AFTER_RESTART} deliveries answered by the restarted source`,
      timeoutMs: 60_000,
      intervalMs: 50,
    });

    const changes = world.stopChurn();
    const finished = await waitFor(
      () => {
        const all = deliveries();
        return all.every((delivery) => !UNFINISHED.includes(delivery.state)) ? all : undefined;
      },
      { what: 'every delivery delivered or given up', timeoutMs: 60_000, intervalMs: 100 },
    );
    world.simulator.admin.clearFaults(world.apiKey);
    const retried = finished.filter((delivery) => delivery.attempts.filter((attempt) => !attempt.duplicate).length > 1);
    const lost = finished.filter((delivery) => delivery.state === 'lost');
    const killedIds = new Set(inFlight.map((delivery) => delivery.messageId));

    const report = await checkThreeLayers(world);
    process.stdout.write(
      `# webhook crash: ${changes} changes, ${finished.length} deliveries, ${inFlight.length} in flight at the kill; ` +
        `restarted source answered after ${resumedMs} ms; ${retried.length} retried, ${lost.length} lost; ` +
        `${report.duplicates.length} duplicates; ${describeReport(report)}\n`,
    );
    assert.ok(
      retried.some((delivery) => killedIds.has(delivery.messageId)),
      'a delivery in flight at the kill was sent again',
    );
    assert.ok(
      finished.every((delivery) => delivery.state === 'delivered' || delivery.state === 'lost'),
      'no delivery dropped or canceled',
    );
    assert.deepEqual(report.duplicates, [], 'no state published twice in a row');
    assert.equal(report.undecodable, 0, `every record decodes (${report.decodeError ?? ''})`);
    for (const resource of ['bookings', 'customers', 'payments']) {
      const result = report.resources.find((candidate) => candidate.resource === resource);
      assert.ok(result !== undefined && result.table === result.bookeo, `every ${resource} entity reached the table`);
    }
    assert.ok(source.running() && sink.running(), `both processes still run\n${await world.logs()}`);
  });
});
