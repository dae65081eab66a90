/**
 * Reading framed Avro: any message whose schema id is in the registry decodes, whatever version
 * wrote it. Parsed avsc types are cached by id (ids are immutable), and concurrent first reads of
 * one id share a single registry request.
 */
import avsc from 'avsc';
import type { SchemaRegistry } from './registry.js';
import type { AvroType } from './schema-json.js';
import { WireFormatError, unframe } from './wire.js';

export interface Decoded {
  readonly schemaId: number;
  /** The writer schema as JSON, logical types included (decimal scale, timestamp-millis...). */
  readonly schema: AvroType;
  readonly type: avsc.Type;
  /** Raw Avro values: timestamps as epoch millis, dates as days, decimals as Buffers (see logical.ts decimalText). */
  readonly value: unknown;
}

export interface AvroDecoder {
  decode(message: Buffer): Promise<Decoded>;
  /** The parsed writer schema of an id (fetched once). */
  schemaFor(schemaId: number): Promise<{ schema: AvroType; type: avsc.Type }>;
}

/** avsc parse of a schema JSON; logical types stay their underlying types (long, int, bytes). */
export function avroTypeOf(schema: AvroType): avsc.Type {
  return avsc.Type.forSchema(schema as avsc.Schema);
}

export function createAvroDecoder(registry: SchemaRegistry): AvroDecoder {
  const types = new Map<number, Promise<{ schema: AvroType; type: avsc.Type }>>();
  const schemaFor = (schemaId: number): Promise<{ schema: AvroType; type: avsc.Type }> => {
    let entry = types.get(schemaId);
    if (entry === undefined) {
      entry = registry.schemaById(schemaId).then((schema) => ({ schema, type: avroTypeOf(schema) }));
      entry.catch(() => types.delete(schemaId));
      types.set(schemaId, entry);
    }
    return entry;
  };
  return {
    schemaFor,
    async decode(message) {
      const { schemaId, body } = unframe(message);
      const { schema, type } = await schemaFor(schemaId);
      let value: unknown;
      try {
        value = type.fromBuffer(body);
      } catch (error) {
        throw new WireFormatError(`message with schema id ${schemaId} does not decode with that schema: ${(error as Error).message}`);
      }
      return { schemaId, schema, type, value };
    },
  };
}
