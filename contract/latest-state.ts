/**
 * The latest state of every key in a resource topic, read to its end (read_committed): per account
 * and entity id, where its last record sits and the content hash it carries (null for a tombstone).
 * Only the idempotency-key header is read, so no schema is needed and any schema version is fine.
 * The source rebuilds what it last published from it; reconcile compares it with Bookeo and the table.
 */
import type { KafkaClient } from '../kafka/client.js';
import { readTopicToEnd, type ReadTopicOptions } from '../kafka/topic-reader.js';
import { readerGroupId } from './group-id.js';
import { headerText, RECORD_HEADER, type RecordHeaders } from './headers.js';
import { parseIdempotencyKey } from './idempotency-key.js';

export interface LatestEntry {
  readonly partition: number;
  readonly offset: number;
  /** Null: the latest record is a tombstone (the entity was deleted). */
  readonly hash: string | null;
}

export interface LatestState {
  /** account → entity id → latest record. */
  readonly accounts: Map<string, Map<string, LatestEntry>>;
  /** Records without the source's headers (written by something else); counted, not attributed to a key. */
  readonly unattributed: number;
}

/** What the state needs of a record. */
export interface StateRecord {
  readonly headers?: RecordHeaders | undefined;
  readonly value: Buffer | null;
  readonly offset: string;
}

export interface LatestStateBuilder {
  /** Records of a partition in offset order: a later record of a key replaces the earlier. */
  add(record: StateRecord, partition: number): void;
  state(): LatestState;
}

export function createLatestStateBuilder(): LatestStateBuilder {
  const accounts = new Map<string, Map<string, LatestEntry>>();
  let unattributed = 0;
  return {
    add(record, partition) {
      const entity = parseIdempotencyKey(headerText(record.headers, RECORD_HEADER.idempotencyKey));
      if (entity === undefined) {
        unattributed++;
        return;
      }
      let entries = accounts.get(entity.account);
      if (entries === undefined) accounts.set(entity.account, (entries = new Map()));
      entries.set(entity.id, {
        partition,
        offset: Number(record.offset),
        hash: record.value === null ? null : entity.version,
      });
    },
    state: () => ({ accounts, unattributed }),
  };
}

/** `committedAt`: where the reader itself has just committed (readTopicToEnd waits until that is stable). */
export async function readLatestState(
  kafka: KafkaClient,
  topic: string,
  options: Pick<ReadTopicOptions, 'signal' | 'committedAt'> = {},
): Promise<LatestState> {
  const builder = createLatestStateBuilder();
  await readTopicToEnd(kafka, {
    groupId: readerGroupId(),
    topic,
    ...options,
    onMessage: (message, partition) => builder.add(message, partition),
  });
  return builder.state();
}
