/**
 * Consumer group ids. A sink's group has one rule, used by every command that names it (`sink run`,
 * `run`, `sink reset`, `sink rebuild`, `reconcile`): `sink.groupId` when configured, else
 * `bookeo-connect-sink-<kafka.topicPrefix>-<destination>`. The prefix is part of the default so two
 * deployments on one Kafka cluster (staging and production, say) never share a group: members of
 * one group that subscribe to different topics are handed each other's partitions.
 */
import { randomUUID } from 'node:crypto';

const GROUP_PREFIX = 'bookeo-connect-sink-';

export function sinkGroupId(
  configuredGroupId: string | undefined,
  topicPrefix: string,
  destinationName: string,
): string {
  return configuredGroupId ?? `${GROUP_PREFIX}${topicPrefix}-${destinationName}`;
}

/**
 * The group of one of several sinks in one process (`run`): a configured group gets the destination
 * as a suffix, since two sinks in one group would split the partitions and each load half.
 */
export function siblingSinkGroupId(
  configuredGroupId: string | undefined,
  topicPrefix: string,
  destinationName: string,
): string {
  return configuredGroupId === undefined
    ? sinkGroupId(undefined, topicPrefix, destinationName)
    : `${configuredGroupId}-${destinationName}`;
}

/** The default before it carried the topic prefix; a sink on the new default adopts its offsets once. */
export function legacyDefaultGroupId(destinationName: string): string {
  return `${GROUP_PREFIX}${destinationName}`;
}

/** The throw-away group `sink rebuild` reads one resource with; after the swap its positions become the live group's. */
export function rebuildGroupId(liveGroupId: string, resource: string, startedAtMs: number): string {
  return `${liveGroupId}-rebuild-${resource}-${startedAtMs}`;
}

/** A throw-away group that reads a topic to its end and never commits (the latest state, the offsets, dead letters). */
export function readerGroupId(): string {
  return `bookeo-connect-reader-${randomUUID()}`;
}
