/**
 * A full customers listing that outlives its page tokens, against the simulator and the real
 * stack: the tokens are expired four times (`POST /_admin/tokens/expire`, here through the admin
 * handle), each time once the listing has read a hundred more customers' linked people. The
 * listing completes (more restarts than `maxRestarts`, each one after progress), reads each
 * customer's linked people once, and no version of a customer or a linked person is published
 * twice.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { validateConfig } from '../../common/config/load.js';
import { createMetricsRegistry } from '../../common/metrics.js';
import { createKafka, type KafkaClient } from '../../kafka/client.js';
import { startSourceRuntime, type SourceRuntime } from '../../connector/source/runtime.js';
import { startSimulator, type RunningSimulator } from '../../simulator/index.js';
import { cleanupPrefix } from '../../testkit/source-cleanup.js';
import { capturingLogger, liveEntries, sourceTestConfig, truthOf, viewTopic } from '../helpers/source-fixture.js';
import { eventually, uniqueName, waitFor } from '../../testkit/wait-for.js';

const API_KEY = 'ak-test-APIKEY-19c2b44d';
const EXPIRIES = 4;

describe('source: a customers listing longer than its page tokens', () => {
  let simulator: RunningSimulator;
  let kafka: KafkaClient;
  let runtime: SourceRuntime | undefined;
  const prefix = uniqueName('srctok');

  before(async () => {
    simulator = await startSimulator({
      seed: 17,
      scale: 7500,
      secretKey: 'sk-test-SECRET-7f3a9c1e',
      accounts: [{ apiKey: API_KEY }],
    });
    kafka = createKafka(sourceTestConfig(simulator).kafka, capturingLogger().logger);
  });

  after(async () => {
    await runtime?.stop();
    await cleanupPrefix(kafka, prefix);
    await simulator.close();
  });

  it("completes through four refused tokens, reads each customer's linked people once and publishes nothing twice", async () => {
    const raw = JSON.parse(JSON.stringify(sourceTestConfig(simulator, { prefix }))) as {
      source: Record<string, unknown>;
    };
    raw.source.resources = ['customers', 'customers_people'];
    const capture = capturingLogger();
    runtime = await startSourceRuntime({
      config: validateConfig(raw),
      logger: capture.logger,
      metrics: createMetricsRegistry('tokens_'),
      now: () => simulator.admin.now().getTime(),
    });
    const linkedCalls = (): number =>
      simulator.admin
        .counters()
        .filter((row) => row.endpoint === 'GET /customers/{id}/linkedpeople')
        .reduce((sum, row) => sum + row.count, 0);
    const restarts = (): number =>
      capture.lines.filter((line) => line.includes('page token refused, restarting the query from page 1')).length;
    simulator.admin.resetCounters();

    const polling = (runtime.tasks[0] as SourceRuntime['tasks'][number]).pollOnce();
    // A poll that ends while the test still expires tokens has given up: say how, rather than time out.
    const endedEarly = polling.then((report) => {
      throw new Error(`the poll ended before the last expiry: ${JSON.stringify(report.failed)}`);
    });
    endedEarly.catch(() => undefined);
    for (let expiry = 1; expiry <= EXPIRIES; expiry++) {
      const from = linkedCalls();
      await Promise.race([
        endedEarly,
        waitFor(() => linkedCalls() >= from + 100, {
          what: `a hundred more linked-people calls before expiry ${expiry}`,
          timeoutMs: 60_000,
          intervalMs: 20,
        }),
      ]);
      simulator.admin.expireTokens(API_KEY);
      await Promise.race([
        endedEarly,
        waitFor(() => restarts() >= expiry, {
          what: `the listing restarted after expiry ${expiry}`,
          timeoutMs: 60_000,
          intervalMs: 20,
        }),
      ]);
    }
    const report = await polling;
    assert.deepEqual(report.failed, [], 'the customers poll completed');

    const customers = await truthOf(simulator, 'customers');
    assert.equal(linkedCalls(), customers.size, "each customer's linked people were read once");
    for (const resource of ['customers', 'customers_people'] as const) {
      const truth = await truthOf(simulator, resource);
      await eventually(async () => {
        const view = await viewTopic(kafka, (runtime as SourceRuntime).topicOf(resource));
        assert.deepEqual(view.repeated, [], `${resource}: no version published twice`);
        assert.equal(view.records, truth.size, `${resource}: one record per entity`);
        assert.deepEqual(liveEntries(view), truth, `${resource}: the topic equals Bookeo`);
      });
    }
  });
});
