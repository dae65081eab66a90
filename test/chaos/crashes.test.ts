/**
 * Chaos: the source killed with SIGKILL three times in the middle of its backfill, and the sink
 * killed with SIGKILL in the middle of its writes, while Bookeo keeps changing. Each restart must
 * resume by itself; at the end Bookeo, the topics and the table agree, with no version published
 * twice.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { requireStack } from '../helpers/stack.js';
import { topicEnd, tableRows, waitForGrowth } from './kit/progress.js';
import { checkThreeLayers, describeReport } from './kit/three-layers.js';
import { createWorld, type ChaosWorld } from './kit/world.js';

describe('chaos: kill -9 of the source mid-backfill and of the sink mid-write', () => {
  let world: ChaosWorld;

  before(async () => {
    await requireStack();
    world = await createWorld({ name: 'crash', seed: 101, scale: 2_000 });
  });

  after(async () => {
    await world.close();
  });

  it('loses nothing and publishes nothing twice', async () => {
    // A slower API stretches the backfill, so each kill lands between two of its transactions.
    world.simulator.admin.setFaults(world.apiKey, { latencyMs: 20 });
    let sink = await world.startSink();
    let source = await world.startSource();
    world.startChurn();

    const resumed: number[] = [];
    for (let kill = 0; kill < 3; kill++) {
      const before = await topicEnd(world, 'bookings');
      await waitForGrowth(
        () => topicEnd(world, 'bookings'),
        before,
        `the source to commit more bookings before kill ${kill + 1}`,
      );
      await source.kill9();
      const atKill = await topicEnd(world, 'bookings');
      source = await world.startSource(`source-${kill + 2}`);
      resumed.push(
        await waitForGrowth(
          () => topicEnd(world, 'bookings'),
          atKill,
          `the restarted source ${kill + 2} to publish again`,
        ),
      );
    }

    const rowsBefore = await tableRows(world, 'bookings').catch(() => 0);
    await waitForGrowth(() => tableRows(world, 'bookings'), rowsBefore, 'the sink to be writing');
    await sink.kill9();
    const rowsAtKill = await tableRows(world, 'bookings');
    sink = await world.startSink('sink-2');
    const sinkResumed = await waitForGrowth(
      () => tableRows(world, 'bookings'),
      rowsAtKill,
      'the restarted sink to write again',
    );

    world.stopChurn();
    world.simulator.admin.clearFaults(world.apiKey);
    const report = await checkThreeLayers(world);
    process.stdout.write(
      `# crashes: source resumed after ${resumed.map((ms) => `${ms} ms`).join(', ')}; sink after ${sinkResumed} ms; ${describeReport(report)}\n`,
    );
    assert.deepEqual(report.duplicates, [], 'no version published twice in a row');
    assert.equal(
      report.undecodable,
      0,
      `every record decodes with an outside Avro client (${report.decodeError ?? ''})`,
    );
    const bookings = report.resources.find((result) => result.resource === 'bookings');
    assert.ok(
      bookings !== undefined && bookings.bookeo > 2_000 && bookings.table === bookings.bookeo,
      'every booking reached the table',
    );
    assert.ok(source.running() && sink.running(), `both processes still run\n${await world.logs()}`);
  });
});
