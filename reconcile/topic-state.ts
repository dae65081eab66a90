/**
 * The latest state of every key in a resource topic, read to its end (read_committed): per
 * account and entity id, where its last record sits and the content hash it carries (null for a
 * tombstone). Only the `bookeo.idempotency-key` header is read (`<account>/<resource>/<id>@<hash>`),
 * so no schema is needed and any schema version is fine.
 */
import type { IHeaders, Kafka } from 'kafkajs';
import { RECORD_HEADER } from '../contract/headers.js';
import { parseIdempotencyKey } from '../contract/idempotency-key.js';
import { readTopicToEnd } from '../connector/kafka/topic-reader.js';

export interface TopicEntry {
  readonly partition: number;
  readonly offset: number;
  /** Null: the latest record is a tombstone (the entity was deleted). */
  readonly hash: string | null;
}

export interface TopicState {
  /** account → entity id → latest record. */
  readonly accounts: Map<string, Map<string, TopicEntry>>;
  /** Records without the source's headers (written by something else); counted, not compared. */
  readonly unattributed: number;
}

function header(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

export async function readTopicState(kafka: Kafka, topic: string, signal?: AbortSignal): Promise<TopicState> {
  const accounts = new Map<string, Map<string, TopicEntry>>();
  let unattributed = 0;
  await readTopicToEnd(kafka, {
    topic,
    ...(signal === undefined ? {} : { signal }),
    onMessage: (message, partition) => {
      const entity = parseIdempotencyKey(header(message.headers, RECORD_HEADER.idempotencyKey));
      if (entity === undefined) {
        unattributed++;
        return;
      }
      let entries = accounts.get(entity.account);
      if (entries === undefined) accounts.set(entity.account, (entries = new Map()));
      entries.set(entity.id, { partition, offset: Number(message.offset), hash: message.value === null ? null : entity.version });
    },
  });
  return { accounts, unattributed };
}
