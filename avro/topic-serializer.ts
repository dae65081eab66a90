/**
 * One resource topic's Avro pipeline for the source: key and value bytes in the Confluent wire
 * format, with the value schema evolved on drift.
 *
 * Value path: written straight from the JSON entity to Avro binary (convert.ts, strict). When the
 * entity carries keys the schema lacks, the schema is evolved (drift.ts), checked against the
 * registry under the subject's compatibility level, registered, and the entity written again with
 * the new version; then the pipeline goes on with that version. Evolutions are serialised, so
 * concurrent callers never register twice.
 *
 * What is thrown: AvroRecordError for a record that cannot be written (type conflict, or an
 * evolution the registry refuses) → dead-letter it with `reason`; SchemaRegistryError for the
 * registry itself (retriable or not, per its flag) → not the record's fault, do not dead-letter.
 */
import type { Logger } from '../common/logger.js';
import { createValueWriter, type ConvertContext, type ValueWriter } from './convert.js';
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
  readonly writer: ValueWriter;
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
  const keyWriter = createValueWriter(registered.key.schema, `${resource}.key`);

  const prepare = (version: ValueVersion): Current => ({
    ...version,
    writer: createValueWriter(version.schema, rootPath),
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

  /** `entity` written with the version evolved for it (its first write found drift). */
  const evolveAndWrite = async (entity: Record<string, unknown>): Promise<Buffer> => {
    const next = evolving.then(() => evolve(entity));
    evolving = next.catch(() => undefined);
    await next;
    const after: ConvertContext = { drift: false };
    const evolved = current;
    const bytes = evolved.writer.encode(entity, evolved.id, after);
    // Evolution adds every informative key, so drift here would mean a field would be lost: refuse loudly.
    if (after.drift) throw new AvroRecordError(rootPath, 'record still has fields the evolved schema lacks');
    return bytes;
  };

  return {
    topic,
    subjects,
    keySchemaId: registered.key.id,
    get value() {
      return { id: current.id, version: current.version, schema: current.schema };
    },
    serializeKey(account, id) {
      return keyWriter.encode({ account, id }, registered.key.id);
    },
    async serializeValue(entity) {
      const context: ConvertContext = { drift: false };
      const version = current;
      const bytes = version.writer.encode(entity, version.id, context);
      return context.drift ? evolveAndWrite(entity) : bytes;
    },
  };
}
