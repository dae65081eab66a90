/**
 * Turns entities into Kafka records for one resource of one account: key (Avro {account, id}),
 * value (Avro, schema evolved on drift), tombstones, and the headers every record carries.
 * A record that cannot be made to fit its schema becomes a dead-letter record with the reason, in
 * the same transaction as the rest, so it is never silently dropped and never blocks the others.
 *
 * Headers (UTF-8 strings):
 *   bookeo.account, bookeo.resource   where the record comes from
 *   bookeo.id                         the entity id (as in the key), readable without the key schema
 *   bookeo.fetched-at                 when the page was fetched (ISO 8601, UTC)
 *   bookeo.request                    the query that found it: a window `start/end`, `full`, `created-since:<t>`, `parent:<id>`
 *   bookeo.content-hash               sha1 of the canonical JSON as Bookeo sent it (change detection state)
 *   bookeo.idempotency-key            sha1(account, resource, id, content-hash): equal for equal versions
 */
import { hash } from 'node:crypto';
import { AvroRecordError } from '../../avro/errors.js';
import type { TopicSerializer } from '../../avro/topic-serializer.js';
import type { OutgoingRecord } from '../kafka/transactional-writer.js';

export const HEADER = Object.freeze({
  account: 'bookeo.account',
  resource: 'bookeo.resource',
  fetchedAt: 'bookeo.fetched-at',
  request: 'bookeo.request',
  id: 'bookeo.id',
  contentHash: 'bookeo.content-hash',
  idempotencyKey: 'bookeo.idempotency-key',
  dlqReason: 'dlq.reason',
  dlqErrorClass: 'dlq.error-class',
  dlqTopic: 'dlq.topic',
});

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

export interface RecordFactory {
  readonly topic: string;
  upsert(input: EntityRecordInput): Promise<BuiltRecord>;
  tombstone(id: string, request: string, fetchedAt: string): OutgoingRecord;
}

export function createRecordFactory(options: { account: string; resource: string; serializer: TopicSerializer; deadLetterTopic: string }): RecordFactory {
  const { account, resource, serializer, deadLetterTopic } = options;
  const baseHeaders = { [HEADER.account]: account, [HEADER.resource]: resource };

  return {
    topic: serializer.topic,
    async upsert(input) {
      const headers = {
        ...baseHeaders,
        [HEADER.id]: input.id,
        [HEADER.fetchedAt]: input.fetchedAt,
        [HEADER.request]: input.request,
        [HEADER.contentHash]: input.contentHash,
        [HEADER.idempotencyKey]: idempotencyKey(account, resource, input.id, input.contentHash),
      };
      try {
        const key = serializer.serializeKey(account, input.id);
        const value = await serializer.serializeValue(input.entity);
        return { kind: 'upsert', record: { topic: serializer.topic, key, value, headers }, bytes: key.length + value.length };
      } catch (error) {
        if (!(error instanceof AvroRecordError)) throw error;
        // The original JSON goes to the DLQ untouched, so a fix can redrive it.
        const value = Buffer.from(JSON.stringify(input.entity));
        const record: OutgoingRecord = {
          topic: deadLetterTopic,
          key: `${account}/${resource}/${input.id}`,
          value,
          headers: { ...headers, [HEADER.dlqReason]: error.reason, [HEADER.dlqErrorClass]: error.name, [HEADER.dlqTopic]: serializer.topic },
        };
        return { kind: 'dead_letter', record, bytes: value.length, reason: error.reason };
      }
    },
    tombstone(id, request, fetchedAt) {
      return {
        topic: serializer.topic,
        key: serializer.serializeKey(account, id),
        value: null,
        headers: { ...baseHeaders, [HEADER.id]: id, [HEADER.fetchedAt]: fetchedAt, [HEADER.request]: request, [HEADER.idempotencyKey]: idempotencyKey(account, resource, id, 'deleted') },
      };
    },
  };
}

function idempotencyKey(account: string, resource: string, id: string, version: string): string {
  return hash('sha1', `${account}\u0000${resource}\u0000${id}\u0000${version}`);
}
