/**
 * Canonical JSON with cached key orders must be exactly the plain algorithm's text (keys sorted,
 * members joined), for every shape, however many shapes come and in whatever order: the hash is
 * state kept in topics, so it may never change.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson, contentHash } from '../../bookeo/catalog/content-hash.js';

/** The reference: the plain algorithm (sort every object's keys, join), no caching. */
function plain(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((item) => plain(item) ?? 'null').join(',')}]`;
  const source = value as Record<string, unknown>;
  const members = Object.keys(source)
    .sort()
    .flatMap((key) => {
      const text = plain(source[key]);
      return text === undefined ? [] : [`${JSON.stringify(key)}:${text}`];
    });
  return `{${members.join(',')}}`;
}
const reference = (value: unknown): string => plain(value) ?? 'null';

describe('canonicalJson', () => {
  it('equals the plain algorithm for tricky values (numeric keys sort as text, like JSON text)', () => {
    const values: unknown[] = [
      { b: 1, a: { d: [2, 1, undefined], c: undefined } },
      {
        a: -0,
        b: 1e21,
        c: Number.NaN,
        d: Number.POSITIVE_INFINITY,
        e: 'quote " backslash \\ line\u2028 lone\ud800',
        f: null,
        g: [null, true, false],
      },
      { '10': 1, '2': 2, b: 3, B: 4, é: 5, _: 6 },
      [],
      {},
      [{}, [], [[]]],
      'text',
      12.5,
      null,
    ];
    for (const value of values) assert.equal(canonicalJson(value), reference(value));
    assert.equal(canonicalJson(undefined), 'null');
  });

  it('is the same for the same content whatever the key order, shape after shape', () => {
    const orders = [
      { id: '1', name: 'a', price: { amount: '1.00', currency: 'EUR' } },
      { price: { currency: 'EUR', amount: '1.00' }, name: 'a', id: '1' },
      { name: 'a', id: '1', price: { amount: '1.00', currency: 'EUR' } },
    ];
    for (let round = 0; round < 3; round++) {
      for (const value of orders)
        assert.equal(canonicalJson(value), '{"id":"1","name":"a","price":{"amount":"1.00","currency":"EUR"}}');
    }
    assert.equal(contentHash(orders[0]), contentHash(orders[1]));
  });

  it('stays exact past the shape cache limits (many shapes under one first key, many first keys)', () => {
    for (let n = 0; n < 3000; n++) {
      const value = {
        first: n,
        [`k${n % 97}`]: { [`z${n}`]: n, a: [n, { [`y${n}`]: true, b: null }] },
        ...(n % 2 === 0 ? { extra: 'x' } : {}),
      };
      assert.equal(canonicalJson(value), reference(value));
      const other = { [`f${n}`]: n, a: n };
      assert.equal(canonicalJson(other), reference(other));
    }
  });
});
