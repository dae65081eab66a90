/**
 * Reads every committed record of a topic from the beginning up to its end as of the call, then
 * stops. Used at start-up to load the offsets topic and to rebuild snapshot state from compacted
 * resource topics.
 *
 * "The end" is the last stable offset per partition (admin listOffsets is READ_COMMITTED), and
 * progress is tracked from kafkajs's END_BATCH_PROCESS events, which also fire for batches made
 * only of transaction markers or aborted records; so the reader knows it is done without waiting
 * for a quiet period. A caller that has just committed a transaction passes where (`committedAt`):
 * the coordinator writes the commit markers after the commit has returned, and until then the last
 * stable offset stays before that transaction, so the end is taken only once it has moved past.
 */
import { ConnectError, RetriesExhaustedError } from '../common/errors.js';
import { createRetry, type RetryPolicy } from '../common/retry.js';
import { withAdmin, type KafkaAdmin, type PartitionRange } from './admin.js';
import { kafkajsClient, type KafkaClient } from './client.js';
import type { ConsumedRecord } from './records.js';

export interface ReadTopicOptions {
  readonly topic: string;
  /** A throw-away group (contract/group-id.ts's readerGroupId): never committed, every read from the beginning. */
  readonly groupId: string;
  readonly onMessage: (message: ConsumedRecord, partition: number) => void | Promise<void>;
  readonly signal?: AbortSignal;
  /** Per partition, an offset of a transaction the caller committed: the end is taken once it is stable. */
  readonly committedAt?: ReadonlyMap<number, number>;
}

/** The markers of a committed transaction did not appear in time (Kafka is struggling); retried by the caller. */
export class TransactionNotStableError extends ConnectError {}

/** How the commit markers of the caller's own transaction are waited for: about 30 s in all. */
const MARKERS_RETRY: RetryPolicy = { retries: 60, initialDelayMs: 10, maxDelayMs: 500, multiplier: 2 };

/** The topic's offsets once every `committedAt` offset is below its partition's last stable offset. */
export async function stableTopicOffsets(
  admin: Pick<KafkaAdmin, 'topicOffsets'>,
  topic: string,
  committedAt: ReadonlyMap<number, number>,
  options: { readonly signal?: AbortSignal | undefined; readonly policy?: RetryPolicy } = {},
): Promise<PartitionRange[]> {
  const retry = createRetry(options.policy ?? MARKERS_RETRY);
  const attempt = async (): Promise<PartitionRange[]> => {
    const offsets = await admin.topicOffsets(topic);
    const unstable = [...committedAt].filter(
      ([partition, offset]) => (offsets.find((range) => range.partition === partition)?.high ?? 0) <= offset,
    );
    if (unstable.length === 0) return offsets;
    const partitions = unstable.map(([partition]) => partition).join(', ');
    throw new TransactionNotStableError(`${topic}: a committed transaction is not stable (partitions ${partitions})`, {
      retriable: true,
    });
  };
  try {
    return await retry(attempt, {
      operation: `reading ${topic} after this task's last commit`,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  } catch (error) {
    // The caller (a sweep) retries at its next poll: the wait's own failure is what it must see.
    throw error instanceof RetriesExhaustedError && error.cause instanceof TransactionNotStableError
      ? error.cause
      : error;
  }
}

export async function readTopicToEnd(kafka: KafkaClient, options: ReadTopicOptions): Promise<{ records: number }> {
  const offsets = await withAdmin(kafka, (admin) =>
    stableTopicOffsets(admin, options.topic, options.committedAt ?? new Map(), { signal: options.signal }),
  );
  const ends = new Map(offsets.filter((p) => p.high > p.low).map((p) => [p.partition, p.high]));
  if (ends.size === 0) return { records: 0 };

  const { groupId } = options;
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
