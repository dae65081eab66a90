/**
 * Topic and table names. Every topic of a deployment sits under its `kafka.topicPrefix`; a
 * resource's records are in `<prefix>.<topicSuffix>`, and a destination keeps them in a table named
 * after that suffix, so every sink, `sink rebuild`, reconcile and the demo find the same table.
 */
import { isResourceName, RESOURCE_NAMES, topicSuffixOf } from './resources.js';

const SEPARATOR = '.';

/** `<prefix>.<name>`. */
export function topicName(topicPrefix: string, name: string): string {
  return `${topicPrefix}${SEPARATOR}${name}`;
}

/**
 * The topic of a resource. A name outside the resource list is taken as the suffix itself:
 * `sink.resources` and the sink commands may name any topic under the prefix.
 */
export function resourceTopic(topicPrefix: string, resource: string): string {
  return topicName(topicPrefix, isResourceName(resource) ? topicSuffixOf(resource) : resource);
}

/** Every resource's topic under a prefix, in list order. */
export function resourceTopics(topicPrefix: string): string[] {
  return RESOURCE_NAMES.map((resource) => resourceTopic(topicPrefix, resource));
}

export function isUnderPrefix(topic: string, topicPrefix: string): boolean {
  return topic.startsWith(topicName(topicPrefix, ''));
}

/** The table a destination loads a topic into: its name under the prefix, or the whole topic name for a topic outside it. */
export function tableOfTopic(topic: string, topicPrefix: string): string {
  return isUnderPrefix(topic, topicPrefix) ? topic.slice(topicName(topicPrefix, '').length) : topic;
}
