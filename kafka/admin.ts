/**
 * The admin operations the project uses, behind one small interface: topics (list, create,
 * delete, their ends and one config value), consumer groups (list, describe, delete) and group
 * offsets (read, set). Offsets are numbers here; -1 is Kafka's "none committed".
 * `withAdmin` opens a connection for the body and closes it after.
 */
import { AssignerProtocol, type Admin, type ITopicConfig } from 'kafkajs';
import { createRetry } from '../common/retry.js';
import { kafkajsClient, type KafkaClient } from './client.js';

/**
 * A topic created a moment ago can be missing from the broker's metadata for a moment, and a
 * describe of its configs then answers UNKNOWN_TOPIC_OR_PARTITION, which kafkajs's describeConfigs
 * does not retry (it retries NOT_CONTROLLER only). Retried here for a few seconds, that alone.
 */
const retryUnknownTopic = createRetry({ retries: 6, initialDelayMs: 100, maxDelayMs: 1_000, multiplier: 2 });
const isUnknownTopic = (error: unknown): boolean =>
  (error as { type?: unknown } | null)?.type === 'UNKNOWN_TOPIC_OR_PARTITION';

export interface TopicSpec {
  readonly topic: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly compacted: boolean;
  /** Further topic configs set at creation (kafka/topic-configs.ts), name → value. */
  readonly configs?: Readonly<Record<string, string>>;
}

/** A partition's first offset and its end (the last stable offset: admin reads READ_COMMITTED). */
export interface PartitionRange {
  readonly partition: number;
  readonly low: number;
  readonly high: number;
}

export interface PartitionOffset {
  readonly partition: number;
  readonly offset: number;
}

export interface CommittedOffset extends PartitionOffset {
  /** The metadata stored with the commit, if any. */
  readonly metadata: string | null;
}

export interface GroupMember {
  readonly clientId: string;
  readonly clientHost: string;
  /** The topics it subscribes to; undefined when its metadata is not the consumer protocol's. */
  readonly topics: readonly string[] | undefined;
}

export interface GroupDescription {
  readonly groupId: string;
  /** Kafka's group state: Empty, Stable, PreparingRebalance, CompletingRebalance, Dead. */
  readonly state: string;
  readonly members: readonly GroupMember[];
}

export interface KafkaAdmin {
  listTopics(): Promise<string[]>;
  /** Resolves once every partition has a leader: producers may write right after. */
  createTopics(specs: readonly TopicSpec[]): Promise<void>;
  deleteTopics(topics: readonly string[], options?: { readonly timeoutMs?: number }): Promise<void>;
  topicOffsets(topic: string): Promise<PartitionRange[]>;
  /** Per partition, the first offset whose timestamp is at or after `timestampMs`. */
  topicOffsetsAt(topic: string, timestampMs: number): Promise<PartitionOffset[]>;
  /** One config value of each topic (undefined where the broker has none). */
  topicConfig(topics: readonly string[], name: string): Promise<Map<string, string | undefined>>;
  listGroups(): Promise<string[]>;
  describeGroup(groupId: string): Promise<GroupDescription>;
  deleteGroups(groupIds: readonly string[]): Promise<void>;
  /** The group's committed offsets of one topic, per partition (offset -1: none). */
  groupOffsets(groupId: string, topic: string): Promise<CommittedOffset[]>;
  setGroupOffsets(groupId: string, topic: string, offsets: readonly PartitionOffset[]): Promise<void>;
  close(): Promise<void>;
}

const TOPIC_RESOURCE = 2;

export async function openAdmin(kafka: KafkaClient): Promise<KafkaAdmin> {
  const admin: Admin = kafkajsClient(kafka).admin();
  await admin.connect().catch(async (error: unknown) => {
    await admin.disconnect().catch(() => undefined);
    throw error;
  });
  return {
    listTopics: () => admin.listTopics(),
    async createTopics(specs) {
      const topics: ITopicConfig[] = specs.map((spec) => ({
        topic: spec.topic,
        numPartitions: spec.partitions,
        replicationFactor: spec.replicationFactor,
        configEntries: [
          ...(spec.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : []),
          ...Object.entries(spec.configs ?? {}).map(([name, value]) => ({ name, value })),
        ],
      }));
      await admin.createTopics({ topics, waitForLeaders: true });
    },
    async deleteTopics(topics, options = {}) {
      await admin.deleteTopics({
        topics: [...topics],
        ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
      });
    },
    async topicOffsets(topic) {
      return (await admin.fetchTopicOffsets(topic)).map((p) => ({
        partition: p.partition,
        low: Number(p.low),
        high: Number(p.high),
      }));
    },
    async topicOffsetsAt(topic, timestampMs) {
      return (await admin.fetchTopicOffsetsByTimestamp(topic, timestampMs)).map((p) => ({
        partition: p.partition,
        offset: Number(p.offset),
      }));
    },
    async topicConfig(topics, name) {
      const described = await retryUnknownTopic(
        () =>
          admin.describeConfigs({
            includeSynonyms: false,
            resources: topics.map((topic) => ({ type: TOPIC_RESOURCE, name: topic, configNames: [name] })),
          }),
        { operation: `describing ${name} of topics ${topics.join(', ')}`, retriable: isUnknownTopic },
      );
      return new Map(
        described.resources.map((resource) => [
          resource.resourceName,
          resource.configEntries.find((entry) => entry.configName === name)?.configValue,
        ]),
      );
    },
    listGroups: async () => (await admin.listGroups()).groups.map((group) => group.groupId),
    async describeGroup(groupId) {
      const { groups } = await admin.describeGroups([groupId]);
      const group = groups[0];
      if (group === undefined) return { groupId, state: 'Dead', members: [] };
      return {
        groupId,
        state: group.state,
        members: group.members.map((member) => ({
          clientId: member.clientId,
          clientHost: member.clientHost,
          topics: subscribedTopics(member.memberMetadata),
        })),
      };
    },
    async deleteGroups(groupIds) {
      await admin.deleteGroups([...groupIds]);
    },
    async groupOffsets(groupId, topic) {
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return (offsets?.partitions ?? []).map((p) => ({
        partition: p.partition,
        offset: Number(p.offset),
        metadata: p.metadata,
      }));
    },
    async setGroupOffsets(groupId, topic, offsets) {
      await admin.setOffsets({
        groupId,
        topic,
        partitions: offsets.map((p) => ({ partition: p.partition, offset: String(p.offset) })),
      });
    },
    close: () => admin.disconnect(),
  };
}

function subscribedTopics(memberMetadata: Buffer): string[] | undefined {
  try {
    return AssignerProtocol.MemberMetadata.decode(memberMetadata)?.topics ?? [];
  } catch {
    return undefined;
  }
}

/** Runs `body` with a connected admin, closed afterwards whatever happens. */
export async function withAdmin<T>(kafka: KafkaClient, body: (admin: KafkaAdmin) => Promise<T>): Promise<T> {
  const admin = await openAdmin(kafka);
  try {
    return await body(admin);
  } finally {
    await admin.close();
  }
}
