/* eslint-disable @typescript-eslint/no-explicit-any -- assertions walk decoded Avro values, whose shape the schema defines, not TypeScript */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { avroTypeOf } from '../../avro/codec.js';
import type { ConvertContext } from '../../avro/convert.js';
import { createConverter } from '../helpers/avro-converter.js';
import { evolveSchema } from '../../avro/drift.js';
import { AvroRecordError } from '../../avro/errors.js';
import { decimalText } from '../../avro/logical.js';
import type { AvroRecord } from '../../avro/schema-json.js';
import { valueSchemaOf } from '../../avro/schemas.js';

const booking = (): Record<string, any> =>
  JSON.parse(readFileSync(new URL('../fixtures/bookeo/booking.json', import.meta.url), 'utf8'));

function field(record: AvroRecord, name: string) {
  return record.fields.find((f) => f.name === name);
}

describe('avro drift: schema evolution for new Bookeo fields', () => {
  it('changes nothing when the entity fits', () => {
    const schema = valueSchemaOf('bookings');
    const { schema: evolved, added } = evolveSchema(schema, booking(), 'bookings.value');
    assert.deepEqual(added, []);
    assert.deepEqual(evolved, schema);
  });

  it('adds optional fields with inferred types at any depth, never touching the input', () => {
    const schema = valueSchemaOf('bookings');
    const before = JSON.stringify(schema);
    const entity = booking();
    entity.loyaltyPoints = 12;
    entity.rating = 4.5;
    entity.giftWrap = true;
    entity.partnerRef = 'P-9';
    entity.checkedInAt = '2024-03-31T09:55:00-05:00';
    entity.deposit = { amount: '20.00', currency: 'USD' };
    entity.referrer = { name: 'Bob', visits: 3, tags: ['vip'] };
    entity.scores = [1, 2.5];
    entity.notes = null;
    entity.emptyList = [];
    entity.price.totalGross.rounding = 'up';
    entity.participants.details[0].waiverSigned = true;
    entity.participants.details[2].waiverSigned = false;
    entity.participants.details[3].shoeSize = 42;

    const { schema: evolved, added } = evolveSchema(schema, entity, 'bookings.value');
    assert.equal(JSON.stringify(schema), before, 'input schema was modified');
    assert.deepEqual(added.map((a) => a.path).sort(), [
      'checkedInAt',
      'deposit',
      'giftWrap',
      'loyaltyPoints',
      'participants.details[].shoeSize',
      'participants.details[].waiverSigned',
      'partnerRef',
      'price.totalGross.rounding',
      'rating',
      'referrer',
      'scores',
    ]);
    const root = evolved;
    assert.deepEqual(field(root, 'loyaltyPoints')?.type, ['null', 'long']);
    assert.equal(field(root, 'loyaltyPoints')?.default, null);
    assert.deepEqual(field(root, 'rating')?.type, ['null', 'double']);
    assert.deepEqual(field(root, 'giftWrap')?.type, ['null', 'boolean']);
    assert.deepEqual(field(root, 'checkedInAt')?.type, ['null', 'string']);
    assert.deepEqual(field(root, 'scores')?.type, ['null', { type: 'array', items: 'double' }]);
    assert.equal(field(root, 'notes'), undefined);
    assert.equal(field(root, 'emptyList'), undefined);
    assert.equal(root.fields.slice(-1)[0]?.name, 'scores', 'new fields are appended');
    const deposit = (field(root, 'deposit')?.type as [string, AvroRecord])[1];
    assert.equal(deposit.name, 'Booking_deposit');
    assert.deepEqual(field(deposit, 'amount')?.type, {
      type: 'bytes',
      logicalType: 'decimal',
      precision: 18,
      scale: 4,
    });
    const referrer = (field(root, 'referrer')?.type as [string, AvroRecord])[1];
    assert.deepEqual(
      referrer.fields.map((f) => [f.name, f.type]),
      [
        ['name', ['null', 'string']],
        ['visits', ['null', 'long']],
        ['tags', ['null', { type: 'array', items: 'string' }]],
      ],
    );

    // The evolved schema is valid Avro, converts the entity, and round-trips the new values.
    const type = avroTypeOf(evolved);
    const context: ConvertContext = { drift: false };
    const value = createConverter(evolved, 'bookings.value')(entity, context);
    assert.equal(context.drift, false);
    const decoded = type.fromBuffer(type.toBuffer(value)) as Record<string, any>;
    assert.equal(decoded.loyaltyPoints, 12);
    assert.equal(decimalText(decoded.deposit.amount, 4), '20.0000');
    assert.equal(decoded.price.totalGross.rounding, 'up');
    assert.equal(decoded.participants.details[3].shoeSize, 42);
    assert.equal(decoded.participants.details[1].waiverSigned, null);

    // Old records (written with the reviewed schema) still read with the evolved one.
    const oldType = avroTypeOf(schema);
    const oldBytes = oldType.toBuffer(createConverter(schema, 'bookings.value')(booking()));
    const resolved = type.fromBuffer(oldBytes, type.createResolver(oldType)) as Record<string, any>;
    assert.equal(resolved.loyaltyPoints, null);
    assert.equal(resolved.bookingNumber, '1234567');
  });

  it('is deterministic, so two instances evolving alike register one version', () => {
    const entity = { ...booking(), extra: { a: 1 } };
    const a = evolveSchema(valueSchemaOf('bookings'), entity, 'bookings.value').schema;
    const b = evolveSchema(valueSchemaOf('bookings'), entity, 'bookings.value').schema;
    assert.equal(JSON.stringify(a), JSON.stringify(b));
  });

  it('merges record fields across array elements and names records uniquely', () => {
    const entity = { id: 'RT', history: [{ at: 'x' }, { by: 'y' }], history2: [{ q: 1 }] };
    const { schema } = evolveSchema(valueSchemaOf('resources'), entity, 'resources.value');
    const history = (field(schema, 'history')?.type as [string, { items: AvroRecord }])[1].items;
    assert.deepEqual(
      history.fields.map((f) => f.name),
      ['at', 'by'],
    );
    avroTypeOf(schema);
  });

  it('sanitises keys that are not Avro names and still reads their values', () => {
    const entity = { id: 'W', 'x-custom': 'v', '9lives': 9 };
    const { schema } = evolveSchema(valueSchemaOf('webhooks'), entity, 'webhooks.value');
    assert.ok(field(schema, 'x_custom'));
    assert.ok(field(schema, '_9lives'));
    const context: ConvertContext = { drift: false };
    const value = createConverter(schema, 'webhooks.value')(entity, context);
    assert.equal(context.drift, false);
    assert.equal(value.x_custom, 'v');
    assert.equal(value._9lives, 9);
  });

  it('refuses a new field whose array elements mix kinds, with a clear reason', () => {
    assert.throws(
      () => evolveSchema(valueSchemaOf('webhooks'), { id: 'W', mixed: ['a', { b: 1 }] }, 'webhooks.value'),
      (error: unknown) =>
        error instanceof AvroRecordError &&
        error.reason ===
          'webhooks.value.mixed: new field cannot be given one Avro type: its elements mix string and object',
    );
  });

  it('leaves type conflicts to conversion, which names them', () => {
    const entity = { ...booking(), canceled: 'no' };
    const { added, schema } = evolveSchema(valueSchemaOf('bookings'), entity, 'bookings.value');
    assert.deepEqual(added, []);
    assert.throws(
      () => createConverter(schema, 'bookings.value')(entity),
      /bookings\.value\.canceled: expected boolean, found "no"/,
    );
  });
});
