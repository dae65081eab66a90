/**
 * Chaos: a second instance of the same source task is started while the first runs (a rolling
 * deploy gone wrong, a stuck pod rescheduled). Both use the account's transactional id, so the
 * newer one fences the older, which must stop publishing and exit non-zero, saying it was fenced.
 * (When the fence meets the older one's commit in flight, the broker cannot say whether that
 * commit happened; the older then restarts its task from Kafka's state, which fences the newer
 * one in turn. Either way exactly one instance carries on.) Nothing may be published twice.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { requireStack } from '../helpers/stack.js';
import { topicEnd, waitForGrowth } from './kit/progress.js';
import { checkThreeLayers, describeReport } from './kit/three-layers.js';
import { createWorld, type ChaosWorld } from './kit/world.js';

describe('chaos: a second instance of the same source task', () => {
  let world: ChaosWorld;

  before(async () => {
    await requireStack();
    world = await createWorld({ name: 'fence', seed: 106, scale: 1_500 });
  });

  after(async () => {
    await world.close();
  });

  it('fences one of them: it exits non-zero, the other carries on, nothing twice', async () => {
    world.simulator.admin.setFaults(world.apiKey, { latencyMs: 10 });
    const sink = await world.startSink();
    const first = await world.startSource('source-first');
    world.startChurn();
    await waitForGrowth(() => topicEnd(world, 'bookings'), 0, 'the first source to publish');

    const second = await world.startSource('source-second');
    const timeout = new Promise<'both running'>((resolve) => setTimeout(() => resolve('both running'), 60_000).unref());
    const ended = await Promise.race([first.exit.then(() => first), second.exit.then(() => second), timeout]);
    assert.notEqual(ended, 'both running', `one of the two exits\n${await world.logs()}`);
    const fenced = ended as typeof first;
    const survivor = fenced === first ? second : first;
    assert.notEqual(await fenced.exit, 0, 'a fenced source exits non-zero');
    assert.match(await fenced.logTail(200), /fenced/i, 'it says it was fenced');

    const published = await topicEnd(world, 'bookings');
    await waitForGrowth(() => topicEnd(world, 'bookings'), published, 'the other source to carry on');
    world.stopChurn();
    world.simulator.admin.clearFaults(world.apiKey);
    const report = await checkThreeLayers(world);
    process.stdout.write(
      `# fencing: ${fenced.name} exited ${String(await fenced.exit)}, ${survivor.name} carried on; ${describeReport(report)}\n`,
    );
    assert.ok(survivor.running() && sink.running(), `the other source and the sink still run\n${await world.logs()}`);
    assert.deepEqual(report.duplicates, []);
    assert.equal(
      report.undecodable,
      0,
      `every record decodes with an outside Avro client (${report.decodeError ?? ''})`,
    );
  });
});
