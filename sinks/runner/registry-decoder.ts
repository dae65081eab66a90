/**
 * RecordDecoder over the project's registry client (avro/registry.ts) and wire framing
 * (avro/wire.ts): the schema id in the bytes names the writer's schema (any version, fetched once
 * per id), avsc reads the body, and values come out as sinks/destination.ts describes (decimals as
 * exact text, timestamps and dates as numbers). Resolution into a newer reader schema uses avsc's
 * resolver, cached per (writer, reader) pair.
 */
import avsc from 'avsc';
import type { SchemaRegistry } from '../../avro/registry.js';
import { subjectsOf } from '../../avro/registry.js';
import { decimalText } from '../../avro/logical.js';
import { unframe } from '../../avro/wire.js';
import { SchemaRegistryError } from '../../avro/errors.js';
import type { DecodedAvro, LatestSchema, RecordDecoder } from './decode.js';

/** avsc reads `bytes`/`fixed` decimals as Buffers; the destinations want exact decimal text. */
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
    // Decoding only; encoding belongs to the source (avro/logical.ts decimalBytes).
    return value;
  }
  protected override _resolve(type: avsc.Type): ((value: unknown) => unknown) | undefined {
    return avsc.Type.isType(type, 'logical:decimal') || type.typeName === 'bytes' ? (value) => value : undefined;
  }
}

/** Fresh options per parse: avsc stores its named-type registry in the options object it is given. */
function typeOptions(): Partial<avsc.ForSchemaOptions> {
  return { logicalTypes: { decimal: DecimalText } } as unknown as Partial<avsc.ForSchemaOptions>;
}

export function createRegistryDecoder(registry: SchemaRegistry): RecordDecoder {
  const types = new Map<number, Promise<{ schema: unknown; type: avsc.Type }>>();
  const resolvers = new Map<string, avsc.Resolver>();

  function typeOf(schemaId: number): Promise<{ schema: unknown; type: avsc.Type }> {
    let found = types.get(schemaId);
    if (found === undefined) {
      found = registry.schemaById(schemaId).then((schema) => ({ schema, type: avsc.Type.forSchema(schema as avsc.Schema, typeOptions()) }));
      found.catch(() => types.delete(schemaId));
      types.set(schemaId, found);
    }
    return found;
  }

  async function decode(buffer: Buffer, readerSchemaId?: number): Promise<DecodedAvro> {
    const { schemaId, body } = unframe(buffer);
    const writer = await typeOf(schemaId);
    if (readerSchemaId === undefined || readerSchemaId === schemaId) return { schemaId, schema: writer.schema, value: writer.type.fromBuffer(body) };
    const reader = await typeOf(readerSchemaId);
    const cacheKey = `${schemaId}>${readerSchemaId}`;
    let resolver = resolvers.get(cacheKey);
    if (resolver === undefined) resolvers.set(cacheKey, (resolver = reader.type.createResolver(writer.type)));
    return { schemaId: readerSchemaId, schema: reader.schema, value: reader.type.fromBuffer(body, resolver) };
  }

  return {
    decodeKey: (buffer) => decode(buffer),
    decodeValue: decode,
    async latestSchemas(topic) {
      const latest = async (subject: string): Promise<LatestSchema> => {
        const found = await registry.latest(subject);
        if (found === undefined) throw new SchemaRegistryError(`no schema registered under ${subject}`, { subject, retriable: false });
        return { schemaId: found.id, schema: found.schema };
      };
      const subjects = subjectsOf(topic);
      return { key: await latest(subjects.key), value: await latest(subjects.value) };
    },
  };
}
