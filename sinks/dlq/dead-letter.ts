/**
 * The dead-letter topic of a sink: a record that cannot be decoded or written is copied there with
 * its original key, value and headers, plus headers that say where it came from and why it failed
 * (Kafka Connect's ErrantRecordReporter, with the project's one dead-letter vocabulary,
 * contract/dead-letter-headers.ts). The runner awaits each send before the record's offset may be
 * committed, so a dead letter is never lost; a crash between the send and the commit can send it
 * twice (at-least-once in the DLQ, by design).
 *
 * The DLQ topic is NOT compacted: two failed versions of one entity must both stay visible.
 */
import { ConnectError } from '../../common/errors.js';
import { deadLetterHeaders, originalHeaders, type DeadLetterStage } from '../../contract/dead-letter-headers.js';
import type { KafkaClient } from '../../kafka/client.js';
import { createProducer } from '../../kafka/producer.js';
import type { ConsumedRecord } from '../../kafka/records.js';

export interface DeadLetterCause {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** The value's schema id, when the bytes carried a readable one. */
  readonly schemaId: number | undefined;
  readonly stage: DeadLetterStage;
  readonly error: unknown;
  readonly destination: string;
}

export function buildDeadLetterHeaders(cause: DeadLetterCause, now: Date): Record<string, string> {
  const { error } = cause;
  return deadLetterHeaders({
    topic: cause.topic,
    partition: cause.partition,
    offset: cause.offset,
    stage: cause.stage,
    errorClass: error instanceof Error ? error.name : typeof error,
    errorMessage: error instanceof Error ? error.message : String(error),
    destination: cause.destination,
    failedAt: now,
    schemaId: cause.schemaId,
  });
}

export class DeadLetterError extends ConnectError {}

export interface DeadLetterReporter {
  readonly topic: string;
  /** Resolves once the DLQ record is acknowledged by all in-sync replicas. */
  report(message: Pick<ConsumedRecord, 'key' | 'value' | 'headers'>, cause: DeadLetterCause): Promise<void>;
  close(): Promise<void>;
}

export async function createDeadLetterReporter(
  kafka: KafkaClient,
  topic: string,
  clock: () => Date = () => new Date(),
): Promise<DeadLetterReporter> {
  // Idempotent: a retried send inside the producer does not duplicate the dead letter.
  const producer = await createProducer(kafka);
  return {
    topic,
    async report(message, cause) {
      try {
        await producer.send({
          topic,
          key: message.key,
          value: message.value,
          headers: { ...originalHeaders(message.headers), ...buildDeadLetterHeaders(cause, clock()) },
        });
      } catch (error) {
        throw new DeadLetterError(
          `could not dead-letter ${cause.topic}/${cause.partition}@${cause.offset} to ${topic}`,
          {
            cause: error,
            retriable: (error as { retriable?: boolean }).retriable === true,
          },
        );
      }
    },
    close: () => producer.close(),
  };
}
