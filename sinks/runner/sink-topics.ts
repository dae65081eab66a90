/**
 * The topics a sink loads: the configured resources' topics, or every resource topic (of a
 * published resource, contract/resources.ts) that exists. Only those: an offsets or dead-letter
 * topic that happens to sit under the prefix is not a table (loading its own dead letters would
 * loop). None yet is a retriable failure: a sink deployed next to a new source waits for the
 * source to create them.
 */
import type { AppConfig } from '../../common/config/schema.js';
import { ConnectError } from '../../common/errors.js';
import { resourceTopic, resourceTopics, topicName } from '../../contract/topics.js';
import type { KafkaAdmin } from '../../kafka/admin.js';

export async function sinkTopics(admin: KafkaAdmin, config: AppConfig): Promise<string[]> {
  const prefix = config.kafka.topicPrefix;
  if (config.sink.resources !== undefined)
    return config.sink.resources.map((resource) => resourceTopic(prefix, resource));
  const published = new Set(resourceTopics(prefix));
  const topics = (await admin.listTopics()).filter((topic) => published.has(topic)).sort();
  if (topics.length === 0)
    throw new ConnectError(
      `no resource topic named ${topicName(prefix, '<resource>')} exists yet (the source creates them at its start; or list sink.resources)`,
      { retriable: true },
    );
  return topics;
}
