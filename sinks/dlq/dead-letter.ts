/**
 * The dead-letter topic of a sink: a record that cannot be decoded or written is copied there with
 * its original key, value and headers, plus headers that say where it came from and why it failed
 * (Kafka Connect's ErrantRecordReporter, with our own header names). The runner awaits each send
 * before the record's offset may be committed, so a dead letter is never lost; a crash between the
 * send and the commit can send it twice (at-least-once in the DLQ, by design).
 *
 * The DLQ topic is NOT compacted: two failed versions of one entity must both stay visible.
 */
import { Partitioners, type IHeaders, type Kafka, type KafkaMessage, type Producer } from 'kafkajs';
import { ConnectError } from '../../common/errors.js';

export const DLQ_HEADER = Object.freeze({
  topic: 'bookeo.dlq.topic',
  partition: 'bookeo.dlq.partition',
  offset: 'bookeo.dlq.offset',
  schemaId: 'bookeo.dlq.schema.id',
  stage: 'bookeo.dlq.stage',
  errorClass: 'bookeo.dlq.error.class',
  errorMessage: 'bookeo.dlq.error.message',
  destination: 'bookeo.dlq.destination',
  failedAt: 'bookeo.dlq.failed.at',
});

/** Where a record failed: it could not be decoded from Avro, or the destination refused it. */
export type DeadLetterStage = 'decode' | 'write';

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

/** Kafka headers values are bytes; a message over this is cut so one huge error never makes the DLQ record too large. */
const MAX_MESSAGE_CHARS = 4_000;

export function buildDeadLetterHeaders(cause: DeadLetterCause, now: Date): Record<string, string> {
  const error = cause.error;
  const errorClass = error instanceof Error ? error.name : typeof error;
  const message = error instanceof Error ? error.message : String(error);
  const headers: Record<string, string> = {
    [DLQ_HEADER.topic]: cause.topic,
    [DLQ_HEADER.partition]: String(cause.partition),
    [DLQ_HEADER.offset]: String(cause.offset),
    [DLQ_HEADER.stage]: cause.stage,
    [DLQ_HEADER.errorClass]: errorClass,
    [DLQ_HEADER.errorMessage]: message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS)}…` : message,
    [DLQ_HEADER.destination]: cause.destination,
    [DLQ_HEADER.failedAt]: now.toISOString(),
  };
  if (cause.schemaId !== undefined) headers[DLQ_HEADER.schemaId] = String(cause.schemaId);
  return headers;
}

/** The original headers of a record without our DLQ headers (what a redrive sends back). */
export function originalHeaders(headers: IHeaders | undefined): IHeaders {
  const names = new Set<string>(Object.values(DLQ_HEADER));
  return Object.fromEntries(Object.entries(headers ?? {}).filter(([name]) => !names.has(name)));
}

/** The DLQ topic of a sink when the configuration names none. */
export function defaultDeadLetterTopic(destinationName: string): string {
  return `bookeo-connect.dlq.sink-${destinationName}`;
}

export class DeadLetterError extends ConnectError {}

export interface DeadLetterReporter {
  readonly topic: string;
  /** Resolves once the DLQ record is acknowledged by all in-sync replicas. */
  report(message: Pick<KafkaMessage, 'key' | 'value' | 'headers'>, cause: DeadLetterCause): Promise<void>;
  close(): Promise<void>;
}

export async function createDeadLetterReporter(kafka: Kafka, topic: string, clock: () => Date = () => new Date()): Promise<DeadLetterReporter> {
  // Idempotent: a retried send inside the producer does not duplicate the dead letter.
  const producer: Producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  return {
    topic,
    async report(message, cause) {
      try {
        await producer.send({
          topic,
          acks: -1,
          messages: [{ key: message.key, value: message.value, headers: { ...originalHeaders(message.headers), ...buildDeadLetterHeaders(cause, clock()) } }],
        });
      } catch (error) {
        throw new DeadLetterError(`could not dead-letter ${cause.topic}/${cause.partition}@${cause.offset} to ${topic}`, {
          cause: error,
          retriable: (error as { retriable?: boolean }).retriable === true,
        });
      }
    },
    close: () => producer.disconnect(),
  };
}
