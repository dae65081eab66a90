/**
 * Chaos: Bookeo misbehaving in every way the simulator knows, at once, during the backfill and the
 * live changes after it: 429 storms with Retry-After, 5xx bursts, answers that hang past the
 * client's timeout, list pages cut off mid-JSON, and page tokens that expire every few seconds
 * (so long listings restart). The source must get through all of it without publishing a version
 * twice, and end with Bookeo, the topics and the table in agreement.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { requireStack } from '../helpers/stack.js';
import { topicEnd, waitForGrowth } from './kit/progress.js';
import { checkThreeLayers, describeReport } from './kit/three-layers.js';
import { createWorld, type ChaosWorld } from './kit/world.js';

describe('chaos: Bookeo faults during the backfill and the live changes', () => {
  let world: ChaosWorld;

  before(async () => {
    await requireStack();
    world = await createWorld({ name: 'bookeo', seed: 105, scale: 1_500 });
  });

  after(async () => {
    await world.close();
  });

  it('gets through 429s, 5xx, hangs, malformed pages and expiring tokens', async () => {
    world.simulator.admin.setFaults(world.apiKey, {
      rateLimit: { requestsPerSecond: 30, burst: 10 },
      errors: { rate: 0.05 },
      hang: { rate: 0.01, ms: 6_000 },
      malformed: { rate: 0.02 },
      tokenTtlSeconds: 2,
    });
    const sink = await world.startSink();
    const source = await world.startSource();
    world.startChurn();
    const expiry = setInterval(() => world.simulator.admin.expireTokens(world.apiKey), 3_000);
    try {
      for (const resource of ['bookings', 'customers', 'customers_people'] as const) {
        await waitForGrowth(
          () => topicEnd(world, resource),
          0,
          `${resource} to be published despite the faults`,
          90_000,
        );
      }
    } finally {
      clearInterval(expiry);
    }
    const counters = world.simulator.admin.counters().filter((row) => row.apiKey === world.apiKey);
    const faulted = (test: (status: number | string) => boolean): number =>
      counters.filter((row) => test(row.status)).reduce((sum, row) => sum + row.count, 0);
    const throttled = faulted((status) => status === 429);
    const failed = faulted((status) => typeof status === 'number' && status >= 500);
    const hung = faulted((status) => status === 'hang');

    world.stopChurn();
    world.simulator.admin.clearFaults(world.apiKey);
    const report = await checkThreeLayers(world);
    process.stdout.write(
      `# bookeo faults: ${throttled} answers 429, ${failed} 5xx, ${hung} hangs; ${describeReport(report)}\n`,
    );
    assert.ok(source.running() && sink.running(), `neither process exited\n${await world.logs()}`);
    assert.ok(throttled > 0 && failed > 0 && hung > 0, `the faults fired: ${JSON.stringify(counters)}`);
    assert.deepEqual(report.duplicates, [], 'no version published twice in a row');
    assert.equal(
      report.undecodable,
      0,
      `every record decodes with an outside Avro client (${report.decodeError ?? ''})`,
    );
  });
});
