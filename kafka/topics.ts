/**
 * Creates the topics the project owns and checks the ones that already exist. Resource and
 * offsets topics must be compacted: a replay from offset 0 then rebuilds the latest state of every
 * key, which is what "topics are the truth" rests on. Any other config of the spec (retention,
 * `min.insync.replicas`, kafka/topic-configs.ts) that an existing topic has otherwise is reported
 * (a warning, with the command that would change it), never altered: the topic may be shared, or
 * set so on purpose.
 */
import { ConnectError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { KafkaAdmin, TopicSpec } from './admin.js';

export class TopicConfigError extends ConnectError {}

/** A config an existing topic has otherwise than its spec wants. */
export interface TopicConfigDifference {
  readonly topic: string;
  readonly name: string;
  /** What the broker reports (undefined: nothing). */
  readonly actual: string | undefined;
  readonly wanted: string;
}

export async function ensureTopics(
  admin: KafkaAdmin,
  specs: readonly TopicSpec[],
  logger?: Logger,
): Promise<{ created: string[]; differences: TopicConfigDifference[] }> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((spec) => !existing.has(spec.topic));
  if (missing.length > 0) await admin.createTopics(missing);
  await checkCompaction(
    admin,
    specs.filter((spec) => spec.compacted && existing.has(spec.topic)),
  );
  const differences = await compareConfigs(
    admin,
    specs.filter((spec) => existing.has(spec.topic)),
  );
  for (const difference of differences)
    logger?.warn(
      difference,
      `topic ${difference.topic} has ${difference.name}=${difference.actual ?? '(none)'}, the configuration wants ${difference.wanted}; ` +
        `it is not changed (kafka-configs --alter --entity-type topics --entity-name ${difference.topic} --add-config ${difference.name}=${difference.wanted})`,
    );
  return { created: missing.map((spec) => spec.topic), differences };
}

/** The configs of existing topics that differ from their specs, one describe per config name. */
async function compareConfigs(admin: KafkaAdmin, specs: readonly TopicSpec[]): Promise<TopicConfigDifference[]> {
  const names = [...new Set(specs.flatMap((spec) => Object.keys(spec.configs ?? {})))].sort();
  const differences: TopicConfigDifference[] = [];
  for (const name of names) {
    const wanting = specs.filter((spec) => spec.configs?.[name] !== undefined);
    const actual = await admin.topicConfig(
      wanting.map((spec) => spec.topic),
      name,
    );
    for (const spec of wanting) {
      const wanted = spec.configs?.[name] as string;
      if (actual.get(spec.topic) !== wanted)
        differences.push({ topic: spec.topic, name, actual: actual.get(spec.topic), wanted });
    }
  }
  return differences;
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
