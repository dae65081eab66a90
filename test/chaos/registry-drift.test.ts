/**
 * Chaos: the schema registry goes down while Bookeo's records change shape (a new field appears),
 * so the source needs a new schema version exactly when it cannot register one, and the sink meets
 * records of a schema id it has never seen. Both must wait, say so in /readyz, and carry on once
 * the registry is back; the new version is registered once, and every record decodes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createStackContext, upStack } from '../../deploy/stack/stack.js';
import { stackEndpoints } from '../../deploy/stack/endpoints.js';
import { requireStack } from '../helpers/stack.js';
import { waitFor } from '../../testkit/wait-for.js';
import { outageUntilNoticed } from './kit/outage.js';
import { committedBySink, topicEnd, topicOf, waitForGrowth } from './kit/progress.js';
import { checkThreeLayers, describeReport } from './kit/three-layers.js';
import { createWorld, type ChaosWorld } from './kit/world.js';

async function versionsOf(subject: string): Promise<number[]> {
  const response = await fetch(`${stackEndpoints().registryUrl}/subjects/${encodeURIComponent(subject)}/versions`);
  return response.ok ? ((await response.json()) as number[]) : [];
}

describe('chaos: registry down while the records drift', () => {
  let world: ChaosWorld;

  before(async () => {
    await requireStack();
    world = await createWorld({ name: 'registry', seed: 103, scale: 1_000 });
  });

  after(async () => {
    await upStack(createStackContext(), ['registry']);
    await world.close();
  });

  it('waits for the registry, then registers the drifted schema once and loads it', async () => {
    const sink = await world.startSink();
    const source = await world.startSource();
    world.startChurn();
    await waitForGrowth(() => committedBySink(world, 'bookings'), 0, 'the sink to commit a first batch');
    const subject = `${topicOf(world, 'bookings')}-value`;
    const versionsBefore = await versionsOf(subject);

    // Down until the source has failed several polls in a row for want of the registry.
    const failedPolls = (): number =>
      Number(/\((\d+) polls in a row\)/.exec(source.readiness.at(-1)?.reason ?? '')?.[1] ?? 0);
    const outage = await outageUntilNoticed('registry', [source], {
      logs: () => world.logs(),
      meanwhile: () => world.simulator.admin.setFaults(world.apiKey, { schemaDrift: { addField: true } }),
      until: () => Promise.resolve(failedPolls() >= 3),
    });

    const published = await topicEnd(world, 'bookings');
    const sourceResumed = await waitForGrowth(
      () => topicEnd(world, 'bookings'),
      published,
      'the source to publish drifted records',
      120_000,
    );
    await waitFor(async () => (await versionsOf(subject)).length > versionsBefore.length, {
      what: 'a new schema version',
      timeoutMs: 60_000,
      intervalMs: 500,
    });
    assert.ok(source.running() && sink.running(), `neither process exited\n${await world.logs()}`);

    world.stopChurn();
    const report = await checkThreeLayers(world);
    process.stdout.write(
      `# registry: down ${(outage.outageMs / 1000).toFixed(1)} s; source resumed ${sourceResumed} ms after it was back; /readyz said "${outage.reasons.get(source.name)?.slice(0, 200)}"; ${describeReport(report)}\n`,
    );
    assert.equal(
      (await versionsOf(subject)).length,
      versionsBefore.length + 1,
      'the drifted schema was registered once',
    );
    assert.deepEqual(report.duplicates, []);
    assert.equal(
      report.undecodable,
      0,
      `every record decodes with an outside Avro client (${report.decodeError ?? ''})`,
    );
  });
});
