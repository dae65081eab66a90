/* eslint-disable @typescript-eslint/no-explicit-any -- assertions read converted Avro values, whose shape the schema defines */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { avroTypeOf } from '../../avro/codec.js';
import type { ConvertContext } from '../../avro/convert.js';
import { createConverter } from '../helpers/avro-converter.js';
import { driftOrdinals, evolveSchema } from '../../avro/drift.js';
import { sourceKeyOf, type AvroField, type AvroRecord } from '../../avro/schema-json.js';
import { keySchema, valueSchemaOf } from '../../avro/schemas.js';
import { LINEAGE_COLUMN_NAMES } from '../../contract/columns.js';
import { describeTable } from '../../sinks/runner/avro-table.js';
import { maxNewFieldsFor } from '../../sinks/runner/drift-policy.js';

const small = (): AvroRecord => ({
  type: 'record',
  name: 'Thing',
  namespace: 'test.drift',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'status', type: ['null', 'string'], default: null },
    {
      name: 'price',
      type: ['null', { type: 'record', name: 'Price', fields: [{ name: 'total', type: 'long' }] }],
      default: null,
    },
  ],
});

function byKey(schema: AvroRecord): Map<string, AvroField> {
  return new Map(schema.fields.map((field) => [sourceKeyOf(field), field]));
}

/** Converts `entity` with `schema`, asserting the schema covers every key of it. */
function convert(schema: AvroRecord, entity: Record<string, unknown>): Record<string, any> {
  const context: ConvertContext = { drift: false };
  const value = createConverter(schema, 'thing.value')(entity, context);
  assert.equal(context.drift, false, 'the evolved schema covers every key');
  return value;
}

describe('avro drift: names of new fields never collide', () => {
  it('gives keys named like lineage or system columns a suffixed name, and the table a column each', () => {
    const entity: Record<string, unknown> = { id: 'T1', xmin: 1, account: 'other' };
    for (const [i, name] of LINEAGE_COLUMN_NAMES.entries()) entity[name] = i + 10;
    const { schema } = evolveSchema(small(), entity, 'thing.value');
    const fields = byKey(schema);
    for (const name of [...LINEAGE_COLUMN_NAMES, 'xmin', 'account']) {
      assert.equal(fields.get(name)?.name, `${name}_2`, name);
      assert.equal(fields.get(name)?.jsonKey, name);
    }
    const value = convert(schema, entity);
    assert.equal(value._version_2, 15);
    assert.equal(value.account_2, 'other');
    const spec = describeTable('things', keySchema(), schema);
    const column = spec.columns.find((c) => c.name === '_version_2');
    assert.deepEqual(column?.path, ['_version_2']);
    assert.equal(spec.columns.filter((c) => c.name === '_version').length, 1);
  });

  it('keeps a-b and a_b apart, and a key keeps its field in every later version', () => {
    const v1 = evolveSchema(small(), { id: 'T', 'a-b': 'dash' }, 'thing.value').schema;
    assert.deepEqual([byKey(v1).get('a-b')?.name, byKey(v1).get('a-b')?.jsonKey], ['a_b', 'a-b']);
    const entity = { id: 'T', a_b: 'underscore', 'a-b': 'dash' };
    const { schema: v2, added } = evolveSchema(v1, entity, 'thing.value');
    assert.deepEqual(
      added.map((a) => a.path),
      ['a_b'],
    );
    assert.equal(byKey(v2).get('a-b')?.name, 'a_b', 'the first key keeps its name');
    assert.equal(byKey(v2).get('a_b')?.name, 'a_b_2');
    const value = convert(v2, entity);
    assert.deepEqual([value.a_b, value.a_b_2], ['dash', 'underscore']);
    // A restart evolves the registered schema again with the same records: nothing is added.
    assert.deepEqual(evolveSchema(v2, entity, 'thing.value').added, []);
    avroTypeOf(v2);
  });

  it('names two colliding keys of one new record apart, and case-only variants too', () => {
    const entity = { id: 'T', extra: { 'x-y': 1, x_y: 2 }, Status: 'upper' };
    const { schema } = evolveSchema(small(), entity, 'thing.value');
    const extra = (byKey(schema).get('extra')?.type as [string, AvroRecord])[1];
    assert.deepEqual(
      extra.fields.map((f) => [f.name, sourceKeyOf(f)]),
      [
        ['x_y', 'x-y'],
        ['x_y_2', 'x_y'],
      ],
    );
    assert.equal(byKey(schema).get('Status')?.name, 'Status_2');
    const value = convert(schema, entity);
    assert.deepEqual([value.extra.x_y, value.extra.x_y_2, value.Status_2], [1, 2, 'upper']);
  });

  it('keeps the columns of a new record apart from each other: x.a.b and x.a_b', () => {
    const entity = { id: 'T', x: { a: { b: 1 }, a_b: 2 } };
    const { schema } = evolveSchema(small(), entity, 'thing.value');
    const names = describeTable('things', keySchema(), schema).columns.map((c) => c.name);
    assert.ok(names.includes('x_a_b') && names.includes('x_a_b_2'), names.join(', '));
    const value = convert(schema, entity);
    assert.deepEqual([value.x.a.b, value.x.a_b_2], [1, 2]);
  });

  it('avoids columns the flattened table already has, at the top and inside records', () => {
    const entity = { id: 'T', price: { total: 5, tax: 1 }, price_total: 7, price_tax: 8 };
    const { schema } = evolveSchema(small(), entity, 'thing.value');
    // price.tax is met first: it takes the column price_tax, the top-level key then moves aside.
    assert.equal(byKey(schema).get('price_total')?.name, 'price_total_2');
    assert.equal(byKey(schema).get('price_tax')?.name, 'price_tax_2');
    const names = describeTable('things', keySchema(), schema).columns.map((c) => c.name);
    assert.equal(new Set(names).size, names.length);
    assert.ok(['price_total', 'price_tax', 'price_total_2', 'price_tax_2'].every((n) => names.includes(n)));
    const value = convert(schema, entity);
    assert.deepEqual([value.price.tax, value.price_total_2, value.price_tax_2], [1, 7, 8]);
  });

  it('reads a field drift added before fields carried jsonKey by the key its doc names', () => {
    const legacy: AvroRecord = {
      ...valueSchemaOf('webhooks'),
      fields: [
        ...valueSchemaOf('webhooks').fields,
        {
          name: 'x_custom',
          type: ['null', 'string'],
          default: null,
          doc: 'Added by schema drift: Bookeo sent "x-custom", which the reviewed schema lacked; type inferred from the values seen.',
        },
      ],
    };
    const entity = { id: 'W', 'x-custom': 'v' };
    assert.deepEqual(evolveSchema(legacy, entity, 'webhooks.value').added, []);
    assert.equal(createConverter(legacy, 'webhooks.value')(entity).x_custom, 'v');
  });
});

