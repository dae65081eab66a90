/**
 * A value schema with every Avro type a table column can come from besides a booking's: bytes,
 * floats, an enum, nullable scalars, arrays of logical types, multi-branch unions, a nullable
 * record, records in arrays, nested arrays and maps. For destination tests of how each is stored.
 */
const timestamp = { type: 'long', logicalType: 'timestamp-millis' };
const date = { type: 'int', logicalType: 'date' };
export const kitchenValueSchema = {
  type: 'record',
  name: 'Kitchen',
  fields: [
    { name: 'blob', type: 'bytes' },
    { name: 'ratio', type: 'float' },
    { name: 'big', type: 'double' },
    { name: 'maybe', type: ['null', 'double'] },
    { name: 'kind', type: { type: 'enum', name: 'Kind', symbols: ['A', 'B_2'] } },
    { name: 'small', type: 'int' },
    { name: 'flag', type: ['null', 'boolean'] },
    { name: 'stamps', type: { type: 'array', items: timestamp } },
    { name: 'days', type: { type: 'array', items: date } },
    {
      name: 'amounts',
      type: { type: 'array', items: { type: 'bytes', logicalType: 'decimal', precision: 20, scale: 6 } },
    },
    { name: 'price', type: ['null', { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 4 }] },
    { name: 'blobs', type: { type: 'array', items: 'bytes' } },
    { name: 'words', type: { type: 'array', items: ['null', 'string'] } },
    { name: 'either', type: ['string', 'long'] },
    {
      name: 'where',
      type: [
        'null',
        {
          type: 'record',
          name: 'Where',
          fields: [
            { name: 'city', type: ['null', 'string'] },
            { name: 'at', type: timestamp },
            { name: 'tags', type: { type: 'array', items: 'string' } },
          ],
        },
      ],
    },
    {
      name: 'events',
      type: {
        type: 'array',
        items: {
          type: 'record',
          name: 'Ev',
          fields: [
            { name: 'at', type: timestamp },
            { name: 'day', type: date },
            { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2 } },
          ],
        },
      },
    },
    { name: 'matrix', type: { type: 'array', items: { type: 'array', items: 'int' } } },
    { name: 'counts', type: { type: 'map', values: 'long' } },
  ],
};
