/* eslint-disable @typescript-eslint/no-explicit-any -- assertions walk decoded Avro values, whose shape the schema defines, not TypeScript */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { avroTypeOf } from '../../avro/codec.js';
import type { ConvertContext } from '../../avro/convert.js';
import { createConverter } from '../helpers/avro-converter.js';
import { AvroRecordError } from '../../avro/errors.js';
import { decimalText } from '../../avro/logical.js';
import { valueSchemaOf } from '../../avro/schemas.js';
import type { ResourceName } from '../../contract/resources.js';

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../fixtures/bookeo/${name}.json`, import.meta.url), 'utf8')) as Record<
    string,
    unknown
  >;
}

function roundTrip(resource: ResourceName, entity: Record<string, unknown>): Record<string, unknown> {
  const schema = valueSchemaOf(resource);
  const value = createConverter(schema, `${resource}.value`)(entity);
  const type = avroTypeOf(schema);
  return type.fromBuffer(type.toBuffer(value)) as Record<string, unknown>;
}

function rejects(resource: ResourceName, entity: unknown, reason: string | RegExp): void {
  const convert = createConverter(valueSchemaOf(resource), `${resource}.value`);
  assert.throws(
    () => convert(entity),
    (error: unknown) => {
      assert.ok(error instanceof AvroRecordError, String(error));
      assert.equal(error.retriable, false);
      if (typeof reason === 'string') assert.equal(error.reason, reason);
      else assert.match(error.reason, reason);
      return true;
    },
  );
}

describe('avro convert: Bookeo JSON → Avro values', () => {
  it('converts a full booking (offsets, money as string and number, nested customer and people) and round-trips', () => {
    const decoded = roundTrip('bookings', fixture('booking')) as Record<string, any>;
    assert.equal(decoded.bookingNumber, '1234567');
    assert.equal(decoded.startTime, Date.UTC(2024, 2, 31, 15, 0, 0));
    assert.equal(decoded.creationTime, Date.UTC(2024, 2, 1, 14, 12, 44, 123));
    assert.equal(decoded.lastChangeTime, Date.UTC(2024, 2, 2, 5, 0, 0));
    assert.equal(decimalText(decoded.price.totalGross.amount, 4), '146.1000');
    assert.equal(decimalText(decoded.price.totalNet.amount, 4), '135.0000');
    assert.equal(decimalText(decoded.price.totalTaxes.amount, 4), '11.1000');
    assert.equal(decimalText(decoded.priceAdjustments[0].unitPrice.amount, 4), '-5.0000');
    assert.equal(decoded.price.balanceDue, null);
    assert.equal(decoded.customer.dateOfBirth, 6633);
    assert.equal(decoded.participants.details[1].personDetails.customerId, '41U7TFKM3R18B3A0E4F3');
    assert.equal(decoded.participants.details[0].personDetails, null);
    assert.deepEqual(decoded.resources, []);
    assert.equal(decoded.source, '{"channel":"website","widget":"v2"}');
    assert.equal(decoded.externalRef, null);
  });

  it('missing optional fields become null', () => {
    const decoded = roundTrip('bookings', fixture('booking-minimal')) as Record<string, any>;
    assert.equal(decoded.customer, null);
    assert.equal(decoded.lastChangeTime, null);
    assert.equal(decoded.price, null);
    assert.equal(decoded.participants.details, null);
  });

  it('converts customers, linked people, products, payments, resource types, languages and webhooks', () => {
    const customer = roundTrip('customers', fixture('customer')) as Record<string, any>;
    assert.equal(decimalText(customer.credit.amount, 4), '25.5000');
    assert.equal(customer.membershipEnd, Date.UTC(2025, 11, 31) / 86_400_000);
    assert.equal(customer.creationTime, Date.UTC(2023, 10, 2, 7, 15));
    assert.equal(
      (roundTrip('customers_people', fixture('linked-person')) as Record<string, any>).customerId,
      '41U7TFKM3R18B3A0E4F3',
    );
    const product = roundTrip('settings_products', fixture('product')) as Record<string, any>;
    assert.equal(decimalText(product.defaultRates[1].price.amount, 4), '27.0000');
    assert.equal(product.bookingLimits[0].peopleCategoryId, null);
    assert.equal(product.choiceOptions[0].values[1].name, 'Double');
    const payment = roundTrip('payments', fixture('payment')) as Record<string, any>;
    assert.equal(decimalText(payment.amount.amount, 4), '-50.0000');
    assert.equal(payment.agent, null);
    assert.equal((roundTrip('resources', fixture('resource-type')) as Record<string, any>).resources.length, 2);
    assert.equal((roundTrip('settings_languages', fixture('language')) as Record<string, any>).tag, 'en-US');
    assert.equal((roundTrip('webhooks', fixture('webhook')) as Record<string, any>).blockedTime, Date.UTC(2024, 1, 1));
  });

  it('reports type conflicts with the field path and a clear reason', () => {
    const booking = fixture('booking') as Record<string, any>;
    booking.price.totalGross.amount = 'abc';
    rejects(
      'bookings',
      booking,
      'bookings.value.price.totalGross.amount: expected decimal, found "abc": not a decimal number',
    );

    const customer = fixture('customer');
    customer.numBookings = '12';
    rejects('customers', customer, 'customers.value.numBookings: expected long, found "12"');

    const withDetails = fixture('booking') as Record<string, any>;
    withDetails.participants.details[1].personDetails.dateOfBirth = '2015-13-01';
    rejects(
      'bookings',
      withDetails,
      'bookings.value.participants.details[1].personDetails.dateOfBirth: expected date (YYYY-MM-DD), found "2015-13-01"',
    );

    rejects(
      'payments',
      { ...fixture('payment'), creationTime: '2024-03-01T09:13:02' },
      /payments\.value\.creationTime: expected timestamp \(RFC 3339 with offset\)/,
    );
    rejects(
      'payments',
      { ...fixture('payment'), amount: { amount: '12.345678', currency: 'USD' } },
      /payments\.value\.amount\.amount: .*more than 4 decimal places/,
    );
    rejects(
      'payments',
      { ...fixture('payment'), amount: { amount: '1.00' } },
      'payments.value.amount.currency: required field is missing',
    );
    rejects('webhooks', { url: 'https://x' }, 'webhooks.value.id: required field is missing');
    rejects('webhooks', { id: 'W', domain: { x: 1 } }, 'webhooks.value.domain: expected string, found an object');
    rejects('resources', { id: 'RT', resources: 'R1' }, 'resources.value.resources: expected array, found "R1"');
    rejects('bookings', 'not an object', 'bookings.value: expected record Booking, found "not an object"');
  });

  it('widens only losslessly: a number into a string field', () => {
    const decoded = roundTrip('bookings', { bookingNumber: 1234567 }) as Record<string, any>;
    assert.equal(decoded.bookingNumber, '1234567');
  });

  it('flags drift for unknown informative keys, at any depth, without converting them', () => {
    const convert = createConverter(valueSchemaOf('bookings'), 'bookings.value');
    const context: ConvertContext = { drift: false };
    convert({ bookingNumber: '1', newThing: null, other: [] }, context);
    assert.equal(context.drift, false);
    convert({ bookingNumber: '1', price: { totalGross: { amount: '1', currency: 'USD', rounding: 'up' } } }, context);
    assert.equal(context.drift, true);
  });
});