describe('sink drift cap: the first N fields drift added, in every version', () => {
  const valueColumns = (schema: AvroRecord, cap?: number): string[] =>
    describeTable('things', keySchema(), schema, cap)
      .columns.filter((c) => c.role === 'value')
      .map((c) => c.name);

  it('ranks drift fields in the order they came, an outer field before its new record', () => {
    const v1 = evolveSchema(small(), { id: 'T', first: 1, nested: { a: 1, b: 2 } }, 'thing.value').schema;
    const v2 = evolveSchema(v1, { id: 'T', price: { total: 1, late: 3 }, second: 2 }, 'thing.value').schema;
    const ranks = [...driftOrdinals(v2)].map(([field, rank]) => [field.name, rank]);
    assert.deepEqual(
      ranks.sort((x, y) => Number(x[1]) - Number(y[1])),
      [
        ['first', 1],
        ['nested', 2],
        ['a', 3],
        ['b', 4],
        ['late', 5],
        ['second', 6],
      ],
    );
    // The nested field added in v2 (price.late) comes before `first` in column order, yet a cap of 2
    // keeps the same two fields in both versions.
    assert.deepEqual(valueColumns(v1, 2), ['status', 'price_total', 'first']);
    assert.deepEqual(valueColumns(v2, 2), ['status', 'price_total', 'first']);
    assert.deepEqual(valueColumns(v2, 4), ['status', 'price_total', 'first', 'nested_a', 'nested_b']);
    assert.deepEqual(valueColumns(v2, 0), ['status', 'price_total'], 'freeze: the reviewed columns only');
    assert.deepEqual(valueColumns(v2), [
      'status',
      'price_total',
      'price_late',
      'first',
      'nested_a',
      'nested_b',
      'second',
    ]);
  });

  it("resolves a resource's cap from sink.drift: its own, its freeze, else the default", () => {
    const drift = {
      maxNewFields: 5,
      resources: { bookings: { maxNewFields: 2 }, payments: { freeze: true } },
    } as const;
    assert.equal(maxNewFieldsFor(drift, 'bookings'), 2);
    assert.equal(maxNewFieldsFor(drift, 'payments'), 0);
    assert.equal(maxNewFieldsFor(drift, 'customers'), 5);
    assert.equal(maxNewFieldsFor({ resources: {} }, 'customers'), undefined);
  });
});
