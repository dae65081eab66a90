import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import avsc from 'avsc';
import { indexRecords, nullableInner, type AvroType } from '../../avro/schema-json.js';
import { keySchema, valueSchemaOf } from '../../avro/schemas.js';
import { resourceByName } from '../../bookeo/catalog/catalog.js';
import { RESOURCE_NAMES, type ResourceName } from '../../contract/resources.js';
import { EntityKeyError, entityId } from '../../bookeo/catalog/entity.js';

describe('avro reviewed schemas', () => {
  it('every .avsc parses with avsc, in namespace com.bookeo.connect', () => {
    for (const resource of RESOURCE_NAMES) {
      const schema = valueSchemaOf(resource);
      const type = avsc.Type.forSchema(schema as avsc.Schema);
      assert.match(String(type.name), /^com\.bookeo\.connect\./, resource);
    }
    assert.equal(avsc.Type.forSchema(keySchema() as avsc.Schema).name, 'com.bookeo.connect.Key');
  });

  it('documents every field, and every nullable field defaults to null', () => {
    for (const resource of RESOURCE_NAMES) {
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

  it('keys each resource by its Bookeo id (the catalog decides); linked people by customer and person', () => {
    const id = (resource: ResourceName, item: Record<string, unknown>): string =>
      entityId(resourceByName(resource), item);
    assert.equal(id('bookings', { bookingNumber: '42' }), '42');
    assert.equal(id('bookings', { bookingNumber: 42 }), '42');
    assert.equal(id('settings_products', { productId: 'P1' }), 'P1');
    assert.equal(id('settings_languages', { tag: 'en-US' }), 'en-US');
    assert.equal(id('customers_people', { id: 'PX1', customerId: 'C1' }), 'C1/PX1');
    assert.equal(id('resources', { id: 'RT1' }), 'RT1');
    assert.throws(() => id('payments', { amount: 1 }), EntityKeyError);
  });

  it('the key schema is {account, id}, both required strings', () => {
    const key = keySchema();
    assert.deepEqual(
      key.fields.map((f) => [f.name, f.type as AvroType]),
      [
        ['account', 'string'],
        ['id', 'string'],
      ],
    );
  });
});
