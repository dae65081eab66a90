/**
 * Consumer-group operations for replays: checking that a group is stopped, moving its offsets to
 * the earliest record or a point in time, and reading where topics end. Offsets are set to real
 * positions (never kafkajs's -2 "earliest" sentinel), so other Kafka tools show what happened.
 */
import type { Admin } from 'kafkajs';
import { ConnectError } from '../../common/errors.js';
import { keyOf } from './commit-tracker.js';

export class GroupActiveError extends ConnectError {}

/** Refuses, naming the members, when the group has any: moving offsets under a running sink would be overwritten by its next commit. */
export async function assertGroupStopped(admin: Admin, groupId: string): Promise<void> {
  const { groups } = await admin.describeGroups([groupId]);
  const group = groups[0];
  if (group === undefined || group.state === 'Empty' || group.state === 'Dead' || group.members.length === 0) return;
  const members = group.members.map((member) => `${member.clientId}@${member.clientHost}`).join(', ');
  throw new GroupActiveError(`consumer group ${groupId} is ${group.state} with ${group.members.length} member(s) (${members}); stop those sinks first, then run this again`);
}

export type ResetTarget = { readonly kind: 'earliest' } | { readonly kind: 'timestamp'; readonly ms: number };

export interface PartitionPosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

export async function resetGroup(admin: Admin, groupId: string, topics: readonly string[], target: ResetTarget): Promise<PartitionPosition[]> {
  await assertGroupStopped(admin, groupId);
  const result: PartitionPosition[] = [];
  for (const topic of topics) {
    const partitions =
      target.kind === 'earliest'
        ? (await admin.fetchTopicOffsets(topic)).map((p) => ({ partition: p.partition, offset: p.low }))
        : await admin.fetchTopicOffsetsByTimestamp(topic, target.ms);
    await admin.setOffsets({ groupId, topic, partitions: partitions.map((p) => ({ partition: p.partition, offset: String(p.offset) })) });
    for (const p of partitions) result.push({ topic, partition: p.partition, offset: Number(p.offset) });
  }
  return result;
}

/** Where each non-empty partition of the topics ends now (last stable offset: admin reads READ_COMMITTED). */
export async function topicEnds(admin: Admin, topics: readonly string[]): Promise<Map<string, number>> {
  const ends = new Map<string, number>();
  for (const topic of topics) {
    for (const p of await admin.fetchTopicOffsets(topic)) if (Number(p.high) > Number(p.low)) ends.set(keyOf(topic, p.partition), Number(p.high));
  }
  return ends;
}

/** Copies one group's committed offsets of a topic to another group (a rebuild hands its end position to the live sink). */
export async function copyGroupOffsets(admin: Admin, from: string, to: string, topic: string): Promise<void> {
  const [offsets] = await admin.fetchOffsets({ groupId: from, topics: [topic] });
  const partitions = (offsets?.partitions ?? []).filter((p) => Number(p.offset) >= 0).map((p) => ({ partition: p.partition, offset: p.offset }));
  if (partitions.length > 0) await admin.setOffsets({ groupId: to, topic, partitions });
}
