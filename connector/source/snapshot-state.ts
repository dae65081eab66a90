/**
 * "What was last published" for snapshot resources: id → content hash, per account. It is not
 * kept anywhere else: at start it is rebuilt from the compacted topic itself (the idempotency key
 * header names account, id and version; no Avro decoding), as the architecture decided, and
 * afterwards it moves only after a commit.
 */
import type { Kafka } from 'kafkajs';
import { readTopicToEnd } from '../kafka/topic-reader.js';
import { RECORD_HEADER } from '../../contract/headers.js';
import { parseIdempotencyKey } from '../../contract/idempotency-key.js';

export type PublishedState = Map<string, string>;

export async function loadPublishedStates(kafka: Kafka, topic: string, accounts: readonly string[]): Promise<Map<string, PublishedState>> {
  const states = new Map<string, PublishedState>(accounts.map((account) => [account, new Map()]));
  await readTopicToEnd(kafka, {
    topic,
    onMessage: (message) => {
      const entity = parseIdempotencyKey(text(message.headers?.[RECORD_HEADER.idempotencyKey]));
      const state = states.get(entity?.account ?? '');
      if (entity === undefined || state === undefined) return;
      if (message.value === null) state.delete(entity.id);
      else state.set(entity.id, entity.version);
    },
  });
  return states;
}

function text(value: Buffer | string | (Buffer | string)[] | undefined): string | undefined {
  const single = Array.isArray(value) ? value[0] : value;
  return single === undefined ? undefined : single.toString();
}
