/**
 * Whether an operator paused a resource, kept where the task keeps its cursors: the compacted
 * offsets topic, read at start, so a pause survives a restart of the process (as Kafka Connect
 * keeps a connector's target state in its config topic). One record per paused resource, under
 * the partition `target-state/<resource>` of the task's usual key `[taskId, partition]`, value
 * `{"state":"PAUSED"}`; a resume writes the tombstone. A version that does not know these records
 * reads them as offsets of a partition it never asks for, so the format stays compatible both ways.
 */
import type { OffsetStore, SourceOffset } from './offsets.js';

const PREFIX = 'target-state/';

export const PAUSED: SourceOffset = Object.freeze({ state: 'PAUSED' });

export function targetStatePartition(resource: string): string {
  return `${PREFIX}${resource}`;
}

/** Whether an offsets partition holds a target state rather than a cursor. */
export function isTargetStatePartition(partition: string): boolean {
  return partition.startsWith(PREFIX);
}

/** The resources among `resources` that were paused and not resumed since. */
export function pausedResources(offsets: Pick<OffsetStore, 'get'>, resources: readonly string[]): string[] {
  return resources.filter((resource) => offsets.get(targetStatePartition(resource))?.state === PAUSED.state);
}
