import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEAD_LETTER_HEADER } from '../../contract/dead-letter-headers.js';
import { buildDeadLetterHeaders } from '../../sinks/dlq/dead-letter.js';
import { wireSchemaId } from '../../sinks/runner/decode.js';

describe('sink dead letters', () => {
  const now = new Date('2026-11-24T10:00:00.000Z');

  it('names the origin, schema id, stage and error of the record', () => {
    const error = new RangeError('bad decimal');
    const headers = buildDeadLetterHeaders(
      {
        topic: 'bookeo.bookings',
        partition: 2,
        offset: 41,
        schemaId: 7,
        stage: 'write',
        error,
        destination: 'clickhouse',
      },
      now,
    );
    assert.deepEqual(headers, {
      [DEAD_LETTER_HEADER.topic]: 'bookeo.bookings',
      [DEAD_LETTER_HEADER.partition]: '2',
      [DEAD_LETTER_HEADER.offset]: '41',
      [DEAD_LETTER_HEADER.schemaId]: '7',
      [DEAD_LETTER_HEADER.stage]: 'write',
      [DEAD_LETTER_HEADER.errorClass]: 'RangeError',
      [DEAD_LETTER_HEADER.errorMessage]: 'bad decimal',
      [DEAD_LETTER_HEADER.destination]: 'clickhouse',
      [DEAD_LETTER_HEADER.failedAt]: '2026-11-24T10:00:00.000Z',
    });
  });

  it('omits an unknown schema id and cuts very long messages', () => {
    const headers = buildDeadLetterHeaders(
      {
        topic: 't',
        partition: 0,
        offset: 0,
        schemaId: undefined,
        stage: 'decode',
        error: new Error('x'.repeat(10_000)),
        destination: 'd',
      },
      now,
    );
    assert.equal(headers[DEAD_LETTER_HEADER.schemaId], undefined);
    assert.ok((headers[DEAD_LETTER_HEADER.errorMessage] ?? '').length <= 4_001);
  });

  it('reads the schema id of Confluent-framed bytes only', () => {
    const framed = Buffer.from([0, 0, 0, 1, 2, 9, 9]);
    assert.equal(wireSchemaId(framed), 258);
    assert.equal(wireSchemaId(Buffer.from('not avro')), undefined);
    assert.equal(wireSchemaId(null), undefined);
  });
});
