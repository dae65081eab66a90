/**
 * Chaos: ClickHouse goes away under a running sink while the source keeps publishing. The sink
 * retries its writes, commits nothing it did not write, turns /readyz false, pauses its partitions
 * rather than buffering without bound, and catches up once ClickHouse is back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createStackContext, downStack, upStack } from '../../deploy/stack/stack.js';
import { requireStack } from '../helpers/stack.js';
import { waitFor } from '../helpers/wait-for.js';
import { firstSample } from './kit/processes.js';
import { committedBySink, waitForGrowth } from './kit/progress.js';
import { checkThreeLayers, describeReport } from './kit/three-layers.js';
import { createWorld, type ChaosWorld } from './kit/world.js';

describe('chaos: the destination down under a running sink', () => {
  let world: ChaosWorld;

  before(async () => {
    await requireStack();
    world = await createWorld({ name: 'dest', seed: 104, scale: 1_000 });
  });

  after(async () => {
    await upStack(createStackContext(), ['clickhouse']);
    await world.close();
  });

  it('commits nothing unwritten while ClickHouse is down, then catches up', async () => {
    const sink = await world.startSink();
    const source = await world.startSource();
    world.startChurn();
    await waitForGrowth(() => committedBySink(world, 'bookings'), 0, 'the sink to commit a first batch');

    const down = Date.now();
    await downStack(undefined, ['clickhouse']);
    await waitFor(() => firstSample(sink.readiness, down, (sample) => sample.status === 503) !== undefined, { what: "the sink's /readyz to turn false", timeoutMs: 60_000, intervalMs: 250 });
    const outageMs = Date.now() - down;
    await upStack(createStackContext(), ['clickhouse']);

    const committed = await committedBySink(world, 'bookings');
    const resumed = await waitForGrowth(() => committedBySink(world, 'bookings'), committed, 'the sink to commit again', 120_000);
    assert.ok(source.running() && sink.running(), `neither process exited\n${await world.logs()}`);

    world.stopChurn();
    const report = await checkThreeLayers(world);
    const reason = firstSample(sink.readiness, down, (sample) => sample.status === 503)?.reason ?? '';
    process.stdout.write(`# destination: down ${(outageMs / 1000).toFixed(1)} s; sink committed again ${resumed} ms after it was back; /readyz said "${reason}"; ${describeReport(report)}\n`);
    assert.deepEqual(report.duplicates, []);
    assert.equal(report.undecodable, 0);
  });
});
