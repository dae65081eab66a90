/**
 * Progress as the outside sees it: how far a resource topic has grown, how far the sink's group
 * has committed, how many rows a table holds. Scenarios wait on these (a kill lands mid-backfill
 * once the topic grew; a service comes back once the connector noticed it was gone) and time
 * recovery with them.
 */
import type { ResourceName } from '../../../contract/resources.js';
import { resourceTopic } from '../../../contract/topics.js';
import { withAdmin } from '../../../kafka/admin.js';
import { waitFor } from '../../../testkit/wait-for.js';
import type { ChaosWorld } from './world.js';

export function topicOf(world: ChaosWorld, resource: ResourceName): string {
  return resourceTopic(world.prefix, resource);
}

/** Records (markers included) in the topic's partitions: it only grows. */
export async function topicEnd(world: ChaosWorld, resource: ResourceName): Promise<number> {
  return withAdmin(world.kafka, async (admin) => {
    const offsets = await admin.topicOffsets(topicOf(world, resource)).catch(() => []);
    return offsets.reduce((sum, partition) => sum + partition.high, 0);
  });
}

/** Offsets the sink's group has committed on the resource's topic, summed over partitions. */
export async function committedBySink(world: ChaosWorld, resource: ResourceName): Promise<number> {
  return withAdmin(world.kafka, async (admin) => {
    const offsets = await admin.groupOffsets(world.groupId, topicOf(world, resource));
    return offsets.reduce((sum, partition) => sum + Math.max(0, partition.offset), 0);
  });
}

export async function tableRows(world: ChaosWorld, table: string): Promise<number> {
  const result = await world.clickhouse.query({
    query: `SELECT count() AS n FROM \`${world.database}\`.\`${table}\``,
    format: 'JSONEachRow',
  });
  return Number((await result.json<{ n: string }>())[0]?.n ?? 0);
}

/** Waits until `measure` exceeds `above`; returns the milliseconds it took. */
export async function waitForGrowth(
  measure: () => Promise<number>,
  above: number,
  what: string,
  timeoutMs = 60_000,
): Promise<number> {
  const started = Date.now();
  await waitFor(async () => (await measure().catch(() => -1)) > above, { what, timeoutMs, intervalMs: 200 });
  return Date.now() - started;
}
