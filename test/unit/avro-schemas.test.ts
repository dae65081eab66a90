import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import avsc from 'avsc';
import { AvroRecordError } from '../../avro/errors.js';
import { indexRecords, nullableInner, type AvroType } from '../../avro/schema-json.js';
import { entityKeyId, keySchema, RESOURCES, valueSchemaOf } from '../../avro/schemas.js';

describe('avro reviewed schemas', () => {
  it('every .avsc parses with avsc, in namespace com.bookeo.connect', () => {
    for (const resource of RESOURCES) {
      const schema = valueSchemaOf(resource);
      const type = avsc.Type.forSchema(schema as avsc.Schema);
      assert.match(String(type.name), /^com\.bookeo\.connect\./, resource);
    }
    assert.equal(avsc.Type.forSchema(keySchema() as avsc.Schema).name, 'com.bookeo.connect.Key');
  });

  it('documents every field, and every nullable field defaults to null', () => {
    for (const resource of RESOURCES) {
      for (const [name, record] of indexRecords(valueSchemaOf(resource))) {
        assert.ok(record.doc, `${resource}: ${name} has no doc`);
        for (const field of record.fields) {
          assert.ok(field.doc, `${resource}: ${name}.${field.name} has no doc`);
          if (nullableInner(field.type) !== undefined) assert.equal(field.default, null, `${name}.${field.name}`);
          else assert.ok(!Object.hasOwn(field, 'default'), `${name}.${field.name} is required and has a default`);
        }
      }
    }
  });

  it('uses timestamp-millis, date and decimal(18,4) logical types', () => {
    const types = JSON.stringify(valueSchemaOf('bookings'));
    assert.match(types, /"logicalType":"timestamp-millis"/);
    assert.match(types, /"logicalType":"decimal","precision":18,"scale":4/);
    assert.match(JSON.stringify(valueSchemaOf('customers')), /"type":"int","logicalType":"date"/);
  });

  it('hands out copies, so evolution never changes the reviewed schema', () => {
    const a = valueSchemaOf('webhooks');
    a.fields.pop();
    assert.equal(valueSchemaOf('webhooks').fields.length, a.fields.length + 1);
  });

  it('keys each resource by its Bookeo id; linked people by customer and person', () => {
    assert.equal(entityKeyId('bookings', { bookingNumber: '42' }), '42');
    assert.equal(entityKeyId('bookings', { bookingNumber: 42 }), '42');
    assert.equal(entityKeyId('settings_products', { productId: 'P1' }), 'P1');
    assert.equal(entityKeyId('settings_languages', { tag: 'en-US' }), 'en-US');
    assert.equal(entityKeyId('customers_people', { id: 'PX1', customerId: 'C1' }), 'C1/PX1');
    assert.equal(entityKeyId('resources', { id: 'RT1' }), 'RT1');
    assert.throws(() => entityKeyId('payments', { amount: 1 }), (e: unknown) => e instanceof AvroRecordError && /payments\.key\.id/.test(e.reason));
  });

  it('the key schema is {account, id}, both required strings', () => {
    const key = keySchema();
    assert.deepEqual(key.fields.map((f) => [f.name, f.type as AvroType]), [['account', 'string'], ['id', 'string']]);
  });
});
