/**
 * A batch's Avro records → decoded records, one at a time, for destinations that turn each record
 * into their own row form as they go (DuckDB chunks, PostgreSQL COPY text): the decoded objects of a
 * booking (tens of kilobytes of JS objects) then live for one row, not for a whole batch. Values
 * are read into the batch's version by its resolved schema (the registry decoder's).
 */
import { WireFormatError } from '../avro/wire.js';
import type { AvroSinkRecord, ResolvedSchema, SinkRecord } from './destination.js';

/** The record as rows.ts reads it (a tombstone stays a null value); a body that does not decode throws a WireFormatError. */
export function recordDecoder(schema: ResolvedSchema): (record: AvroSinkRecord) => SinkRecord {
  return (record) => ({
    key: record.key,
    value: record.body === null ? null : schema.decode(record.body, record.schemaId),
    offset: record.offset,
    schemaId: record.schemaId,
  });
}

/** The error of a body that does not decode with its writer's schema: the record's own fault, dead-lettered with stage `decode`. */
export function undecodableBody(schemaId: number, error: unknown): WireFormatError {
  return new WireFormatError(
    `message with schema id ${schemaId} does not decode with that schema: ${(error as Error).message}`,
  );
}
