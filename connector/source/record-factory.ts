/**
 * Turns entities into Kafka records for one resource of one account: key (Avro {account, id}),
 * value (Avro, schema evolved on drift), tombstones, and the headers every record carries
 * (contract/headers.ts, the idempotency key of contract/idempotency-key.ts).
 * A record that cannot be made to fit its schema becomes a dead-letter record with the reason
 * (contract/dead-letter-headers.ts), in the same transaction as the rest, so it is never silently
 * dropped and never blocks the others.
 */
import { AvroRecordError } from '../../avro/errors.js';
import type { TopicSerializer } from '../../avro/topic-serializer.js';
import { deadLetterHeaders } from '../../contract/dead-letter-headers.js';
import { RECORD_HEADER } from '../../contract/headers.js';
import { DELETED, idempotencyKey } from '../../contract/idempotency-key.js';
import type { OutgoingRecord } from '../../kafka/records.js';

export interface EntityRecordInput {
  readonly id: string;
  readonly entity: Record<string, unknown>;
  readonly contentHash: string;
  readonly request: string;
  readonly fetchedAt: string;
}

export type BuiltRecord =
  | { readonly kind: 'upsert'; readonly record: OutgoingRecord; readonly bytes: number }
  | { readonly kind: 'dead_letter'; readonly record: OutgoingRecord; readonly bytes: number; readonly reason: string };

/** Something of this resource that could not be published: an entity, or a parent's children that could not be read. */
export interface DeadLetterInput {
  /** The entity's id (`?<hash>` when it has none), or the parent's id for its children. */
  readonly id: string;
  /** What a human needs to redo it: the entity's JSON as Bookeo sent it, or a description of the failed call. */
  readonly value: unknown;
  readonly reason: string;
  readonly errorClass: string;
  readonly request: string;
  readonly fetchedAt: string;
}

export interface RecordFactory {
  readonly topic: string;
  upsert(input: EntityRecordInput): Promise<BuiltRecord>;
  tombstone(id: string, request: string, fetchedAt: string): OutgoingRecord;
  /** A record for the dead-letter topic, with the reason, error class and the topic it was meant for. */
  deadLetter(input: DeadLetterInput): BuiltRecord;
}

export function createRecordFactory(options: {
  account: string;
  resource: string;
  serializer: TopicSerializer;
  deadLetterTopic: string;
}): RecordFactory {
  const { account, resource, serializer, deadLetterTopic } = options;
  const deadLetter = (input: DeadLetterInput): BuiltRecord => {
    const value = Buffer.from(JSON.stringify(input.value) ?? 'null');
    const record: OutgoingRecord = {
      topic: deadLetterTopic,
      key: `${account}/${resource}/${input.id}`,
      value,
      headers: {
        [RECORD_HEADER.resource]: resource,
        [RECORD_HEADER.fetchedAt]: input.fetchedAt,
        [RECORD_HEADER.request]: input.request,
        ...deadLetterHeaders({ topic: serializer.topic, errorClass: input.errorClass, errorMessage: input.reason }),
      },
    };
    return { kind: 'dead_letter', record, bytes: value.length, reason: input.reason };
  };
  return {
    topic: serializer.topic,
    deadLetter,
    async upsert(input) {
      const headers = {
        [RECORD_HEADER.resource]: resource,
        [RECORD_HEADER.fetchedAt]: input.fetchedAt,
        [RECORD_HEADER.request]: input.request,
        [RECORD_HEADER.idempotencyKey]: idempotencyKey({ account, resource, id: input.id, version: input.contentHash }),
      };
      try {
        const key = serializer.serializeKey(account, input.id);
        const value = await serializer.serializeValue(input.entity);
        return {
          kind: 'upsert',
          record: { topic: serializer.topic, key, value, headers },
          bytes: key.length + value.length,
        };
      } catch (error) {
        if (!(error instanceof AvroRecordError)) throw error;
        // The original JSON goes to the DLQ untouched, so a fix can redrive it.
        return deadLetter({
          id: input.id,
          value: input.entity,
          reason: error.reason,
          errorClass: error.name,
          request: input.request,
          fetchedAt: input.fetchedAt,
        });
      }
    },
    tombstone(id, request, fetchedAt) {
      return {
        topic: serializer.topic,
        key: serializer.serializeKey(account, id),
        value: null,
        headers: {
          [RECORD_HEADER.resource]: resource,
          [RECORD_HEADER.fetchedAt]: fetchedAt,
          [RECORD_HEADER.request]: request,
          [RECORD_HEADER.idempotencyKey]: idempotencyKey({ account, resource, id, version: DELETED }),
        },
      };
    },
  };
}
