/**
 * The sinks' RecordDecoder over the project's one Avro decoder (avro/codec.ts, decimals as exact
 * text, writer schemas fetched once per id), and the owner of the resolved schemas batches are
 * written in (sinks/destination.ts): one cache of value schema versions by registry id, and one
 * resolved schema per (table, key version, value version), with the resolvers from the older
 * versions of a topic into it (avsc's, made once per pair).
 */
import type avsc from 'avsc';
import { avroTypeOf, createAvroDecoder, parseAvroSchema } from '../../avro/codec.js';
import { SchemaRegistryError } from '../../avro/errors.js';
import { subjectsOf, type SchemaRegistry } from '../../avro/registry.js';
import type { AvroType } from '../../avro/schema-json.js';
import { unframe } from '../../avro/wire.js';
import { undecodableBody } from '../avro-values.js';
import type { ResolvedSchema } from '../destination.js';
import { describeTable } from './avro-table.js';
import type { RegisteredSchema, RecordDecoder } from './decode.js';

/** A value schema version as read from the registry: parsed for decoding, and (on first need) for re-encoding. */
export interface SchemaVersion {
  readonly schemaId: number;
  readonly schema: unknown;
  /** Decimals as text: how values are decoded. */
  readonly type: avsc.Type;
}

export function createRegistryDecoder(registry: SchemaRegistry): RecordDecoder {
  const avro = createAvroDecoder(registry, { decimalsAsText: true });
  /** The one cache of versions, by id: one object per version, shared by every entry and batch of it. */
  const versions = new Map<number, SchemaVersion>();
  const resolved = new Map<string, ResolvedSchema>();

  async function versionOf(schemaId: number): Promise<SchemaVersion> {
    let found = versions.get(schemaId);
    if (found === undefined) {
      const { schema, type } = await avro.schemaFor(schemaId);
      found = versions.get(schemaId) ?? { schemaId, schema, type };
      versions.set(schemaId, found);
    }
    return found;
  }

  const writerOf = (schemaId: number): SchemaVersion => {
    const found = versions.get(schemaId);
    // Every upsert's schema was fetched when its entry was made (decode.ts), before its batch is written.
    if (found === undefined) throw new Error(`schema id ${schemaId} was not fetched before its record was written`);
    return found;
  };

  return {
    async decodeKey(buffer) {
      const { schemaId, schema, value } = await avro.decode(buffer);
      return { schemaId, schema, value };
    },
    decodeKeyNow(buffer) {
      const { schemaId, body } = unframe(buffer);
      const writer = avro.cachedSchema(schemaId);
      return writer === undefined
        ? undefined
        : { schemaId, schema: writer.schema, value: decodeBody(writer.type, body, schemaId) };
    },
    schemaOf: versionOf,
    schemaOfNow: (schemaId) => versions.get(schemaId),
    async resolve(table, key, value, maxNewFields) {
      const cacheKey = `${table}|${key.schemaId}|${value.schemaId}|${maxNewFields ?? ''}`;
      let found = resolved.get(cacheKey);
      if (found === undefined) {
        found = resolvedSchema(
          await versionOf(value.schemaId),
          describeTable(table, key.schema, value.schema, maxNewFields),
          writerOf,
        );
        resolved.set(cacheKey, found);
      }
      return found;
    },
    async latestSchemas(topic) {
      const latest = async (subject: string): Promise<RegisteredSchema> => {
        const found = await registry.latest(subject);
        // The topic holds records, so its subjects exist: a registry that knows none is still loading
        // its storage after a restart (Apicurio replays it from Kafka). Retried with the write; a
        // subject that stays missing fails the sink once the retries run out.
        if (found === undefined)
          throw new SchemaRegistryError(`no schema registered under ${subject}`, { subject, retriable: true });
        return { schemaId: found.id, schema: found.schema };
      };
      const subjects = subjectsOf(topic);
      return { key: await latest(subjects.key), value: await latest(subjects.value) };
    },
  };
}

/** A version parsed as the decoder parses it (decimals as text), for tests and benchmarks that write batches without a registry. */
export function schemaVersion(schemaId: number, schema: unknown): SchemaVersion {
  return { schemaId, schema, type: parseAvroSchema(schema as AvroType, { decimalsAsText: true }) };
}

/**
 * The resolved schema of `reader` for `table`: bodies of its own version are read as they are,
 * bodies of other versions (`writerOf`) through avsc's resolver into it. Exported for tests and
 * benchmarks that write batches without a registry.
 */
export function resolvedSchema(
  reader: SchemaVersion,
  table: ResolvedSchema['table'],
  writerOf: (schemaId: number) => SchemaVersion,
): ResolvedSchema {
  const resolvers = new Map<number, avsc.Resolver>();
  const rewriters = new Map<number, (body: Buffer) => Buffer>();
  const resolverFrom = (writer: SchemaVersion): avsc.Resolver => {
    let resolver = resolvers.get(writer.schemaId);
    if (resolver === undefined) resolvers.set(writer.schemaId, (resolver = reader.type.createResolver(writer.type)));
    return resolver;
  };
  /** Older bodies → this version's bytes, through the plain types (decimals as bytes, so they re-encode unchanged). */
  const rewriterFrom = (writer: SchemaVersion): ((body: Buffer) => Buffer) => {
    let rewrite = rewriters.get(writer.schemaId);
    if (rewrite === undefined) {
      const plain = avroTypeOf(reader.schema as AvroType);
      const resolver = plain.createResolver(avroTypeOf(writer.schema as AvroType));
      rewriters.set(writer.schemaId, (rewrite = (body) => plain.toBuffer(plain.fromBuffer(body, resolver))));
    }
    return rewrite;
  };
  return Object.freeze({
    schemaId: reader.schemaId,
    schema: reader.schema,
    type: reader.type,
    table,
    decode(body: Buffer, schemaId: number) {
      const resolver = schemaId === reader.schemaId ? undefined : resolverFrom(writerOf(schemaId));
      return decodeBody(reader.type, body, schemaId, resolver) as Record<string, unknown>;
    },
    bodyOf(body: Buffer, schemaId: number) {
      if (schemaId === reader.schemaId) return body;
      const rewrite = rewriterFrom(writerOf(schemaId));
      try {
        return rewrite(body);
      } catch (error) {
        throw undecodableBody(schemaId, error);
      }
    },
  });
}

function decodeBody(type: avsc.Type, body: Buffer, schemaId: number, resolver?: avsc.Resolver): unknown {
  try {
    return type.fromBuffer(body, resolver);
  } catch (error) {
    throw undecodableBody(schemaId, error);
  }
}
