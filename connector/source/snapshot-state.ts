/**
 * "What was last published" for snapshot resources: id → content hash, per account. It is not
 * kept anywhere else: at start it is rebuilt from the compacted topic itself (the topic's latest
 * state, contract/latest-state.ts: headers only, no Avro decoding), as the architecture decided,
 * and afterwards it moves only after a commit.
 */
import { readLatestState } from '../../contract/latest-state.js';
import type { KafkaClient } from '../../kafka/client.js';

export type PublishedState = Map<string, string>;

/**
 * The live entities one account has in the topic (a tombstone's key was deleted). `committedAt`:
 * where this task has just committed into the topic (what it published must count).
 */
export async function loadPublishedState(
  kafka: KafkaClient,
  topic: string,
  account: string,
  committedAt?: ReadonlyMap<number, number>,
): Promise<PublishedState> {
  const latest = await readLatestState(kafka, topic, committedAt === undefined ? {} : { committedAt });
  const state: PublishedState = new Map();
  for (const [id, entry] of latest.accounts.get(account) ?? []) if (entry.hash !== null) state.set(id, entry.hash);
  return state;
}
