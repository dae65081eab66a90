/**
 * A value schema with every shape the sink's column model produces (enum, bytes, fixed, float,
 * multi-branch unions, decimals of three widths, nested nullable records, arrays of records with
 * maps, maps, nullable arrays, logical types) and a field named like a key column, with values that
 * reach the edges (negative numbers, two-byte string lengths, empty and null collections). Used by
 * the Native encoder's unit tests and the ClickHouse destination's integration test.
 */
import { integerToBytes } from '../../avro/logical.js';

/** Key columns `account, id`; the value schema below has an `id` too, which the table drops (the key's wins). */
export const edgeKey = {
  type: 'record',
  name: 'EdgeKey',
  fields: [
    { name: 'account', type: 'string' },
    { name: 'id', type: 'string' },
  ],
} as const;
export const edgeValue = {
  type: 'record',
  name: 'Edge',
  namespace: 'test',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'kind', type: { type: 'enum', name: 'Kind', symbols: ['a', 'b', 'c'] } },
    { name: 'raw', type: 'bytes' },
    { name: 'digest', type: { type: 'fixed', name: 'Digest', size: 4 } },
    { name: 'ratio', type: 'float' },
    { name: 'score', type: 'double' },
    { name: 'big', type: 'long' },
    { name: 'flag', type: 'boolean' },
    { name: 'either', type: ['null', 'string', 'long'], default: null },
    { name: 'choice', type: ['string', 'long'] },
    { name: 'money', type: { type: 'fixed', name: 'Money', size: 8, logicalType: 'decimal', precision: 18, scale: 2 } },
    { name: 'wide', type: { type: 'bytes', logicalType: 'decimal', precision: 30, scale: 3 } },
    { name: 'small', type: { type: 'bytes', logicalType: 'decimal', precision: 9, scale: 0 } },
    {
      name: 'outer',
      type: [
        'null',
        {
          type: 'record',
          name: 'Outer',
          fields: [
            { name: 'label', type: 'string' },
            {
              name: 'inner',
              type: [
                'null',
                {
                  type: 'record',
                  name: 'Inner',
                  fields: [
                    { name: 'n', type: 'int' },
                    { name: 'tags', type: { type: 'array', items: 'string' } },
                  ],
                },
              ],
              default: null,
            },
          ],
        },
      ],
      default: null,
    },
    {
      name: 'items',
      type: {
        type: 'array',
        items: {
          type: 'record',
          name: 'Item',
          fields: [
            { name: 'sku', type: ['null', 'string'] },
            { name: 'qty', type: 'int' },
            { name: 'attrs', type: { type: 'map', values: ['null', 'double'] } },
          ],
        },
      },
    },
    { name: 'props', type: { type: 'map', values: 'long' } },
    { name: 'maybeList', type: ['null', { type: 'array', items: 'int' }], default: null },
    { name: 'when', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'day', type: { type: 'int', logicalType: 'date' } },
  ],
} as const;

function fixedDecimal(value: bigint, size: number): Buffer {
  const minimal = integerToBytes(value);
  return Buffer.concat([Buffer.alloc(size - minimal.length, value < 0n ? 0xff : 0), minimal]);
}

export function edge(n: number): Record<string, unknown> {
  const long = 'ü'.repeat(70); // 140 bytes: a two-byte length
  return {
    id: `ignored-${n}`,
    kind: ['a', 'b', 'c'][n % 3],
    raw: Buffer.from([n, 0, 255]),
    digest: Buffer.from([1, 2, 3, n % 256]),
    ratio: n / 3,
    score: -n * 1e10 - 0.5,
    big: n % 2 === 0 ? 2 ** 52 + n : -(2 ** 40) - n,
    flag: n % 2 === 1,
    either: [null, `e${n}`, n * 7][n % 3],
    choice: n % 2 === 0 ? 'text' : -n,
    money: fixedDecimal(BigInt(n % 2 === 0 ? 123_456 + n : -98_765 - n), 8),
    wide: integerToBytes(n % 2 === 0 ? 10n ** 25n + BigInt(n) : -(10n ** 20n) - BigInt(n)),
    small: integerToBytes(n % 2 === 0 ? 999_999_999 : -n),
    outer:
      n % 4 === 0
        ? null
        : {
            label: n % 4 === 1 ? long : `o${n}`,
            inner: n % 4 === 2 ? null : { n: -n, tags: n % 3 === 0 ? [] : ['x', 'yz'] },
          },
    items:
      n % 5 === 0
        ? []
        : [
            { sku: null, qty: n, attrs: { w: 1.5, h: null } },
            { sku: `s${n}`, qty: -1, attrs: {} },
          ],
    props: n % 2 === 0 ? {} : { a: n, b: -(2 ** 50) },
    maybeList: n % 3 === 0 ? null : [n, n + 1],
    when: 1_767_225_600_123 + n,
    day: 20_454 - n,
  };
}
