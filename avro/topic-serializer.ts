/**
 * One resource topic's Avro pipeline for the source: key and value bytes in the Confluent wire
 * format, with the value schema evolved on drift.
 *
 * Value path: convert (strict) → encode. When the entity carries keys the schema lacks, the schema
 * is evolved (drift.ts), checked against the registry under the subject's compatibility level,
 * registered, and the entity converted again with the new version; then the pipeline goes on with
 * that version. Evolutions are serialised, so concurrent callers never register twice.
 *
 * What is thrown: AvroRecordError for a record that cannot be written (type conflict, or an
 * evolution the registry refuses) → dead-letter it with `reason`; SchemaRegistryError for the
 * registry itself (retriable or not, per its flag) → not the record's fault, do not dead-letter.
 */
import type { Type } from 'avsc';
import type { Logger } from '../common/logger.js';
import { avroTypeOf } from './codec.js';
import { createConverter, type Converter, type ConvertContext } from './convert.js';
import { evolveSchema } from './drift.js';
import { AvroRecordError, IncompatibleSchemaError } from './errors.js';
import {
  DEFAULT_COMPATIBILITY,
  ensureSubjects,
  subjectsOf,
  type CompatibilityLevel,
  type SchemaRegistry,
} from './registry.js';
import type { ResourceName } from '../contract/resources.js';
import { keySchema as reviewedKeySchema, valueSchemaOf } from './schemas.js';
import type { AvroRecord } from './schema-json.js';
import { createFramedEncoder } from './wire.js';

export interface TopicSerializerOptions {
  readonly registry: SchemaRegistry;
  readonly topic: string;
  readonly resource: ResourceName;
  readonly compatibility?: CompatibilityLevel;
  readonly logger?: Logger;
  /** Replaces the reviewed schema of `resource` (tests). */
  readonly valueSchema?: AvroRecord;
}

export interface ValueVersion {
  readonly id: number;
  readonly version: number;
  readonly schema: AvroRecord;
}

export interface TopicSerializer {
  readonly topic: string;
  readonly subjects: { readonly key: string; readonly value: string };
  readonly keySchemaId: number;
  /** The value schema currently written with; changes after a drift evolution. */
  readonly value: ValueVersion;
  serializeKey(account: string, id: string): Buffer;
  serializeValue(entity: Record<string, unknown>): Promise<Buffer>;
}

interface Current extends ValueVersion {
  readonly type: Type;
  readonly convert: Converter;
}

export async function createTopicSerializer(options: TopicSerializerOptions): Promise<TopicSerializer> {
  const { registry, topic, resource } = options;
  const subjects = subjectsOf(topic);
  const rootPath = `${resource}.value`;
  const registered = await ensureSubjects(
    registry,
    topic,
    reviewedKeySchema(),
    options.valueSchema ?? valueSchemaOf(resource),
    options.compatibility ?? DEFAULT_COMPATIBILITY,
  );
  const keyType = avroTypeOf(registered.key.schema);
  const encoder = createFramedEncoder();

  const prepare = (version: ValueVersion): Current => ({
    ...version,
    type: avroTypeOf(version.schema),
    convert: createConverter(version.schema, rootPath),
  });
  let current = prepare(registered.value);
  let evolving: Promise<void> = Promise.resolve();

  /** Evolves for `entity` unless an earlier evolution already covers it. */
  const evolve = async (entity: Record<string, unknown>): Promise<void> => {
    const { schema, added } = evolveSchema(current.schema, entity, rootPath);
    if (added.length === 0) return;
    const paths = added.map((a) => a.path).join(', ');
    try {
      const problems = await registry.incompatibilities(subjects.value, schema);
      if (problems.length > 0) throw new IncompatibleSchemaError(subjects.value, problems);
      const id = await registry.register(subjects.value, schema);
      const found = await registry.lookup(subjects.value, schema);
      current = prepare({ id, version: found?.version ?? current.version + 1, schema });
    } catch (error) {
      if (error instanceof IncompatibleSchemaError) {
        throw new AvroRecordError(
          rootPath,
          `new field(s) ${paths} would make an incompatible schema: ${error.messages.join('; ')}`,
          error,
        );
      }
      throw error;
    }
    options.logger?.info(
      { topic, subject: subjects.value, schemaId: current.id, version: current.version, added: paths },
      'value schema evolved for new Bookeo fields',
    );
  };

  /** The version to write `entity` with (evolved first if it carries new fields) and the value converted for it. */
  const convertOrEvolve = async (
    entity: Record<string, unknown>,
  ): Promise<{ version: Current; converted: Record<string, unknown> }> => {
    const context: ConvertContext = { drift: false };
    const version = current;
    const converted = version.convert(entity, context);
    if (!context.drift) return { version, converted };
    const next = evolving.then(() => evolve(entity));
    evolving = next.catch(() => undefined);
    await next;
    const after: ConvertContext = { drift: false };
    const evolved = current;
    const again = evolved.convert(entity, after);
    // Evolution adds every informative key, so drift here would mean a field would be lost: refuse loudly.
    if (after.drift) throw new AvroRecordError(rootPath, 'record still has fields the evolved schema lacks');
    return { version: evolved, converted: again };
  };

  return {
    topic,
    subjects,
    keySchemaId: registered.key.id,
    get value() {
      return { id: current.id, version: current.version, schema: current.schema };
    },
    serializeKey(account, id) {
      return encoder.encode(registered.key.id, keyType, { account, id });
    },
    async serializeValue(entity) {
      const { version, converted } = await convertOrEvolve(entity);
      return encoder.encode(version.id, version.type, converted);
    },
  };
}
