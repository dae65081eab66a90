/**
 * "What was last published" for snapshot resources: id → content hash, per account. It is not
 * kept anywhere else: at start it is rebuilt from the compacted topic itself (headers only, no
 * Avro decoding), as the architecture decided, and afterwards it moves only after a commit.
 */
import type { Kafka } from 'kafkajs';
import { readTopicToEnd } from '../kafka/topic-reader.js';
import { HEADER } from './record-factory.js';

export type PublishedState = Map<string, string>;

export async function loadPublishedStates(kafka: Kafka, topic: string, accounts: readonly string[]): Promise<Map<string, PublishedState>> {
  const states = new Map<string, PublishedState>(accounts.map((account) => [account, new Map()]));
  await readTopicToEnd(kafka, {
    topic,
    onMessage: (message) => {
      const headers = message.headers ?? {};
      const state = states.get(text(headers[HEADER.account]) ?? '');
      const id = text(headers[HEADER.id]);
      if (state === undefined || id === undefined) return;
      if (message.value === null) state.delete(id);
      else state.set(id, text(headers[HEADER.contentHash]) ?? '');
    },
  });
  return states;
}

function text(value: Buffer | string | (Buffer | string)[] | undefined): string | undefined {
  const single = Array.isArray(value) ? value[0] : value;
  return single === undefined ? undefined : single.toString();
}
