/**
 * The sinks' registry decoder: when the registry answers but does not know a topic's subjects yet
 * (after a restart a registry can serve before it has loaded its storage; Apicurio replays it from
 * Kafka), that is a wait, not a verdict: the error must be retriable, or the sink stops. And the
 * resolved schemas it owns: one per version, reading older bodies into it, and a body that does
 * not decode as the WireFormatError that dead-letters it with stage `decode`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SchemaRegistryError } from '../../avro/errors.js';
import type { SchemaRegistry } from '../../avro/registry.js';
import { isRetriable } from '../../common/errors.js';
import { avroTypeOf } from '../../avro/codec.js';
import type { AvroType } from '../../avro/schema-json.js';
import { WireFormatError } from '../../avro/wire.js';
import { createRegistryDecoder } from '../../sinks/runner/registry-decoder.js';

const notUsed = (): never => {
  throw new Error('not used');
};

describe('sink registry decoder', () => {
  it('treats a subject the registry does not know (yet) as retriable', async () => {
    const loading: SchemaRegistry = {
      url: 'http://registry',
      latest: () => Promise.resolve(undefined),
      schemaById: notUsed,
      lookup: notUsed,
      register: notUsed,
      incompatibilities: notUsed,
      getCompatibility: notUsed,
      setCompatibility: notUsed,
      deleteSubject: notUsed,
      close: () => Promise.resolve(),
    };
    await assert.rejects(
      createRegistryDecoder(loading).latestSchemas('p.customers'),
      (error: unknown) =>
        error instanceof SchemaRegistryError &&
        /no schema registered under p\.customers-key/.test(error.message) &&
        isRetriable(error),
    );
  });

  it('resolves one schema per version, reads older bodies into it and names a body that does not decode', async () => {
    const key = { type: 'record', name: 'K', fields: [{ name: 'id', type: 'string' }] };
    const v1 = { type: 'record', name: 'V', fields: [{ name: 'n', type: 'int' }] };
    const v2 = {
      type: 'record',
      name: 'V',
      fields: [
        { name: 'n', type: 'long' },
        { name: 'note', type: ['null', 'string'], default: null },
      ],
    };
    const schemas = new Map<number, unknown>([
      [1, key],
      [2, v1],
      [3, v2],
    ]);
    let fetched = 0;
    const registry: SchemaRegistry = {
      url: 'http://registry',
      latest: notUsed,
      schemaById: async (id: number) => {
        fetched++;
        return schemas.get(id) as never;
      },
      lookup: notUsed,
      register: notUsed,
      incompatibilities: notUsed,
      getCompatibility: notUsed,
      setCompatibility: notUsed,
      deleteSubject: notUsed,
      close: () => Promise.resolve(),
    };
    const decoder = createRegistryDecoder(registry);
    const older = await decoder.schemaOf(2);
    const newer = await decoder.schemaOf(3);
    assert.equal(decoder.schemaOfNow(2), older, 'one object per id');
    const keyed = { schemaId: 1, schema: key };
    const resolved = await decoder.resolve('things', keyed, newer);
    assert.equal(await decoder.resolve('things', keyed, newer), resolved, 'cached per table and versions');
    assert.deepEqual(resolved.table.columns.map((column) => column.name).slice(0, 3), ['id', 'n', 'note']);
    assert.equal(fetched, 2, 'each version fetched once');
    const body = avroTypeOf(v1 as AvroType).toBuffer({ n: 7 });
    assert.deepEqual({ ...resolved.decode(body, 2) }, { n: 7, note: null });
    assert.deepEqual(
      { ...avroTypeOf(v2 as AvroType).fromBuffer(resolved.bodyOf(body, 2)) },
      { n: 7, note: null },
      "an older body rewritten in the batch's version",
    );
    assert.throws(
      () => resolved.decode(Buffer.from([0x80]), 3),
      (error: unknown) => error instanceof WireFormatError && /schema id 3 does not decode/.test(error.message),
    );
  });
});
