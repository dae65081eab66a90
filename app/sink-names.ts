/**
 * A sink's consumer group and dead-letter topic. `sink.groupId` / `sink.deadLetterTopic` name one
 * sink; with several destinations in one process each gets the configured name suffixed by its
 * destination, so two sinks never share a group (they would split the partitions between them and
 * each load half). Unset, each gets its own default (contract/).
 */
import type { AppConfig } from '../common/config/schema.js';
import { siblingSinkDeadLetterTopic, sinkDeadLetterTopic } from '../contract/dead-letter-topics.js';
import { siblingSinkGroupId, sinkGroupId } from '../contract/group-id.js';

export function sinkNames(
  config: AppConfig,
  destination: string,
  several: boolean,
): { groupId: string; deadLetterTopic: string } {
  const { groupId, deadLetterTopic } = config.sink;
  return {
    groupId: several
      ? siblingSinkGroupId(groupId, config.kafka.topicPrefix, destination)
      : sinkGroupId(groupId, config.kafka.topicPrefix, destination),
    deadLetterTopic: several
      ? siblingSinkDeadLetterTopic(deadLetterTopic, destination)
      : sinkDeadLetterTopic(deadLetterTopic, destination),
  };
}
