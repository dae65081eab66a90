/**
 * Avro bodies → record values, one at a time, for destinations that take a batch still in Avro
 * (`writeAvro`) and turn each record into their own form as they go: the decoded objects of a
 * booking (tens of kilobytes of JS objects) then live for one row, not for a whole batch. Values
 * are decoded as the runner decodes them (avro/codec.ts, decimals as exact text).
 */
import type avsc from 'avsc';
import { parseAvroSchema } from '../avro/codec.js';
import type { AvroType } from '../avro/schema-json.js';
import type { AvroSinkRecord, AvroWriteBatch, SinkRecord } from './destination.js';
import { DestinationError } from './errors.js';

/** Parsed once per schema object (the runner hands over the registry decoder's cached one, so once per version). */
const types = new WeakMap<object, avsc.Type>();

export function avroValueType(schema: unknown): avsc.Type {
  let type = types.get(schema as object);
  if (type === undefined) types.set(schema as object, (type = parseAvroSchema(schema as AvroType, { decimalsAsText: true })));
  return type;
}

/** One body's value; a body that does not decode is `bad-data` naming the offset. */
export function decodeAvroValue(type: avsc.Type, body: Buffer, table: string, offset: number): Record<string, unknown> {
  try {
    return type.fromBuffer(body) as Record<string, unknown>;
  } catch (error) {
    throw new DestinationError(`table ${table}, offset ${offset}: the value does not decode: ${(error as Error).message}`, { reason: 'bad-data', table, cause: error });
  }
}

/** Turns each record of a batch still in Avro into the record `write` would have been given (a tombstone stays a null value), decoding its value only when called. */
export function avroRecordDecoder(batch: AvroWriteBatch): (record: AvroSinkRecord) => SinkRecord {
  const type = avroValueType(batch.valueSchema);
  const table = batch.table.name;
  return ({ key, body, offset, schemaId }) => ({ key, value: body === null ? null : decodeAvroValue(type, body, table, offset), offset, schemaId });
}
