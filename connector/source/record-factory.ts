/**
 * Turns entities into Kafka records for one resource of one account: key (Avro {account, id}),
 * value (Avro, schema evolved on drift), tombstones, and the headers every record carries.
 * A record that cannot be made to fit its schema becomes a dead-letter record with the reason, in
 * the same transaction as the rest, so it is never silently dropped and never blocks the others.
 *
 * Headers (UTF-8 strings), four and no more: every header costs each producer and each consumer a
 * few microseconds per record (kafkajs encodes and decodes them one object at a time), which at
 * hundreds of thousands of records is a large share of both sides' work.
 *   bookeo.resource         the resource (as the topic says, kept for consumers of mixed streams)
 *   bookeo.fetched-at       when the page was fetched (ISO 8601, UTC)
 *   bookeo.request          the query that found it: a window `start/end`, `full`, `created-since:<t>`, `parent:<id>`
 *   bookeo.idempotency-key  `<account>/<resource>/<id>@<version>`, the version being the sha1 of the
 *                           canonical JSON as Bookeo sent it (`deleted` for a tombstone): equal for
 *                           equal versions, unique across accounts and resources, and readable, so
 *                           the published state (change detection, reconcile) is rebuilt from the
 *                           headers alone without decoding keys.
 */
import { AvroRecordError } from '../../avro/errors.js';
import type { TopicSerializer } from '../../avro/topic-serializer.js';
import type { OutgoingRecord } from '../kafka/transactional-writer.js';

export const HEADER = Object.freeze({
  resource: 'bookeo.resource',
  fetchedAt: 'bookeo.fetched-at',
  request: 'bookeo.request',
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

export function createRecordFactory(options: { account: string; resource: string; serializer: TopicSerializer; deadLetterTopic: string }): RecordFactory {
  const { account, resource, serializer, deadLetterTopic } = options;
  const deadLetter = (input: DeadLetterInput): BuiltRecord => {
    const value = Buffer.from(JSON.stringify(input.value) ?? 'null');
    const record: OutgoingRecord = {
      topic: deadLetterTopic,
      key: `${account}/${resource}/${input.id}`,
      value,
      headers: {
        [HEADER.resource]: resource,
        [HEADER.fetchedAt]: input.fetchedAt,
        [HEADER.request]: input.request,
        [HEADER.dlqReason]: input.reason,
        [HEADER.dlqErrorClass]: input.errorClass,
        [HEADER.dlqTopic]: serializer.topic,
      },
    };
    return { kind: 'dead_letter', record, bytes: value.length, reason: input.reason };
  };
  return {
    topic: serializer.topic,
    deadLetter,
    async upsert(input) {
      const headers = {
        [HEADER.resource]: resource,
        [HEADER.fetchedAt]: input.fetchedAt,
        [HEADER.request]: input.request,
        [HEADER.idempotencyKey]: idempotencyKey({ account, resource, id: input.id, version: input.contentHash }),
      };
      try {
        const key = serializer.serializeKey(account, input.id);
        const value = await serializer.serializeValue(input.entity);
        return { kind: 'upsert', record: { topic: serializer.topic, key, value, headers }, bytes: key.length + value.length };
      } catch (error) {
        if (!(error instanceof AvroRecordError)) throw error;
        // The original JSON goes to the DLQ untouched, so a fix can redrive it.
        return deadLetter({ id: input.id, value: input.entity, reason: error.reason, errorClass: error.name, request: input.request, fetchedAt: input.fetchedAt });
      }
    },
    tombstone(id, request, fetchedAt) {
      return {
        topic: serializer.topic,
        key: serializer.serializeKey(account, id),
        value: null,
        headers: { [HEADER.resource]: resource, [HEADER.fetchedAt]: fetchedAt, [HEADER.request]: request, [HEADER.idempotencyKey]: idempotencyKey({ account, resource, id, version: DELETED }) },
      };
    },
  };
}

/** The version of a tombstone in its idempotency key. */
export const DELETED = 'deleted';

/** What an idempotency key names: an entity of an account and resource, at a version (content hash, or DELETED). */
export interface EntityVersion {
  readonly account: string;
  readonly resource: string;
  readonly id: string;
  readonly version: string;
}

export function idempotencyKey(entity: EntityVersion): string {
  return `${entity.account}/${entity.resource}/${entity.id}@${entity.version}`;
}

/**
 * The parts of an idempotency key, or undefined for text that is not one. Unambiguous whatever the
 * id holds: account ids and resource names contain no `/` (config and catalog say so), and the
 * version (hex or `deleted`) no `@`.
 */
export function parseIdempotencyKey(text: string | undefined): EntityVersion | undefined {
  if (text === undefined) return undefined;
  const accountEnd = text.indexOf('/');
  const resourceEnd = text.indexOf('/', accountEnd + 1);
  const versionStart = text.lastIndexOf('@');
  if (accountEnd <= 0 || resourceEnd <= accountEnd + 1 || versionStart <= resourceEnd + 1 || versionStart === text.length - 1) return undefined;
  return { account: text.slice(0, accountEnd), resource: text.slice(accountEnd + 1, resourceEnd), id: text.slice(resourceEnd + 1, versionStart), version: text.slice(versionStart + 1) };
}
