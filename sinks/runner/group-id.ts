/**
 * The consumer group of a sink. One rule, used by every command that names the group (`sink run`,
 * `run`, `sink reset`, `sink rebuild`, `reconcile`): `sink.groupId` when configured, else
 * `bookeo-connect-sink-<kafka.topicPrefix>-<destination>`. The prefix is part of the default so two
 * deployments on one Kafka cluster (staging and production, say) never share a group: members of
 * one group that subscribe to different topics are handed each other's partitions.
 */

const GROUP_PREFIX = 'bookeo-connect-sink-';

export function sinkGroupId(configuredGroupId: string | undefined, topicPrefix: string, destinationName: string): string {
  return configuredGroupId ?? `${GROUP_PREFIX}${topicPrefix}-${destinationName}`;
}

/** The default before it carried the topic prefix; a sink on the new default adopts its offsets once (group-admin.ts). */
export function legacyDefaultGroupId(destinationName: string): string {
  return `${GROUP_PREFIX}${destinationName}`;
}
