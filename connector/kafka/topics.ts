/**
 * Creates the topics the connector owns and checks the ones that already exist. Resource and
 * offsets topics must be compacted: a replay from offset 0 then rebuilds the latest state of every
 * key, which is what "topics are the truth" rests on.
 */
import type { Admin, ITopicConfig } from 'kafkajs';
import { ConnectError } from '../../common/errors.js';

export interface TopicSpec {
  readonly topic: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly compacted: boolean;
}

export class TopicConfigError extends ConnectError {}

export async function ensureTopics(admin: Admin, specs: readonly TopicSpec[]): Promise<{ created: string[] }> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((spec) => !existing.has(spec.topic));
  if (missing.length > 0) {
    const topics: ITopicConfig[] = missing.map((spec) => ({
      topic: spec.topic,
      numPartitions: spec.partitions,
      replicationFactor: spec.replicationFactor,
      configEntries: spec.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : [],
    }));
    // validateOnly false + waitForLeaders: producers may write as soon as this returns.
    await admin.createTopics({ topics, waitForLeaders: true });
  }
  await checkCompaction(admin, specs.filter((spec) => spec.compacted && existing.has(spec.topic)));
  return { created: missing.map((spec) => spec.topic) };
}

async function checkCompaction(admin: Admin, specs: readonly TopicSpec[]): Promise<void> {
  if (specs.length === 0) return;
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: specs.map((spec) => ({ type: 2 /* TOPIC */, name: spec.topic, configNames: ['cleanup.policy'] })),
  });
  const notCompacted = described.resources
    .filter((resource) => !resource.configEntries.some((entry) => entry.configName === 'cleanup.policy' && entry.configValue.includes('compact')))
    .map((resource) => resource.resourceName);
  if (notCompacted.length > 0) {
    throw new TopicConfigError(
      `topics ${notCompacted.join(', ')} exist without cleanup.policy=compact; a replay would not rebuild the latest state. ` +
        `Set it with kafka-configs --alter --add-config cleanup.policy=compact, or choose another kafka.topicPrefix`,
    );
  }
}
