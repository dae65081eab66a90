import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DLQ_HEADER, buildDeadLetterHeaders, originalHeaders } from '../../sinks/dlq/dead-letter.js';
import { wireSchemaId } from '../../sinks/runner/decode.js';

describe('sink dead letters', () => {
  const now = new Date('2026-11-24T10:00:00.000Z');

  it('names the origin, schema id, stage and error of the record', () => {
    const error = new RangeError('bad decimal');
    const headers = buildDeadLetterHeaders({ topic: 'bookeo.bookings', partition: 2, offset: 41, schemaId: 7, stage: 'write', error, destination: 'clickhouse' }, now);
    assert.deepEqual(headers, {
      [DLQ_HEADER.topic]: 'bookeo.bookings',
      [DLQ_HEADER.partition]: '2',
      [DLQ_HEADER.offset]: '41',
      [DLQ_HEADER.schemaId]: '7',
      [DLQ_HEADER.stage]: 'write',
      [DLQ_HEADER.errorClass]: 'RangeError',
      [DLQ_HEADER.errorMessage]: 'bad decimal',
      [DLQ_HEADER.destination]: 'clickhouse',
      [DLQ_HEADER.failedAt]: '2026-11-24T10:00:00.000Z',
    });
  });

  it('omits an unknown schema id and cuts very long messages', () => {
    const headers = buildDeadLetterHeaders({ topic: 't', partition: 0, offset: 0, schemaId: undefined, stage: 'decode', error: new Error('x'.repeat(10_000)), destination: 'd' }, now);
    assert.equal(headers[DLQ_HEADER.schemaId], undefined);
    assert.ok((headers[DLQ_HEADER.errorMessage] ?? '').length <= 4_001);
  });

  it('strips its own headers for a redrive and keeps the record\'s', () => {
    assert.deepEqual(originalHeaders({ trace: 'abc', [DLQ_HEADER.topic]: 't', [DLQ_HEADER.offset]: '1' }), { trace: 'abc' });
    assert.deepEqual(originalHeaders(undefined), {});
  });

  it('reads the schema id of Confluent-framed bytes only', () => {
    const framed = Buffer.from([0, 0, 0, 1, 2, 9, 9]);
    assert.equal(wireSchemaId(framed), 258);
    assert.equal(wireSchemaId(Buffer.from('not avro')), undefined);
    assert.equal(wireSchemaId(null), undefined);
  });
});
