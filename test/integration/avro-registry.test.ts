/**
 * The avro layer against the real Schema Registry of the local stack (Apicurio, Confluent API):
 * TopicNameStrategy subjects with their level, the wire format, decoding by id, drift evolution,
 * and refusals that say why. Every subject is unique to the run and deleted afterwards.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- assertions walk decoded Avro values, whose shape the schema defines, not TypeScript */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { createAvroDecoder } from '../../avro/codec.js';
import { AvroRecordError, CompatibilityLevelMismatchError, IncompatibleSchemaError } from '../../avro/errors.js';
import { decimalText } from '../../avro/logical.js';
import { createSchemaRegistry, subjectsOf, type SchemaRegistry } from '../../avro/registry.js';
import type { AvroRecord } from '../../avro/schema-json.js';
import { valueSchemaOf } from '../../avro/schemas.js';
import { createTopicSerializer, type TopicSerializer } from '../../avro/topic-serializer.js';
import { stackEndpoints } from '../../deploy/stack/endpoints.js';
import { uniqueName } from '../../testkit/wait-for.js';

const booking = (): Record<string, any> =>
  JSON.parse(readFileSync(new URL('../fixtures/bookeo/booking.json', import.meta.url), 'utf8'));

describe('avro layer against the real schema registry', () => {
  let registry: SchemaRegistry;
  const topics: string[] = [];
  const newTopic = (): string => {
    const topic = uniqueName('avro_it');
    topics.push(topic);
    return topic;
  };

  before(() => {
    registry = createSchemaRegistry({ url: stackEndpoints().registryUrl });
  });

  after(async () => {
    for (const topic of topics) {
      for (const subject of Object.values(subjectsOf(topic))) {
        await registry.deleteSubject(subject);
        await registry.deleteSubject(subject, true);
      }
    }
    await registry.close();
  });

  let serializer: TopicSerializer;
  let firstBytes: Buffer;

  it('registers <topic>-key and <topic>-value with BACKWARD and writes Confluent-framed records', async () => {
    const topic = newTopic();
    serializer = await createTopicSerializer({ registry, topic, resource: 'bookings' });
    assert.deepEqual(serializer.subjects, { key: `${topic}-key`, value: `${topic}-value` });
    assert.equal(await registry.getCompatibility(`${topic}-key`), 'BACKWARD');
    assert.equal(await registry.getCompatibility(`${topic}-value`), 'BACKWARD');
    assert.equal((await registry.latest(`${topic}-value`))?.version, 1);

    firstBytes = await serializer.serializeValue(booking());
    assert.equal(firstBytes[0], 0, 'magic byte');
    assert.equal(firstBytes.readInt32BE(1), serializer.value.id, '4-byte big-endian schema id');
    const key = serializer.serializeKey('acme', '1234567');
    assert.equal(key.readInt32BE(1), serializer.keySchemaId);

    // A fresh client, as a sink would have: everything it needs comes from the id in the bytes.
    const reader = createSchemaRegistry({ url: stackEndpoints().registryUrl });
    try {
      const decoder = createAvroDecoder(reader);
      const decoded = await decoder.decode(firstBytes);
      assert.equal(decoded.schemaId, serializer.value.id);
      assert.equal((decoded.schema as AvroRecord).name, 'Booking');
      const value = decoded.value as Record<string, any>;
      assert.equal(value.bookingNumber, '1234567');
      assert.equal(value.startTime, Date.UTC(2024, 2, 31, 15, 0, 0));
      assert.equal(decimalText(value.price.totalGross.amount, 4), '146.1000');
      assert.equal(
        (await decoder.decode(key)).value && ((await decoder.decode(key)).value as Record<string, string>).account,
        'acme',
      );
      // The registry keeps our schema text as sent: logical types and our jsonText flag survive.
      assert.match(JSON.stringify(decoded.schema), /"logicalType":"decimal","precision":18,"scale":4/);
      assert.match(JSON.stringify(decoded.schema), /"jsonText":true/);
    } finally {
      await reader.close();
    }
  });

  it('is idempotent on restart: same subjects, same ids, no new versions', async () => {
    const again = await createTopicSerializer({ registry, topic: serializer.topic, resource: 'bookings' });
    assert.equal(again.keySchemaId, serializer.keySchemaId);
    assert.equal(again.value.id, serializer.value.id);
    assert.equal((await registry.latest(serializer.subjects.value))?.version, 1);
  });

  it('evolves on drift: a new version is registered, and records of both versions decode', async () => {
    const before = serializer.value;
    const drifted = { ...booking(), loyalty: { tier: 'gold', points: 120 }, checkInDesk: 'B' };
    const bytes = await serializer.serializeValue(drifted);
    assert.equal(serializer.value.version, before.version + 1);
    assert.notEqual(serializer.value.id, before.id);
    assert.equal((await registry.latest(serializer.subjects.value))?.id, serializer.value.id);
    assert.equal(bytes.readInt32BE(1), serializer.value.id);

    const decoder = createAvroDecoder(registry);
    const evolved = (await decoder.decode(bytes)).value as Record<string, any>;
    assert.equal(evolved.loyalty.tier, 'gold');
    assert.equal(evolved.checkInDesk, 'B');
    const old = await decoder.decode(firstBytes);
    assert.equal(old.schemaId, before.id);
    assert.equal((old.value as Record<string, any>).bookingNumber, '1234567');

    // After a restart the evolved version is kept, not the reviewed file.
    const restarted = await createTopicSerializer({ registry, topic: serializer.topic, resource: 'bookings' });
    assert.equal(restarted.value.id, serializer.value.id);
  });

  it("rejects an incompatible change with the registry's reason", async () => {
    const subject = serializer.subjects.value;
    const incompatible = valueSchemaOf('bookings');
    incompatible.fields.push({ name: 'mandatoryNewThing', type: 'string', doc: 'required, no default: not BACKWARD' });
    const problems = await registry.incompatibilities(subject, incompatible);
    assert.ok(problems.length > 0, 'the check explains the incompatibility');
    await assert.rejects(registry.register(subject, incompatible), (error: unknown) => {
      assert.ok(error instanceof IncompatibleSchemaError, String(error));
      assert.equal(error.retriable, false);
      assert.match(error.message, new RegExp(`subject ${subject} is incompatible`));
      return true;
    });
  });

  it('a type conflict is a dead letter, not a schema change', async () => {
    const versionBefore = serializer.value.version;
    await assert.rejects(
      serializer.serializeValue({ ...booking(), canceled: 'yes' }),
      (e: unknown) =>
        e instanceof AvroRecordError && e.reason === 'bookings.value.canceled: expected boolean, found "yes"',
    );
    assert.equal((await registry.latest(serializer.subjects.value))?.version, versionBefore);
  });

  it('refuses a subject whose compatibility level differs from the configured one', async () => {
    const topic = newTopic();
    await createTopicSerializer({ registry, topic, resource: 'webhooks' });
    assert.ok(await registry.setCompatibility(`${topic}-key`, 'FULL'));
    assert.ok(await registry.setCompatibility(`${topic}-value`, 'FULL'));
    await assert.rejects(createTopicSerializer({ registry, topic, resource: 'webhooks' }), (error: unknown) => {
      assert.ok(error instanceof CompatibilityLevelMismatchError, String(error));
      assert.match(
        error.message,
        /-key has compatibility FULL in the registry but the connector is configured for BACKWARD; set the connector's compatibility to FULL/,
      );
      return true;
    });
    const full = await createTopicSerializer({ registry, topic, resource: 'webhooks', compatibility: 'FULL' });
    assert.ok(full.value.id > 0);
  });
});
