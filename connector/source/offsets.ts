/**
 * Source offsets (cursors and snapshot progress) kept in a compacted Kafka topic, as Kafka Connect
 * keeps its connect-offsets topic. Key: JSON `[taskId, sourcePartition]`; value: JSON offset, or
 * null to forget one. Offsets are read once at start (read_committed, so an aborted transaction's
 * cursor never counts) and afterwards only written, inside the same transaction as the records
 * they cover; the in-memory view moves only after that commit succeeded.
 */
import type { KafkaClient } from '../../kafka/client.js';
import type { OutgoingRecord } from '../../kafka/records.js';
import { readTopicToEnd } from '../../kafka/topic-reader.js';
import { readerGroupId } from '../../contract/group-id.js';

export type SourceOffset = Readonly<Record<string, string | number | boolean | null>>;

export interface OffsetStore {
  get(partition: string): SourceOffset | undefined;
  /** The record that stores `offset` (null forgets it); send it in the transaction, then call `applied`. */
  record(partition: string, offset: SourceOffset | null): OutgoingRecord;
  /** Marks offsets as durable after their transaction committed. */
  applied(records: ReadonlyArray<{ partition: string; offset: SourceOffset | null }>): void;
  entries(): ReadonlyMap<string, SourceOffset>;
}

export async function loadOffsetStore(kafka: KafkaClient, topic: string, taskId: string): Promise<OffsetStore> {
  const offsets = new Map<string, SourceOffset>();
  await readTopicToEnd(kafka, {
    groupId: readerGroupId(),
    topic,
    onMessage: (message) => {
      if (message.key === null) return;
      const parsed = parseKey(message.key.toString('utf8'));
      if (parsed === undefined || parsed.taskId !== taskId) return;
      if (message.value === null) offsets.delete(parsed.partition);
      else offsets.set(parsed.partition, JSON.parse(message.value.toString('utf8')) as SourceOffset);
    },
  });

  return {
    get: (partition) => offsets.get(partition),
    record: (partition, offset) => ({
      topic,
      key: JSON.stringify([taskId, partition]),
      value: offset === null ? null : JSON.stringify(offset),
    }),
    applied(records) {
      for (const { partition, offset } of records) {
        if (offset === null) offsets.delete(partition);
        else offsets.set(partition, offset);
      }
    },
    entries: () => offsets,
  };
}

function parseKey(key: string): { taskId: string; partition: string } | undefined {
  try {
    const value: unknown = JSON.parse(key);
    if (Array.isArray(value) && typeof value[0] === 'string' && typeof value[1] === 'string')
      return { taskId: value[0], partition: value[1] };
  } catch {
    // Not ours (someone else's record in a shared topic): ignore it.
  }
  return undefined;
}
