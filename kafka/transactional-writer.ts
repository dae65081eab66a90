/**
 * Exactly-once into Kafka, the way Kafka Connect does it (KIP-618): the records of a step and the
 * source offsets that cover them go out in ONE Kafka transaction. A crash before commit leaves
 * nothing visible to read_committed consumers; a crash after commit leaves both the records and
 * the cursor, so a restart neither loses nor repeats.
 *
 * One transactional id per task: a second instance with the same id fences the first (its next
 * commit fails with ProducerFencedError and it must stop) instead of duplicating its output.
 */
import { Partitioners, type Message, type Producer, type RecordMetadata, type TopicMessages } from 'kafkajs';
import { ConnectError } from '../common/errors.js';
import { kafkajsClient, type KafkaClient } from './client.js';
import type { OutgoingRecord } from './records.js';

/** Another instance took over this task's transactional id; this one must stop, not retry. */
export class ProducerFencedError extends ConnectError {
  constructor(transactionalId: string, cause: unknown) {
    super(`producer for ${transactionalId} was fenced by a newer instance of the same task; stopping this one`, {
      cause,
      retriable: false,
    });
  }
}

export class KafkaWriteError extends ConnectError {}

/**
 * The producer lost track of its transaction: the broker did not confirm a commit (it may or may
 * not have happened), or a failed transaction could not be aborted. kafkajs cannot start another
 * transaction on that producer; the task must restart from what Kafka holds (a new producer
 * settles the open transaction, and the offsets and published state are read back).
 */
export class TransactionStateLostError extends ConnectError {
  constructor(transactionalId: string, cause: unknown) {
    super(
      `the transaction state of ${transactionalId} is lost (${(cause as Error).message ?? String(cause)}); the task restarts from Kafka's state`,
      { cause, retriable: false },
    );
  }
}

/**
 * kafkajs sends a partition's records of one sendBatch as one record batch, which the broker
 * refuses past message.max.bytes (1 MiB by default); a transaction is therefore sent in chunks of
 * at most this many bytes, all inside the same transaction.
 */
export const MAX_REQUEST_BYTES = 512 * 1024;

const FENCED_TYPES = new Set([
  'PRODUCER_FENCED',
  'INVALID_PRODUCER_EPOCH',
  'INVALID_PRODUCER_ID_MAPPING',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
]);

export interface TransactionalWriter {
  /** Writes all records and offset records atomically; resolves once the transaction is committed. */
  commit(records: readonly OutgoingRecord[]): Promise<{ latencyMs: number }>;
  /**
   * Per partition of `topic`, an offset inside the last transaction this writer committed there.
   * A reader that must see that transaction waits until it is stable (readTopicToEnd's
   * `committedAt`): the coordinator writes the commit markers after the commit has returned.
   */
  committedAt(topic: string): ReadonlyMap<number, number>;
  close(): Promise<void>;
}

export async function createTransactionalWriter(
  kafka: KafkaClient,
  transactionalId: string,
  transactionTimeoutMs = 60_000,
): Promise<TransactionalWriter> {
  const producer: Producer = kafkajsClient(kafka).producer({
    // Java-compatible murmur2: a key lands in the partition a Java producer would choose.
    createPartitioner: Partitioners.DefaultPartitioner,
    transactionalId,
    idempotent: true,
    maxInFlightRequests: 1,
    transactionTimeout: transactionTimeoutMs,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  // kafkajs registers the transactional id only at the first transaction(). Do it now: that
  // fences any older instance of this task and makes the coordinator finish (commit or abort) its
  // open transaction, so offsets read after this see that transaction's final outcome. An
  // empty transaction's abort sends nothing.
  const init = await producer.transaction().catch((error: unknown) => {
    throw classify(error, transactionalId);
  });
  await init.abort();

  // Once lost, every later commit fails the same way: kafkajs would only report a state error.
  let lost: TransactionStateLostError | ProducerFencedError | undefined;
  const committed = new Map<string, Map<number, number>>();
  return {
    async commit(records) {
      if (lost !== undefined) throw lost;
      const started = performance.now();
      const transaction = await producer.transaction().catch((error: unknown) => {
        throw classify(error, transactionalId);
      });
      let committing = false;
      const written: RecordMetadata[] = [];
      try {
        for (const chunk of chunkByBytes(records, MAX_REQUEST_BYTES)) {
          written.push(...(await transaction.sendBatch({ topicMessages: groupByTopic(chunk), acks: -1 })));
        }
        committing = true;
        await transaction.commit();
      } catch (error) {
        const failure = classify(error, transactionalId);
        if (failure instanceof ProducerFencedError) throw (lost = failure);
        // A commit that failed is neither known to have happened nor abortable (kafkajs stays in
        // its COMMITTING state); a send that failed is aborted, and if even that fails, the same.
        if (
          committing ||
          !(await transaction.abort().then(
            () => true,
            () => false,
          ))
        )
          throw (lost = new TransactionStateLostError(transactionalId, error));
        throw failure;
      }
      for (const { topicName, partition, baseOffset } of written) {
        let partitions = committed.get(topicName);
        if (partitions === undefined) committed.set(topicName, (partitions = new Map()));
        partitions.set(partition, Math.max(partitions.get(partition) ?? -1, Number(baseOffset)));
      }
      return { latencyMs: performance.now() - started };
    },
    committedAt: (topic) => committed.get(topic) ?? new Map(),
    async close() {
      await producer.disconnect();
    },
  };
}

function sizeOf(record: OutgoingRecord): number {
  let size = record.key.length + (record.value?.length ?? 0) + 64;
  const headers = record.headers;
  for (const name in headers) size += name.length + (headers[name] as string).length;
  return size;
}

/** Consecutive chunks of records whose estimated size stays under `maxBytes` (a larger record goes alone). */
export function chunkByBytes(records: readonly OutgoingRecord[], maxBytes: number): OutgoingRecord[][] {
  const chunks: OutgoingRecord[][] = [];
  let current: OutgoingRecord[] = [];
  let bytes = 0;
  for (const record of records) {
    const size = sizeOf(record);
    if (current.length > 0 && bytes + size > maxBytes) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(record);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

function groupByTopic(records: readonly OutgoingRecord[]): TopicMessages[] {
  const byTopic = new Map<string, Message[]>();
  for (const record of records) {
    let messages = byTopic.get(record.topic);
    if (messages === undefined) byTopic.set(record.topic, (messages = []));
    // kafkajs only reads the headers: they are handed over as they are, not copied per record.
    messages.push({ key: record.key, value: record.value, headers: record.headers as Message['headers'] });
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

function classify(error: unknown, transactionalId: string): ConnectError {
  const type = (error as { type?: string }).type;
  const causeType = ((error as { cause?: { type?: string } }).cause ?? {}).type;
  if ((type !== undefined && FENCED_TYPES.has(type)) || (causeType !== undefined && FENCED_TYPES.has(causeType))) {
    return new ProducerFencedError(transactionalId, error);
  }
  const retriable = (error as { retriable?: boolean }).retriable === true;
  return new KafkaWriteError(`Kafka transaction for ${transactionalId} failed: ${(error as Error).message}`, {
    cause: error,
    retriable,
  });
}
