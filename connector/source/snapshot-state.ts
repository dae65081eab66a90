/**
 * "What was last published" for snapshot resources: id → content hash, per account. It is not
 * kept anywhere else: at start it is rebuilt from the compacted topic itself (the topic's latest
 * state, contract/latest-state.ts: headers only, no Avro decoding), as the architecture decided,
 * and afterwards it moves only after a commit.
 */
import { readLatestState, type LatestEntry } from '../../contract/latest-state.js';
import type { KafkaClient } from '../../kafka/client.js';

export type PublishedState = Map<string, string>;

/** `committedAt`: where this task has just committed into the topic (what it published must count). */
export async function loadPublishedStates(
  kafka: KafkaClient,
  topic: string,
  accounts: readonly string[],
  committedAt?: ReadonlyMap<number, number>,
): Promise<Map<string, PublishedState>> {
  const latest = await readLatestState(kafka, topic, committedAt === undefined ? {} : { committedAt });
  return new Map(accounts.map((account) => [account, publishedState(latest.accounts.get(account))]));
}

/** The live entities of an account: a tombstone's key was deleted. */
function publishedState(entries: ReadonlyMap<string, LatestEntry> | undefined): PublishedState {
  const state: PublishedState = new Map();
  for (const [id, entry] of entries ?? []) if (entry.hash !== null) state.set(id, entry.hash);
  return state;
}
