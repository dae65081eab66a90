/**
 * Chaos: ClickHouse goes away under a running sink while the source keeps publishing, and stays
 * away until the sink has noticed and the topics have moved on without it. The sink retries its
 * writes, commits nothing it did not write, turns /readyz false, and catches up once ClickHouse is
 * back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createStackContext, upStack } from '../../deploy/stack/stack.js';
import { requireStack } from '../helpers/stack.js';
import { outageUntilNoticed } from './kit/outage.js';
import { committedBySink, tableRows, topicEnd, waitForGrowth } from './kit/progress.js';
import { checkThreeLayers, describeReport } from './kit/three-layers.js';
import { createWorld, type ChaosWorld } from './kit/world.js';

const SCALE = 1_000;
/** Records the source must publish while ClickHouse is down, for the sink to have something to catch up on. */
const PUBLISHED_DURING_OUTAGE = 100;

describe('chaos: the destination down under a running sink', () => {
  let world: ChaosWorld;

  before(async () => {
    await requireStack();
    world = await createWorld({ name: 'dest', seed: 104, scale: SCALE });
  });

  after(async () => {
    await upStack(createStackContext(), ['clickhouse']);
    await world.close();
  });

  it('commits nothing unwritten while ClickHouse is down, then catches up', async () => {
    const sink = await world.startSink();
    const source = await world.startSource();
    world.startChurn();
    // The backfill loaded first, so what the sink catches up on afterwards is the live changes.
    await waitForGrowth(() => tableRows(world, 'bookings'), SCALE - 1, 'the sink to load the backfill');

    const atStart = await topicEnd(world, 'bookings');
    const outage = await outageUntilNoticed('clickhouse', [sink], {
      logs: () => world.logs(),
      until: async () => (await topicEnd(world, 'bookings')) > atStart + PUBLISHED_DURING_OUTAGE,
    });
    const committed = await committedBySink(world, 'bookings');
    const resumed = await waitForGrowth(
      () => committedBySink(world, 'bookings'),
      committed,
      'the sink to commit again',
      120_000,
    );
    assert.ok(source.running() && sink.running(), `neither process exited\n${await world.logs()}`);

    world.stopChurn();
    const report = await checkThreeLayers(world);
    process.stdout.write(
      `# destination: down ${(outage.outageMs / 1000).toFixed(1)} s; sink committed again ${resumed} ms after it was back; /readyz said "${outage.reasons.get(sink.name)?.slice(0, 200)}"; ${describeReport(report)}\n`,
    );
    assert.deepEqual(report.duplicates, []);
    assert.equal(
      report.undecodable,
      0,
      `every record decodes with an outside Avro client (${report.decodeError ?? ''})`,
    );
  });
});
