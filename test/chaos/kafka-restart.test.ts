/**
 * Chaos: Kafka goes away under a running source and sink while Bookeo keeps changing, and stays
 * away until both have noticed (their /readyz turned false), then comes back. Neither process may
 * exit or linger half-alive: both resume by themselves, and at the end Bookeo, the topics and the
 * table agree with no version published twice.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createStackContext, upStack } from '../../deploy/stack/stack.js';
import { requireStack } from '../helpers/stack.js';
import { waitFor } from '../../testkit/wait-for.js';
import { outageUntilNoticed } from './kit/outage.js';
import { firstSample } from './kit/processes.js';
import { committedBySink, topicEnd, waitForGrowth } from './kit/progress.js';
import { checkThreeLayers, describeReport } from './kit/three-layers.js';
import { createWorld, type ChaosWorld } from './kit/world.js';

describe('chaos: Kafka restarted under the source and the sink', () => {
  let world: ChaosWorld;

  before(async () => {
    await requireStack();
    world = await createWorld({ name: 'kafka', seed: 102, scale: 1_000 });
  });

  after(async () => {
    await upStack(createStackContext(), ['kafka', 'registry']);
    await world.close();
  });

  it('both ride out the outage, say so in /readyz, and resume by themselves', async () => {
    const sink = await world.startSink();
    const source = await world.startSource();
    world.startChurn();
    await waitForGrowth(() => committedBySink(world, 'bookings'), 0, 'the sink to commit a first batch');

    const outage = await outageUntilNoticed('kafka', [source, sink], { logs: () => world.logs() });
    // The registry keeps its schemas in Kafka: make sure it is serving again too.
    await upStack(
      createStackContext(undefined, () => undefined),
      ['registry'],
    );
    const published = await topicEnd(world, 'bookings');
    const sourceResumed = await waitForGrowth(
      () => topicEnd(world, 'bookings'),
      published,
      'the source to publish again after the outage',
      120_000,
    );
    const committed = await committedBySink(world, 'bookings');
    const sinkResumed = await waitForGrowth(
      () => committedBySink(world, 'bookings'),
      committed,
      'the sink to commit again after the outage',
      120_000,
    );
    await waitFor(
      () =>
        firstSample(source.readiness, outage.back, (sample) => sample.status === 200) !== undefined &&
        firstSample(sink.readiness, outage.back, (sample) => sample.status === 200) !== undefined,
      {
        what: 'both /readyz to turn true again',
        timeoutMs: 60_000,
        intervalMs: 250,
      },
    );
    assert.ok(source.running() && sink.running(), `neither process exited\n${await world.logs()}`);

    world.stopChurn();
    const report = await checkThreeLayers(world);
    process.stdout.write(
      `# kafka: down ${(outage.outageMs / 1000).toFixed(1)} s; source resumed ${sourceResumed} ms and sink ${sinkResumed} ms after Kafka was back; /readyz said: source "${outage.reasons.get(source.name)?.slice(0, 160)}", sink "${outage.reasons.get(sink.name)?.slice(0, 160)}"; ${describeReport(report)}\n`,
    );
    assert.ok(
      [...outage.reasons.values()].every((reason) => reason !== ''),
      'each said why it was not ready',
    );
    assert.deepEqual(report.duplicates, [], 'no version published twice in a row');
    assert.equal(
      report.undecodable,
      0,
      `every record decodes with an outside Avro client (${report.decodeError ?? ''})`,
    );
  });
});
