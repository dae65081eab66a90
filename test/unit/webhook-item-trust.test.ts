/**
 * When a delivery's item stands for the re-read by id (item-trust.ts), and when the request checks
 * keep the body's item: only a payment's (created only, no expansion to lack), newer than the
 * payments cursor, the same in every delivery of the batch, naming the delivery's entity, with no
 * other version of it known as published (a tombstone included) and no lost message reported.
 * Each case below changes one of those and must fall back to the re-read (undefined).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resourceByName } from '../../bookeo/catalog/catalog.js';
import { contentHash } from '../../bookeo/catalog/content-hash.js';
import { DELETED } from '../../contract/idempotency-key.js';
import type { SeenVersions } from '../../connector/source/dedupe.js';
import type { WebhookDelivery } from '../../connector/source/webhooks/delivery.js';
import { CREATED_ONLY_RESOURCES, trustedItem } from '../../connector/source/webhooks/item-trust.js';

const CURSOR = Date.parse('2026-06-01T10:00:00Z') / 1000;
const PAYMENT = {
  id: 'P1',
  creationTime: '2026-06-01T12:00:05+02:00',
  receivedTime: '2026-06-01T12:00:05+02:00',
  amount: { amount: '40.00', currency: 'EUR' },
  paymentMethod: 'creditCard',
};

function delivery(overrides: Partial<WebhookDelivery> = {}): WebhookDelivery {
  return {
    account: 'acme',
    domain: 'payments',
    type: 'created',
    itemId: 'P1',
    item: PAYMENT,
    messageId: 'm-1',
    previousMessageLost: false,
    ...overrides,
  };
}

/** A copy of `value` without `key`. */
const without = <T extends object>(value: T, key: keyof T): T =>
  Object.fromEntries(Object.entries(value).filter(([name]) => name !== key)) as T;

const input = (
  overrides: { deliveries?: WebhookDelivery[]; cursor?: number | undefined; published?: SeenVersions[] } = {},
) => ({
  definition: resourceByName('payments'),
  id: 'P1',
  deliveries: overrides.deliveries ?? [delivery()],
  cursor: 'cursor' in overrides ? overrides.cursor : CURSOR,
  published: overrides.published ?? [new Map(), new Map()],
});

describe('webhook item trust', () => {
  it('only payments are created-only among the received domains', () => {
    assert.deepEqual([...CREATED_ONLY_RESOURCES], ['payments']);
  });

  it('takes a payment item newer than the cursor, nothing else known of it', () => {
    assert.equal(trustedItem(input()), PAYMENT);
    const sameVersion = new Map([['P1', { version: contentHash(PAYMENT), at: CURSOR + 5 }]]);
    assert.equal(trustedItem(input({ published: [new Map(), sameVersion] })), PAYMENT, 'the same version: unchanged');
    assert.equal(trustedItem(input({ deliveries: [delivery(), delivery({ messageId: 'm-2' })] })), PAYMENT);
  });

  it('re-reads a booking or a customer: they change after creation (and a customer has no change time)', () => {
    const booking = {
      bookingNumber: 'B1',
      creationTime: '2026-06-01T12:00:05+02:00',
      lastChangeTime: '2026-06-01T12:00:09+02:00',
    };
    assert.equal(
      trustedItem({
        ...input({ deliveries: [delivery({ domain: 'bookings', type: 'updated', itemId: 'B1', item: booking })] }),
        definition: resourceByName('bookings'),
        id: 'B1',
      }),
      undefined,
    );
    const customer = { id: 'C1', creationTime: '2026-06-01T12:00:05+02:00', firstName: 'Ada' };
    assert.equal(
      trustedItem({
        ...input({ deliveries: [delivery({ domain: 'customers', type: 'updated', itemId: 'C1', item: customer })] }),
        definition: resourceByName('customers'),
        id: 'C1',
      }),
      undefined,
    );
  });

  it('re-reads without an item, after a lost message, or when the batch has two different items', () => {
    const withoutItem = without(delivery(), 'item');
    assert.equal(trustedItem(input({ deliveries: [withoutItem] })), undefined);
    assert.equal(trustedItem(input({ deliveries: [delivery({ previousMessageLost: true })] })), undefined);
    assert.equal(trustedItem(input({ deliveries: [delivery(), { ...withoutItem, messageId: 'm-2' }] })), undefined);
    const other = delivery({ messageId: 'm-2', item: { ...PAYMENT, paymentMethod: 'cash' } });
    assert.equal(trustedItem(input({ deliveries: [delivery(), other] })), undefined);
  });

  it('re-reads an item of another entity or without a key', () => {
    assert.equal(trustedItem(input({ deliveries: [delivery({ item: { ...PAYMENT, id: 'P2' } })] })), undefined);
    assert.equal(trustedItem(input({ deliveries: [delivery({ item: without(PAYMENT, 'id') })] })), undefined);
  });

  it('re-reads an item not newer than the cursor (a poll or sweep may have read it), or with no cursor or time', () => {
    const at = Date.parse(PAYMENT.creationTime) / 1000;
    assert.equal(trustedItem(input({ cursor: at })), undefined, 'at the cursor');
    assert.equal(trustedItem(input({ cursor: at + 60 })), undefined, 'before the cursor');
    assert.equal(trustedItem(input({ cursor: undefined })), undefined, 'no poll yet');
    const timeless = without(PAYMENT, 'creationTime');
    assert.equal(trustedItem(input({ deliveries: [delivery({ item: timeless })] })), undefined);
  });

  it('re-reads when another version of the entity is known as published, a tombstone included', () => {
    const at = CURSOR + 5;
    const tombstone = new Map([['P1', { version: DELETED, at }]]);
    assert.equal(trustedItem(input({ published: [new Map(), tombstone] })), undefined, 'deleted by a delivery');
    const other = new Map([['P1', { version: 'another-hash', at }]]);
    assert.equal(trustedItem(input({ published: [other, new Map()] })), undefined, 'another version polled');
  });
});
