/**
 * When a delivery's item stands for the re-read by id (item-trust.ts): only a payment's (created
 * only, no expansion to lack), newer than the payments cursor, the same in every delivery of the
 * batch, naming the delivery's entity, with no other version of it known as published (a tombstone
 * included) and no lost message reported. And when it spares any work: an item strictly older than
 * a version known as published. Each case changes one condition and must fall back to the re-read.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resourceByName } from '../../bookeo/catalog/catalog.js';
import { contentHash } from '../../bookeo/catalog/content-hash.js';
import { DELETED } from '../../contract/idempotency-key.js';
import type { SeenVersions } from '../../connector/source/dedupe.js';
import type { WebhookDelivery } from '../../connector/source/webhooks/delivery.js';
import { SUPERSEDED } from '../../connector/source/webhooks/entity-reads.js';
import {
  CREATED_ONLY_RESOURCES,
  itemUse,
  supersededItem,
  trustedItem,
} from '../../connector/source/webhooks/item-trust.js';

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

  describe('superseded items', () => {
    const BOOKING = {
      bookingNumber: 'B1',
      creationTime: '2026-06-01T09:00:00Z',
      lastChangeTime: '2026-06-01T10:00:00Z',
    };
    const at = (iso: string): number => Date.parse(iso) / 1000;
    const bookingInput = (
      published: SeenVersions[],
      deliveries: WebhookDelivery[] = [delivery({ domain: 'bookings', type: 'updated', itemId: 'B1', item: BOOKING })],
    ) => ({ ...input({ deliveries, published }), definition: resourceByName('bookings'), id: 'B1' });
    const newer = (seconds: number, version = 'v2'): SeenVersions =>
      new Map([['B1', { version, at: at(BOOKING.lastChangeTime) + seconds }]]);

    it('leaves alone a booking item older than a version the poll or a delivery published, or a tombstone', () => {
      assert.equal(supersededItem(bookingInput([newer(1), new Map()])), true, 'the poll published a newer one');
      assert.equal(supersededItem(bookingInput([new Map(), newer(60, DELETED)])), true, 'deleted since');
      assert.equal(itemUse(bookingInput([new Map(), newer(1)])), SUPERSEDED);
    });

    it('re-reads an item as new as, or newer than, what is known, or with nothing known', () => {
      assert.equal(supersededItem(bookingInput([newer(0), new Map()])), false, 'same second: maybe another state');
      assert.equal(supersededItem(bookingInput([newer(-60), new Map()])), false, 'older published');
      assert.equal(supersededItem(bookingInput([new Map(), new Map()])), false);
      assert.equal(itemUse(bookingInput([newer(0), new Map()])), undefined);
    });

    it('re-reads when any delivery lacks an older item, names another entity, or reports a lost message', () => {
      const base = delivery({ domain: 'bookings', type: 'updated', itemId: 'B1', item: BOOKING });
      const later = { ...BOOKING, lastChangeTime: '2026-06-01T11:00:00Z' };
      const cases: Array<[string, WebhookDelivery]> = [
        ['no item', without(base, 'item')],
        ['a newer item', { ...base, messageId: 'm-2', item: later }],
        ['another entity', { ...base, messageId: 'm-2', item: { ...BOOKING, bookingNumber: 'B2' } }],
        ['a lost message', { ...base, messageId: 'm-2', previousMessageLost: true }],
      ];
      for (const [what, other] of cases)
        assert.equal(supersededItem(bookingInput([newer(1), new Map()], [base, other])), false, what);
    });

    it('never for a customer, whose items have no change time', () => {
      const customer = { id: 'C1', creationTime: '2026-06-01T09:00:00Z' };
      const known = new Map([['C1', { version: 'v2', at: at('2026-06-02T00:00:00Z') }]]);
      const customers = {
        ...input({
          deliveries: [delivery({ domain: 'customers', type: 'updated', itemId: 'C1', item: customer })],
          published: [known],
        }),
        definition: resourceByName('customers'),
        id: 'C1',
      };
      assert.equal(supersededItem(customers), false);
    });
  });
});
