/**
 * What an entity converts to for a schema, as a value to look at: the source's writer
 * (avro/convert.ts) writes it, and avsc reads the bytes back.
 */
import { avroTypeOf } from '../../avro/codec.js';
import { createValueWriter, type ConvertContext } from '../../avro/convert.js';
import type { AvroRecord } from '../../avro/schema-json.js';
import { HEADER_SIZE } from '../../avro/wire.js';

export type Converter = (entity: unknown, context?: ConvertContext) => Record<string, unknown>;

export function createConverter(schema: AvroRecord, rootPath: string): Converter {
  const writer = createValueWriter(schema, rootPath);
  const type = avroTypeOf(schema);
  return (entity, context) =>
    type.fromBuffer(writer.encode(entity, 0, context).subarray(HEADER_SIZE)) as Record<string, unknown>;
}
