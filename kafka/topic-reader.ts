/**
 * Reads every committed record of a topic from the beginning up to its end as of the call, then
 * stops. Used at start-up to load the offsets topic and to rebuild snapshot state from compacted
 * resource topics.
 *
 * "The end" is the last stable offset per partition (admin listOffsets is READ_COMMITTED), and
 * progress is tracked from kafkajs's END_BATCH_PROCESS events, which also fire for batches made
 * only of transaction markers or aborted records; so the reader knows it is done without waiting
 * for a quiet period.
 */
import { readerGroupId } from '../contract/group-id.js';
import { withAdmin } from './admin.js';
import { kafkajsClient, type KafkaClient } from './client.js';
import type { ConsumedRecord } from './records.js';

export interface ReadTopicOptions {
  readonly topic: string;
  readonly onMessage: (message: ConsumedRecord, partition: number) => void | Promise<void>;
  readonly signal?: AbortSignal;
}

export async function readTopicToEnd(kafka: KafkaClient, options: ReadTopicOptions): Promise<{ records: number }> {
  const offsets = await withAdmin(kafka, (admin) => admin.topicOffsets(options.topic));
  const ends = new Map(offsets.filter((p) => p.high > p.low).map((p) => [p.partition, p.high]));
  if (ends.size === 0) return { records: 0 };

  // A throw-away group: we never commit, and every start reads from the beginning.
  const groupId = readerGroupId();
  const consumer = kafkajsClient(kafka).consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 250 });
  const positions = new Map<number, number>();
  let records = 0;
  let resolveDone!: () => void;
  let rejectDone!: (error: unknown) => void;
  const done = new Promise<void>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  const checkDone = (): void => {
    for (const [partition, end] of ends) if ((positions.get(partition) ?? 0) < end) return;
    resolveDone();
  };
  consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
    positions.set(event.payload.partition, Number(event.payload.lastOffset) + 1);
    checkDone();
  });
  consumer.on(consumer.events.CRASH, (event) => rejectDone(event.payload.error));
  const onAbort = (): void => rejectDone(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });

  try {
    await consumer.connect();
    await consumer.subscribe({ topic: options.topic, fromBeginning: true });
    // eachBatch, not eachMessage: with eachMessage kafkajs was seen to emit END_BATCH_PROCESS for a
    // batch whose messages it never delivered (right after the group's first join), which would
    // end the read early; with eachBatch every fetched message passes through our hands.
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const end = ends.get(batch.partition);
        for (const message of batch.messages) {
          // Records past the end captured at the start belong to the future: leave them.
          if (end === undefined || Number(message.offset) >= end) continue;
          records++;
          await options.onMessage(message, batch.partition);
        }
      },
    });
    await done;
    return { records };
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await consumer.disconnect();
    await withAdmin(kafka, (admin) => admin.deleteGroups([groupId]).catch(() => undefined));
  }
}
