/**
 * The topic pipeline against an in-memory registry that behaves like the Confluent API (ids,
 * versions, levels, a BACKWARD check done with avsc's resolver), so evolution is tested without
 * a server; test/integration/avro-registry.test.ts covers the real one.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- assertions walk decoded Avro values, whose shape the schema defines, not TypeScript */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { avroTypeOf, createAvroDecoder } from '../../avro/codec.js';
import { AvroRecordError, CompatibilityLevelMismatchError } from '../../avro/errors.js';
import { decimalText } from '../../avro/logical.js';
import type { CompatibilityLevel, SchemaRegistry } from '../../avro/registry.js';
import type { AvroRecord, AvroType } from '../../avro/schema-json.js';
import { createTopicSerializer } from '../../avro/topic-serializer.js';
import { unframe, WireFormatError } from '../../avro/wire.js';

function memoryRegistry() {
  const schemas: AvroType[] = [];
  const subjects = new Map<string, number[]>();
  const levels = new Map<string, CompatibilityLevel>();
  let fetches = 0;
  const idOf = (schema: AvroType) => {
    const text = JSON.stringify(schema);
    const index = schemas.findIndex((s) => JSON.stringify(s) === text);
    return index < 0 ? undefined : index + 1;
  };
  const registry: SchemaRegistry = {
    url: 'memory://',
    async schemaById(id) {
      fetches++;
      const schema = schemas[id - 1];
      if (schema === undefined) throw new Error(`no schema ${id}`);
      return structuredClone(schema);
    },
    async lookup(subject, schema) {
      const id = idOf(schema);
      const versions = subjects.get(subject) ?? [];
      const index = id === undefined ? -1 : versions.indexOf(id);
      return index < 0 ? undefined : { id: id as number, version: index + 1 };
    },
    async latest(subject) {
      const versions = subjects.get(subject) ?? [];
      const id = versions.at(-1);
      return id === undefined
        ? undefined
        : { subject, id, version: versions.length, schema: schemas[id - 1] as AvroRecord };
    },
    async register(subject, schema) {
      const id = idOf(schema) ?? schemas.push(structuredClone(schema));
      const versions = subjects.get(subject) ?? [];
      if (!versions.includes(id)) versions.push(id);
      subjects.set(subject, versions);
      return id;
    },
    async incompatibilities(subject, schema) {
      const latest = await registry.latest(subject);
      if (latest === undefined) return [];
      try {
        avroTypeOf(schema).createResolver(avroTypeOf(latest.schema));
        return [];
      } catch (error) {
        return [(error as Error).message];
      }
    },
    async getCompatibility(subject) {
      return levels.get(subject);
    },
    async setCompatibility(subject, level) {
      levels.set(subject, level);
      return true;
    },
    async deleteSubject(subject) {
      subjects.delete(subject);
    },
    async close() {},
  };
  return { registry, subjects, levels, fetches: () => fetches };
}

const booking = (): Record<string, any> =>
  JSON.parse(readFileSync(new URL('../fixtures/bookeo/booking.json', import.meta.url), 'utf8'));

describe('avro topic serializer (in-memory registry)', () => {
  it('registers <topic>-key / <topic>-value with the level and writes the Confluent wire format', async () => {
    const memory = memoryRegistry();
    const serializer = await createTopicSerializer({
      registry: memory.registry,
      topic: 'bookeo.bookings',
      resource: 'bookings',
    });
    assert.deepEqual([...memory.subjects.keys()], ['bookeo.bookings-key', 'bookeo.bookings-value']);
    assert.equal(memory.levels.get('bookeo.bookings-value'), 'BACKWARD');

    const key = serializer.serializeKey('acme', '1234567');
    assert.equal(key[0], 0);
    assert.equal(key.readInt32BE(1), serializer.keySchemaId);
    const bytes = await serializer.serializeValue(booking());
    assert.equal(bytes[0], 0);
    assert.equal(unframe(bytes).schemaId, serializer.value.id);

    const decoder = createAvroDecoder(memory.registry);
    const decoded = await decoder.decode(bytes);
    assert.equal((decoded.value as Record<string, any>).bookingNumber, '1234567');
    assert.deepEqual({ ...((await decoder.decode(key)).value as object) }, { account: 'acme', id: '1234567' });
    await decoder.decode(bytes);
    assert.equal(memory.fetches(), 2, 'schemas are fetched once per id');
  });

  it('evolves on drift, registers a new version, and old records still decode', async () => {
    const memory = memoryRegistry();
    const serializer = await createTopicSerializer({ registry: memory.registry, topic: 't', resource: 'bookings' });
    const before = serializer.value;
    const oldBytes = await serializer.serializeValue(booking());
    const drifted = { ...booking(), loyalty: { tier: 'gold', points: 120 } };
    const [a, b] = await Promise.all([serializer.serializeValue(drifted), serializer.serializeValue(drifted)]);
    assert.equal(memory.subjects.get('t-value')?.length, 2, 'one new version, even with concurrent callers');
    assert.equal(serializer.value.version, before.version + 1);
    assert.notEqual(serializer.value.id, before.id);
    assert.deepEqual(a, b);
    const decoder = createAvroDecoder(memory.registry);
    assert.equal(((await decoder.decode(a)).value as Record<string, any>).loyalty.tier, 'gold');
    assert.equal(
      decimalText(((await decoder.decode(oldBytes)).value as Record<string, any>).price.totalGross.amount, 4),
      '146.1000',
    );

    // A restart picks the evolved version up instead of going back to the reviewed file.
    const restarted = await createTopicSerializer({ registry: memory.registry, topic: 't', resource: 'bookings' });
    assert.equal(restarted.value.id, serializer.value.id);
  });

  it('rejects a record with a type conflict as a dead letter, and goes on', async () => {
    const memory = memoryRegistry();
    const serializer = await createTopicSerializer({ registry: memory.registry, topic: 't', resource: 'bookings' });
    await assert.rejects(
      serializer.serializeValue({ ...booking(), canceled: 'yes' }),
      (e: unknown) =>
        e instanceof AvroRecordError && e.reason === 'bookings.value.canceled: expected boolean, found "yes"',
    );
    assert.ok((await serializer.serializeValue(booking())).length > 5);
  });

  it('refuses to silently change a subject that has another compatibility level', async () => {
    const memory = memoryRegistry();
    memory.levels.set('t-key', 'FULL');
    await assert.rejects(
      createTopicSerializer({ registry: memory.registry, topic: 't', resource: 'webhooks' }),
      (e: unknown) =>
        e instanceof CompatibilityLevelMismatchError &&
        /t-key has compatibility FULL .* configured for BACKWARD/.test(e.message),
    );
  });

  it('refuses bytes that are not Confluent-framed', async () => {
    const decoder = createAvroDecoder(memoryRegistry().registry);
    await assert.rejects(decoder.decode(Buffer.from([1, 0, 0, 0, 1, 2])), WireFormatError);
    await assert.rejects(decoder.decode(Buffer.from([0, 0])), WireFormatError);
  });
});
