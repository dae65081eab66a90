/**
 * Names for a deployment that keeps everything it creates under its topic prefix (the demo, the
 * benchmarks): its offsets and dead-letter topics and its groups all start with the prefix, so
 * deleting what starts with it removes the whole run. Other deployments use the configured names
 * and the defaults (config schema, group-id.ts, dead-letter-topics.ts).
 */
import { topicName } from './topics.js';

export interface NamespacedNames {
  readonly offsetsTopic: string;
  /** The source's dead-letter topic. */
  readonly deadLetterTopic: string;
  sinkDeadLetterTopic(destinationName: string): string;
  sinkGroupId(destinationName: string): string;
  /** Any other group of the run. */
  groupId(name: string): string;
}

export function namespacedNames(topicPrefix: string): NamespacedNames {
  const groupId = (name: string): string => `${topicPrefix}-${name}`;
  return {
    offsetsTopic: topicName(topicPrefix, 'offsets'),
    deadLetterTopic: topicName(topicPrefix, 'dlq'),
    sinkDeadLetterTopic: (destinationName) => topicName(topicPrefix, `dlq.sink-${destinationName}`),
    sinkGroupId: (destinationName) => groupId(`sink-${destinationName}`),
    groupId,
  };
}
