/**
 * Consumer-group operations: checking that a group is stopped, or that its members consume what
 * this sink consumes; moving its offsets to the earliest record or a point in time; copying
 * offsets between groups; reading where topics end. Offsets are set to real positions (never
 * Kafka's -2 "earliest" sentinel), so other Kafka tools show what happened.
 */
import { ConnectError } from '../../common/errors.js';
import type { GroupDescription, KafkaAdmin, PartitionOffset } from '../../kafka/admin.js';
import { keyOf } from './commit-tracker.js';

export class GroupActiveError extends ConnectError {}

/** Members of one group consuming different topics: kafkajs' assigner would hand each the other's partitions. */
export class ForeignTopicsError extends ConnectError {
  constructor(groupId: string, foreignTopics: readonly string[], how: string) {
    super(
      `consumer group ${groupId} ${how} topics this sink does not consume (${foreignTopics.join(', ')}): another deployment (another kafka.topicPrefix or sink.resources) uses the same group; give each deployment its own sink.groupId, or leave it unset for the per-prefix default`,
    );
  }
}

/** The group while it has members, else undefined. */
async function activeGroup(admin: KafkaAdmin, groupId: string): Promise<GroupDescription | undefined> {
  const group = await admin.describeGroup(groupId);
  return group.state === 'Empty' || group.state === 'Dead' || group.members.length === 0 ? undefined : group;
}

export async function groupHasMembers(admin: KafkaAdmin, groupId: string): Promise<boolean> {
  return (await activeGroup(admin, groupId)) !== undefined;
}

/** Refuses, naming the members, when the group has any: moving offsets under a running sink would be overwritten by its next commit. */
export async function assertGroupStopped(admin: KafkaAdmin, groupId: string): Promise<void> {
  const group = await activeGroup(admin, groupId);
  if (group === undefined) return;
  const members = group.members.map((member) => `${member.clientId}@${member.clientHost}`).join(', ');
  throw new GroupActiveError(
    `consumer group ${groupId} is ${group.state} with ${group.members.length} member(s) (${members}); stop those sinks first, then run this again`,
  );
}

/**
 * Refuses to join a group whose running members subscribe to other topics (a deployment with
 * another prefix configured with the same group): joining would stall them and this sink alike.
 * Members whose metadata is not the consumer protocol's are not judged.
 */
export async function assertSameSubscription(
  admin: KafkaAdmin,
  groupId: string,
  topics: readonly string[],
): Promise<void> {
  const ours = new Set(topics);
  const foreign = new Set<string>();
  for (const member of (await activeGroup(admin, groupId))?.members ?? []) {
    for (const topic of member.topics ?? []) if (!ours.has(topic)) foreign.add(topic);
  }
  if (foreign.size > 0) throw new ForeignTopicsError(groupId, [...foreign].sort(), 'has running members subscribed to');
}

export type ResetTarget = { readonly kind: 'earliest' } | { readonly kind: 'timestamp'; readonly ms: number };

export interface PartitionPosition extends PartitionOffset {
  readonly topic: string;
}

export async function resetGroup(
  admin: KafkaAdmin,
  groupId: string,
  topics: readonly string[],
  target: ResetTarget,
): Promise<PartitionPosition[]> {
  await assertGroupStopped(admin, groupId);
  const result: PartitionPosition[] = [];
  for (const topic of topics) {
    const partitions =
      target.kind === 'earliest'
        ? (await admin.topicOffsets(topic)).map((p) => ({ partition: p.partition, offset: p.low }))
        : await admin.topicOffsetsAt(topic, target.ms);
    await admin.setGroupOffsets(groupId, topic, partitions);
    for (const p of partitions) result.push({ topic, ...p });
  }
  return result;
}

/** Where each non-empty partition of the topics ends now (last stable offset: admin reads READ_COMMITTED). */
export async function topicEnds(admin: KafkaAdmin, topics: readonly string[]): Promise<Map<string, number>> {
  const ends = new Map<string, number>();
  for (const topic of topics) {
    for (const p of await admin.topicOffsets(topic)) if (p.high > p.low) ends.set(keyOf(topic, p.partition), p.high);
  }
  return ends;
}

/** Copies one group's committed offsets of a topic to another group (a rebuild hands its end position to the live sink); returns how many partitions had one. */
export async function copyGroupOffsets(admin: KafkaAdmin, from: string, to: string, topic: string): Promise<number> {
  const partitions = (await admin.groupOffsets(from, topic))
    .filter((p) => p.offset >= 0)
    .map((p) => ({ partition: p.partition, offset: p.offset }));
  if (partitions.length > 0) await admin.setGroupOffsets(to, topic, partitions);
  return partitions.length;
}

/**
 * Carries a group's positions over to its successor: when `to` has committed nothing for `topics`
 * and `from` has, `from`'s offsets of these topics (only these: `from` may hold another
 * deployment's too) are copied into `to`. Returns the topics copied, empty when nothing was.
 */
export async function adoptGroupOffsets(
  admin: KafkaAdmin,
  from: string,
  to: string,
  topics: readonly string[],
): Promise<string[]> {
  for (const topic of topics) if ((await admin.groupOffsets(to, topic)).some((p) => p.offset >= 0)) return [];
  const adopted: string[] = [];
  for (const topic of topics) if ((await copyGroupOffsets(admin, from, to, topic)) > 0) adopted.push(topic);
  return adopted;
}
