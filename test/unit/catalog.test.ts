import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { RESOURCE_CATALOG, UNLISTED_RESOURCES, resourceByName, selectResources } from '../../bookeo/catalog/catalog.js';
import { RESOURCE_NAMES } from '../../contract/resources.js';
import {
  EntityKeyError,
  childPath,
  entityFingerprint,
  entityId,
  entityTime,
  parseBookeoTime,
} from '../../bookeo/catalog/entity.js';
import { listRequest } from '../../bookeo/catalog/requests.js';

// bookeo-api.md §4: max itemsPerPage per endpoint.
const MAX_PAGE_SIZE: Record<string, number> = {
  '/bookings': 100,
  '/customers': 100,
  '/customers/{id}/linkedpeople': 100,
  '/settings/products': 100,
  '/settings/resources': 100,
  '/payments': 300,
};

describe('resource catalog', () => {
  it('defines every published resource, in the published order, each with its own schema', () => {
    const names = RESOURCE_CATALOG.map((definition) => definition.name);
    assert.deepEqual(names, RESOURCE_NAMES);
    assert.equal(new Set(RESOURCE_CATALOG.map((definition) => definition.avroSchema)).size, names.length);
  });

  it('respects the documented page-size maxima and window limit', () => {
    for (const definition of RESOURCE_CATALOG) {
      if (definition.pagination.kind === 'pages') {
        assert.equal(definition.pagination.maxItemsPerPage, MAX_PAGE_SIZE[definition.path], definition.name);
        assert.ok(definition.pagination.itemsPerPage <= definition.pagination.maxItemsPerPage, definition.name);
      }
      if (definition.cursor.kind === 'lastUpdatedWindow' || definition.cursor.kind === 'timeWindow')
        assert.ok(definition.cursor.maxWindowDays <= 31, definition.name);
      if (definition.cursor.kind === 'child')
        assert.ok(RESOURCE_CATALOG.some((parent) => parent.name === (definition.cursor as { parent: string }).parent));
    }
  });

  it('names the value schema kept in avro/schemas/<resource>.avsc', () => {
    for (const definition of RESOURCE_CATALOG) {
      const schema = JSON.parse(
        readFileSync(new URL(`../../avro/schemas/${definition.name}.avsc`, import.meta.url), 'utf8'),
      ) as { name: string; namespace: string };
      assert.equal(`${schema.namespace}.${schema.name}`, definition.avroSchema, definition.name);
    }
  });

  it('reads bookings with canceled ones and participants over lastUpdated windows', () => {
    const bookings = resourceByName('bookings');
    assert.equal(bookings.cursor.kind, 'lastUpdatedWindow');
    assert.deepEqual(bookings.params, { includeCanceled: true, expandParticipants: true });
    const request = listRequest(bookings, { window: { start: 0, end: 59 } });
    assert.deepEqual(request, {
      path: '/bookings',
      pagination: 'pages',
      label: 'bookings',
      query: {
        includeCanceled: true,
        expandParticipants: true,
        lastUpdatedStartTime: '1970-01-01T00:00:00Z',
        lastUpdatedEndTime: '1970-01-01T00:00:59Z',
        itemsPerPage: 100,
      },
    });
    assert.throws(() => listRequest(bookings), RangeError);
  });

  it('builds child, snapshot and unpaged requests', () => {
    assert.deepEqual(listRequest(resourceByName('customers_people'), { parentId: 'C 1/x' }), {
      path: '/customers/C%201%2Fx/linkedpeople',
      pagination: 'pages',
      label: 'customers_people',
      query: { itemsPerPage: 100 },
    });
    assert.deepEqual(
      listRequest(resourceByName('customers'), { query: { createdSince: '2024-01-01T00:00:00Z' } }).query,
      { createdSince: '2024-01-01T00:00:00Z', itemsPerPage: 100 },
    );
    assert.deepEqual(listRequest(resourceByName('settings_languages')), {
      path: '/settings/languages',
      pagination: 'none',
      query: {},
      label: 'settings_languages',
    });
    assert.throws(() => listRequest(resourceByName('customers_people')), RangeError);
    assert.throws(() => childPath(resourceByName('bookings'), 'x'), RangeError);
  });

  it('documents holds as not polled, and says why on lookup', () => {
    assert.equal(UNLISTED_RESOURCES[0]?.name, 'holds');
    assert.throws(() => resourceByName('holds'), /not polled: no list endpoint/);
    assert.throws(() => resourceByName('bookingz'), /unknown resource "bookingz"; known: bookings, /);
  });

  it('selects resources and pulls in the parent of a child', () => {
    assert.equal(selectResources().length, RESOURCE_CATALOG.length);
    assert.deepEqual(
      selectResources(['customers_people']).map((definition) => definition.name),
      ['customers', 'customers_people'],
    );
    assert.deepEqual(
      selectResources(['payments', 'bookings']).map((definition) => definition.name),
      ['bookings', 'payments'],
    );
  });
});

describe('entities', () => {
  const bookings = resourceByName('bookings');
  const people = resourceByName('customers_people');

  it('builds ids from key fields', () => {
    assert.equal(entityId(bookings, { bookingNumber: '1234' }), '1234');
    assert.equal(entityId(bookings, { bookingNumber: 1234 }), '1234');
    assert.equal(entityId(people, { customerId: 'C1', id: 'P9' }), 'C1/P9');
    assert.throws(() => entityId(people, { id: 'P9' }), EntityKeyError);
    assert.throws(() => entityId(bookings, { bookingNumber: '' }), EntityKeyError);
  });

  it('takes lastChangeTime, falling back to creationTime, with any offset', () => {
    assert.equal(
      entityTime(bookings, { creationTime: '2024-01-01T00:00:00Z' }),
      Date.parse('2024-01-01T00:00:00Z') / 1000,
    );
    assert.equal(
      entityTime(bookings, { creationTime: '2024-01-01T00:00:00Z', lastChangeTime: '2024-01-02T00:00:00-05:00' }),
      Date.parse('2024-01-02T05:00:00Z') / 1000,
    );
    assert.equal(
      entityTime(resourceByName('customers'), { creationTime: '2024-01-01T00:00:00.900+00:00' }),
      Date.parse('2024-01-01T00:00:00Z') / 1000,
    );
    assert.equal(entityTime(resourceByName('webhooks'), { creationTime: '2024-01-01T00:00:00Z' }), undefined);
    assert.equal(parseBookeoTime('2024-01-01'), undefined);
    assert.equal(parseBookeoTime('2024-13-45T00:00:00Z'), undefined);
  });

  it('fingerprints by id and content, independent of key order', () => {
    const a = entityFingerprint(bookings, { bookingNumber: '1', title: 'x', price: { a: 1, b: 2 } });
    const b = entityFingerprint(bookings, { price: { b: 2, a: 1 }, title: 'x', bookingNumber: '1' });
    assert.equal(a, b);
    assert.notEqual(a, entityFingerprint(bookings, { bookingNumber: '1', title: 'y' }));
    assert.match(a, /^1@[0-9a-f]{40}$/);
  });
});
