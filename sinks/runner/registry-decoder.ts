/**
 * The sinks' RecordDecoder over the project's one Avro decoder (avro/codec.ts, decimals as exact
 * text, writer schemas fetched once per id): adds resolution into a newer reader schema (avsc's
 * resolver, cached per writer/reader pair) and the latest key/value schemas of a topic.
 */
import type avsc from 'avsc';
import { createAvroDecoder } from '../../avro/codec.js';
import { SchemaRegistryError } from '../../avro/errors.js';
import { subjectsOf, type SchemaRegistry } from '../../avro/registry.js';
import { WireFormatError, schemaIdOf, unframe } from '../../avro/wire.js';
import type { DecodedAvro, RegisteredSchema, RecordDecoder } from './decode.js';

export function createRegistryDecoder(registry: SchemaRegistry): RecordDecoder {
  const avro = createAvroDecoder(registry, { decimalsAsText: true });
  const resolvers = new Map<string, avsc.Resolver>();
  const registered = new Map<number, RegisteredSchema>();

  async function decode(buffer: Buffer, readerSchemaId?: number): Promise<DecodedAvro> {
    if (readerSchemaId === undefined) {
      const { schemaId, schema, value } = await avro.decode(buffer);
      return { schemaId, schema, value };
    }
    const { schemaId, body } = unframe(buffer);
    const writer = await avro.schemaFor(schemaId);
    const reader = await avro.schemaFor(readerSchemaId);
    if (readerSchemaId === schemaId) return { schemaId, schema: writer.schema, value: decodeBody(writer.type, body, schemaId) };
    const cacheKey = `${schemaId}>${readerSchemaId}`;
    let resolver = resolvers.get(cacheKey);
    if (resolver === undefined) resolvers.set(cacheKey, (resolver = reader.type.createResolver(writer.type)));
    return { schemaId: readerSchemaId, schema: reader.schema, value: decodeBody(reader.type, body, schemaId, resolver) };
  }

  return {
    decodeKey: (buffer) => decode(buffer),
    decodeKeyNow(buffer) {
      const { schemaId, body } = unframe(buffer);
      const writer = avro.cachedSchema(schemaId);
      return writer === undefined ? undefined : { schemaId, schema: writer.schema, value: decodeBody(writer.type, body, schemaId) };
    },
    decodeValue: decode,
    async schemaOf(buffer) {
      const schemaId = schemaIdOf(buffer);
      let found = registered.get(schemaId);
      // One object per id, shared by every entry of that version (entries are held until written).
      if (found === undefined) registered.set(schemaId, (found = { schemaId, schema: (await avro.schemaFor(schemaId)).schema }));
      return found;
    },
    schemaOfNow: (buffer) => registered.get(schemaIdOf(buffer)),
    async latestSchemas(topic) {
      const latest = async (subject: string): Promise<RegisteredSchema> => {
        const found = await registry.latest(subject);
        // The topic holds records, so its subjects exist: a registry that knows none is still loading
        // its storage after a restart (Apicurio replays it from Kafka). Retried with the write; a
        // subject that stays missing fails the sink once the retries run out.
        if (found === undefined) throw new SchemaRegistryError(`no schema registered under ${subject}`, { subject, retriable: true });
        return { schemaId: found.id, schema: found.schema };
      };
      const subjects = subjectsOf(topic);
      return { key: await latest(subjects.key), value: await latest(subjects.value) };
    },
  };
}

function decodeBody(type: avsc.Type, body: Buffer, schemaId: number, resolver?: avsc.Resolver): unknown {
  try {
    return type.fromBuffer(body, resolver);
  } catch (error) {
    throw new WireFormatError(`message with schema id ${schemaId} does not decode with that schema: ${(error as Error).message}`);
  }
}
