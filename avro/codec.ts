/**
 * Reading framed Avro: any message whose schema id is in the registry decodes, whatever version
 * wrote it. Parsed avsc types are cached by id (ids are immutable), and concurrent first reads of
 * one id share a single registry request. This is the one decoder of the project: the sinks use it
 * with `decimalsAsText`, and add resolution into a newer reader schema on top.
 */
import avsc from 'avsc';
import { decimalText } from './logical.js';
import type { SchemaRegistry } from './registry.js';
import type { AvroType } from './schema-json.js';
import { WireFormatError, unframe } from './wire.js';

export interface Decoded {
  readonly schemaId: number;
  /** The writer schema as JSON, logical types included (decimal scale, timestamp-millis...). */
  readonly schema: AvroType;
  readonly type: avsc.Type;
  /** Timestamps as epoch millis, dates as days, decimals as Buffers (or exact text with `decimalsAsText`). */
  readonly value: unknown;
}

export interface AvroDecoderOptions {
  /** Decode `decimal` logical types to exact decimal text (e.g. "12.5000") instead of Buffers. */
  readonly decimalsAsText?: boolean;
}

export interface AvroDecoder {
  decode(message: Buffer): Promise<Decoded>;
  /** The parsed writer schema of an id (fetched once). */
  schemaFor(schemaId: number): Promise<{ schema: AvroType; type: avsc.Type }>;
  /** The parsed writer schema of an id already fetched, without waiting (a record's hot path). */
  cachedSchema(schemaId: number): { schema: AvroType; type: avsc.Type } | undefined;
}

/** avsc parse of a schema JSON; logical types stay their underlying types (long, int, bytes). */
export function avroTypeOf(schema: AvroType): avsc.Type {
  return avsc.Type.forSchema(schema as avsc.Schema);
}

/** avsc reads `bytes` decimals as Buffers; destinations want exact decimal text. */
class DecimalText extends avsc.types.LogicalType {
  private readonly scale: number;
  constructor(schema: avsc.Schema, options?: unknown) {
    super(schema, options);
    this.scale = Number((schema as { scale?: number }).scale ?? 0);
  }
  protected override _fromValue(value: Buffer): string {
    return decimalText(value, this.scale);
  }
  protected override _toValue(value: unknown): unknown {
    // Decoding only; encoding belongs to the source (logical.ts decimalBytes).
    return value;
  }
  protected override _resolve(type: avsc.Type): ((value: unknown) => unknown) | undefined {
    return avsc.Type.isType(type, 'logical:decimal') || type.typeName === 'bytes' ? (value) => value : undefined;
  }
}

/** avsc parse of a schema JSON as the decoder reads it (with `decimalsAsText`: decimals as exact text). */
export function parseAvroSchema(schema: AvroType, options: AvroDecoderOptions = {}): avsc.Type {
  // Fresh options per parse: avsc stores its named-type registry in the options object it is given.
  return options.decimalsAsText === true
    ? avsc.Type.forSchema(
        schema as avsc.Schema,
        { logicalTypes: { decimal: DecimalText } } as unknown as Partial<avsc.ForSchemaOptions>,
      )
    : avroTypeOf(schema);
}

export function createAvroDecoder(registry: SchemaRegistry, options: AvroDecoderOptions = {}): AvroDecoder {
  const parse = (schema: AvroType): avsc.Type => parseAvroSchema(schema, options);
  const types = new Map<number, Promise<{ schema: AvroType; type: avsc.Type }>>();
  const ready = new Map<number, { schema: AvroType; type: avsc.Type }>();
  const schemaFor = (schemaId: number): Promise<{ schema: AvroType; type: avsc.Type }> => {
    let entry = types.get(schemaId);
    if (entry === undefined) {
      entry = registry.schemaById(schemaId).then((schema) => {
        const parsed = { schema, type: parse(schema) };
        ready.set(schemaId, parsed);
        return parsed;
      });
      entry.catch(() => types.delete(schemaId));
      types.set(schemaId, entry);
    }
    return entry;
  };
  return {
    schemaFor,
    cachedSchema: (schemaId) => ready.get(schemaId),
    async decode(message) {
      const { schemaId, body } = unframe(message);
      const { schema, type } = await schemaFor(schemaId);
      let value: unknown;
      try {
        value = type.fromBuffer(body);
      } catch (error) {
        throw new WireFormatError(
          `message with schema id ${schemaId} does not decode with that schema: ${(error as Error).message}`,
        );
      }
      return { schemaId, schema, type, value };
    },
  };
}
