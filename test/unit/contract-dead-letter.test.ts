import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEAD_LETTER_HEADER,
  deadLetterHeaders,
  originalHeaders,
  readDeadLetterHeaders,
  REDRIVEN_FROM_HEADER,
} from '../../contract/dead-letter-headers.js';
import { siblingSinkDeadLetterTopic, sinkDeadLetterTopic } from '../../contract/dead-letter-topics.js';

describe('contract: dead letters', () => {
  it('writes only the facts it is given, under the one vocabulary', () => {
    assert.deepEqual(
      deadLetterHeaders({
        topic: 'bookeo.customers_people',
        errorClass: 'MalformedResponseError',
        errorMessage: 'body is not JSON',
      }),
      {
        'bookeo.dlq.topic': 'bookeo.customers_people',
        'bookeo.dlq.error.class': 'MalformedResponseError',
        'bookeo.dlq.error.message': 'body is not JSON',
      },
    );
  });

  it('reads the names the source wrote before the one vocabulary', () => {
    const read = readDeadLetterHeaders({
      'dlq.topic': 'bookeo.bookings',
      'dlq.error-class': 'AvroRecordError',
      'dlq.reason': Buffer.from('price: not a decimal'),
      'bookeo.resource': 'bookings',
    });
    assert.equal(read.topic, 'bookeo.bookings');
    assert.equal(read.errorClass, 'AvroRecordError');
    assert.equal(read.errorMessage, 'price: not a decimal');
    assert.equal(read.stage, undefined);
  });

  it('prefers the current name when a record carries both', () => {
    const read = readDeadLetterHeaders({
      [DEAD_LETTER_HEADER.errorMessage]: 'now',
      'dlq.reason': 'before',
      [DEAD_LETTER_HEADER.offset]: ['41', '42'],
    });
    assert.equal(read.errorMessage, 'now');
    assert.equal(read.offset, '41');
    assert.deepEqual(
      readDeadLetterHeaders(undefined),
      Object.fromEntries(Object.keys(DEAD_LETTER_HEADER).map((fact) => [fact, undefined])),
    );
  });

  it('gives a redrive the original headers: without the dead-letter ones, old names too', () => {
    const headers = {
      trace: 'abc',
      [DEAD_LETTER_HEADER.topic]: 't',
      [DEAD_LETTER_HEADER.offset]: '1',
      'dlq.reason': 'x',
      [REDRIVEN_FROM_HEADER]: 'dlq:0:1',
    };
    assert.deepEqual(originalHeaders(headers), { trace: 'abc', [REDRIVEN_FROM_HEADER]: 'dlq:0:1' });
    assert.deepEqual(originalHeaders(undefined), {});
  });

  it('names a sink dead-letter topic by its destination unless configured; siblings in one process get their own', () => {
    assert.equal(sinkDeadLetterTopic(undefined, 'clickhouse'), 'bookeo-connect.dlq.sink-clickhouse');
    assert.equal(sinkDeadLetterTopic('mine', 'clickhouse'), 'mine');
    assert.equal(siblingSinkDeadLetterTopic('mine', 'duckdb'), 'mine-duckdb');
    assert.equal(siblingSinkDeadLetterTopic(undefined, 'duckdb'), 'bookeo-connect.dlq.sink-duckdb');
  });
});
