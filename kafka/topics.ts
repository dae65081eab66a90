/**
 * Creates the topics the project owns and checks the ones that already exist. Resource and
 * offsets topics must be compacted: a replay from offset 0 then rebuilds the latest state of every
 * key, which is what "topics are the truth" rests on.
 */
import { ConnectError } from '../common/errors.js';
import type { KafkaAdmin, TopicSpec } from './admin.js';

export class TopicConfigError extends ConnectError {}

export async function ensureTopics(admin: KafkaAdmin, specs: readonly TopicSpec[]): Promise<{ created: string[] }> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((spec) => !existing.has(spec.topic));
  if (missing.length > 0) await admin.createTopics(missing);
  await checkCompaction(
    admin,
    specs.filter((spec) => spec.compacted && existing.has(spec.topic)),
  );
  return { created: missing.map((spec) => spec.topic) };
}

async function checkCompaction(admin: KafkaAdmin, specs: readonly TopicSpec[]): Promise<void> {
  if (specs.length === 0) return;
  const policies = await admin.topicConfig(
    specs.map((spec) => spec.topic),
    'cleanup.policy',
  );
  const notCompacted = [...policies]
    .filter(([, policy]) => policy?.includes('compact') !== true)
    .map(([topic]) => topic);
  if (notCompacted.length > 0) {
    throw new TopicConfigError(
      `topics ${notCompacted.join(', ')} exist without cleanup.policy=compact; a replay would not rebuild the latest state. ` +
        `Set it with kafka-configs --alter --add-config cleanup.policy=compact, or choose another kafka.topicPrefix`,
    );
  }
}
