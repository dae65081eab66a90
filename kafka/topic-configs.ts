/**
 * The topics the project creates, by class, and the Kafka configs each class gets: the defaults
 * below with `kafka.topicConfigs.<class>` merged over them.
 *
 * - `data` (resource topics, compacted): `delete.retention.ms` = 7 days. A tombstone stays readable
 *   this long after compaction reached it; a sink that is down for longer can miss a delete and
 *   keep the deleted row (docs/guarantees.md). Kafka's own default is 1 day.
 * - `offsets` (the source's cursors, compacted): the broker's defaults.
 * - `deadLetter` (the source's and the sinks' dead letters): `retention.ms` = -1, kept until
 *   someone deletes them, so `dlq redrive` always has them to send.
 * `min.insync.replicas` and any other topic config can be added per class.
 */
import type { AppConfig } from '../common/config/schema.js';
import type { TopicSpec } from './admin.js';

export type TopicClass = keyof NonNullable<AppConfig['kafka']['topicConfigs']>;

const SEVEN_DAYS_MS = 7 * 24 * 60 * 60 * 1000;

export const DEFAULT_TOPIC_CONFIGS: Readonly<Record<TopicClass, Readonly<Record<string, string>>>> = Object.freeze({
  data: { 'delete.retention.ms': String(SEVEN_DAYS_MS) },
  offsets: {},
  deadLetter: { 'retention.ms': '-1' },
});

type TopicSettings = Pick<AppConfig['kafka'], 'partitions' | 'replicationFactor' | 'topicConfigs'>;

/** The spec of one topic of a class; `partitions` overrides `kafka.partitions` (the offsets and source DLQ topics use one). */
export function topicSpec(kafka: TopicSettings, topic: string, topicClass: TopicClass, partitions?: number): TopicSpec {
  return {
    topic,
    partitions: partitions ?? kafka.partitions,
    replicationFactor: kafka.replicationFactor,
    compacted: topicClass !== 'deadLetter',
    configs: { ...DEFAULT_TOPIC_CONFIGS[topicClass], ...kafka.topicConfigs?.[topicClass] },
  };
}
