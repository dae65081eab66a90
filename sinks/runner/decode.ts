/**
 * Turns one Kafka record into what a batch carries: an upsert, a delete (tombstone) or a dead
 * letter (bytes that cannot be read). The key is decoded here; the value's Confluent framing is
 * unwrapped (once: the entry keeps the body) and its writer schema fetched from the registry by id
 * (any version; cached by id). The body is read by the destination when the batch is written: a
 * queued batch holds the Avro bytes, about a tenth of the decoded objects' size. A body that does
 * not decode is dead-lettered at write time.
 * A registry that is unreachable is a retriable failure and is retried, never dead-lettered: only
 * records that are wrong in themselves go to the DLQ.
 */
import { unframe } from '../../avro/wire.js';
import type { ConsumedMessage } from '../../kafka/consumer.js';
import { RetriesExhaustedError, isRetriable } from '../../common/errors.js';
import type { Retrier } from '../../common/retry.js';
import type { ResolvedSchema } from '../destination.js';

/**
 * The narrow part of the Avro registry wrapper the runner needs (avro/registry.ts is adapted to it
 * where the command wires things). Schemas are plain Avro JSON; values follow the decoding rules in
 * sinks/destination.ts.
 */
export interface RecordDecoder {
  decodeKey(buffer: Buffer): Promise<DecodedAvro>;
  /** decodeKey without waiting, when the key's schema is already known; undefined when it must be fetched first. */
  decodeKeyNow(buffer: Buffer): DecodedAvro | undefined;
  /** The value schema registered under an id (one object per id). */
  schemaOf(schemaId: number): Promise<RegisteredSchema>;
  /** schemaOf without waiting, when it is already known; undefined when it must be fetched first. */
  schemaOfNow(schemaId: number): RegisteredSchema | undefined;
  /**
   * The schema a batch of `table` is written in: this value version, with the table spec described
   * from it and the key's schema (cached); `maxNewFields`: the resource's drift cap (drift-policy.ts).
   */
  resolve(
    table: string,
    key: RegisteredSchema,
    value: RegisteredSchema,
    maxNewFields?: number,
  ): Promise<ResolvedSchema>;
  /** The newest key and value schemas of a topic (`<topic>-key`, `<topic>-value`): for batches of tombstones only, and rebuilds. */
  latestSchemas(topic: string): Promise<{ readonly key: RegisteredSchema; readonly value: RegisteredSchema }>;
}

export interface RegisteredSchema {
  readonly schemaId: number;
  readonly schema: unknown;
}

export interface DecodedAvro {
  readonly schemaId: number;
  readonly schema: unknown;
  readonly value: unknown;
}

interface EntryBase {
  readonly offset: number;
  /** The Kafka record as read, kept for the DLQ (a write can still fail after decoding). */
  readonly message: ConsumedMessage;
}

export type SinkEntry =
  | (EntryBase & {
      readonly kind: 'upsert';
      readonly key: DecodedAvro;
      readonly value: RegisteredSchema;
      readonly body: Buffer;
    })
  | (EntryBase & { readonly kind: 'delete'; readonly key: DecodedAvro })
  | (EntryBase & { readonly kind: 'dead'; readonly schemaId: number | undefined; readonly error: unknown });

/** Bytes the batcher counts for a record: key + value as they came from Kafka (deterministic across re-deliveries). */
export function messageBytes(message: ConsumedMessage): number {
  return (message.key?.length ?? 0) + (message.value?.length ?? 0);
}

/** The schema id of Confluent wire-format bytes, when they look like it (for DLQ headers of undecodable records). */
export function wireSchemaId(buffer: Buffer | null): number | undefined {
  return buffer !== null && buffer.length >= 5 && buffer[0] === 0 ? buffer.readInt32BE(1) : undefined;
}

/**
 * The entry of a record whose schemas are already known, built without waiting (no promise per
 * record: the common case once a topic's versions are cached); undefined when a schema must be
 * fetched first, which `decodeEntry` does, with retries, before building it here.
 */
export function decodeEntryNow(decoder: RecordDecoder, message: ConsumedMessage): SinkEntry | undefined {
  const offset = Number(message.offset);
  try {
    if (message.key === null) throw new KeylessRecordError();
    const key = decoder.decodeKeyNow(message.key);
    if (key === undefined) return undefined;
    if (message.value === null) return { kind: 'delete', offset, message, key };
    const { schemaId, body } = unframe(message.value);
    const value = decoder.schemaOfNow(schemaId);
    return value === undefined ? undefined : { kind: 'upsert', offset, message, key, value, body };
  } catch (error) {
    // Nothing here does I/O, so a failure is the record's own; the slow path classifies anything else.
    if (isRetriable(error)) return undefined;
    return deadEntry(message, offset, error);
  }
}

/** decodeEntryNow after fetching the record's schemas from the registry (retried while it is unreachable). */
export async function decodeEntry(
  decoder: RecordDecoder,
  message: ConsumedMessage,
  retry: Retrier,
  signal?: AbortSignal,
  onRetry?: () => void,
): Promise<SinkEntry> {
  const offset = Number(message.offset);
  try {
    await retry(
      async () => {
        if (message.key !== null) await decoder.decodeKey(message.key);
        if (message.value !== null) await decoder.schemaOf(unframe(message.value).schemaId);
      },
      { operation: `decode offset ${offset}`, ...(signal ? { signal } : {}), ...(onRetry ? { onRetry } : {}) },
    );
  } catch (error) {
    // Retries exhausted on a retriable failure is an outage, not a bad record; an abort is a shutdown.
    if (isRetriable(error) || error instanceof RetriesExhaustedError || signal?.aborted === true) throw error;
    return deadEntry(message, offset, error);
  }
  const entry = decodeEntryNow(decoder, message);
  if (entry === undefined) throw new Error(`offset ${offset}: the record's schemas were fetched but are not cached`);
  return entry;
}

function deadEntry(message: ConsumedMessage, offset: number, error: unknown): SinkEntry {
  return { kind: 'dead', offset, message, schemaId: wireSchemaId(message.value), error };
}

/** Every resource topic is keyed by (account, id); a record without a key cannot be placed in a table. */
export class KeylessRecordError extends Error {
  constructor() {
    super('record has no key; resource topics are keyed by {account, id}');
    this.name = 'KeylessRecordError';
  }
}
