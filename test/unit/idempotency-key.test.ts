/**
 * The idempotency key header is the state the source rebuilds its change detection from, and what
 * reconcile reads: it must name account, resource, id and version unambiguously whatever the id holds.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DELETED, idempotencyKey, parseIdempotencyKey } from '../../contract/idempotency-key.js';

describe('idempotency key', () => {
  it('round-trips ids holding the separators', () => {
    for (const id of ['1234', 'a/b', 'x@y', '@', '/', 'a/b@c/d', ' spaced ', 'é']) {
      const entity = { account: 'acme-1', resource: 'customers_people', id, version: 'a'.repeat(40) };
      assert.deepEqual(parseIdempotencyKey(idempotencyKey(entity)), entity, id);
    }
  });

  it('is equal for equal versions and differs across accounts, resources, ids and versions', () => {
    const base = { account: 'a', resource: 'bookings', id: '1', version: 'f00' };
    const keys = [
      base,
      { ...base, account: 'b' },
      { ...base, resource: 'payments' },
      { ...base, id: '2' },
      { ...base, version: DELETED },
    ].map(idempotencyKey);
    assert.equal(new Set(keys).size, keys.length);
    assert.equal(idempotencyKey({ ...base }), keys[0]);
  });

  it('refuses text that is not a key', () => {
    for (const text of [undefined, '', 'abc', 'a/b', 'a/b/c', '/b/c@v', 'a//c@v', 'a/b/@v', 'a/b/c@', 'f'.repeat(40)])
      assert.equal(parseIdempotencyKey(text), undefined, String(text));
  });
});
