/**
 * The batch boundaries recorded as commit metadata (commit-tracker.ts `intent`), read from the
 * group once per topic; the runner makes a new reader per generation. A read that failed (Kafka
 * away) is not kept: the batch the consumer delivers again reads again.
 */
import type { GroupConsumer } from '../../kafka/consumer.js';
import { parseIntent } from './commit-tracker.js';

/** Partition → the last offset of the batch recorded for it. */
export type IntentReader = (topic: string) => Promise<Map<number, number>>;

export function createIntentReader(group: Pick<GroupConsumer, 'committed'>): IntentReader {
  const reads = new Map<string, Promise<Map<number, number>>>();

  async function read(topic: string): Promise<Map<number, number>> {
    const result = new Map<number, number>();
    for (const p of await group.committed(topic)) {
      const cut = parseIntent(p.metadata, p.offset);
      if (cut !== undefined) result.set(p.partition, cut);
    }
    return result;
  }

  return (topic) => {
    let found = reads.get(topic);
    if (found === undefined) {
      const reading = read(topic);
      reading.catch(() => reads.get(topic) === reading && reads.delete(topic));
      reads.set(topic, (found = reading));
    }
    return found;
  };
}
