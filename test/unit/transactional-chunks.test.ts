import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OutgoingRecord } from '../../kafka/records.js';
import { chunkByBytes } from '../../kafka/transactional-writer.js';

const record = (bytes: number): OutgoingRecord => ({ topic: 't', key: 'k', value: Buffer.alloc(bytes) });

describe('transaction chunking', () => {
  it('keeps order and every record, each chunk under the byte bound', () => {
    const records = Array.from({ length: 1000 }, () => record(700));
    const chunks = chunkByBytes(records, 64 * 1024);
    assert.equal(chunks.flat().length, 1000);
    assert.deepEqual(chunks.flat(), records);
    for (const chunk of chunks) assert.ok(chunk.length * (700 + 1 + 64) <= 64 * 1024);
    assert.ok(chunks.length > 1);
  });

  it('sends a record larger than the bound alone, and nothing for no records', () => {
    assert.deepEqual(
      chunkByBytes([record(10), record(100_000), record(10)], 1024).map((chunk) => chunk.length),
      [1, 1, 1],
    );
    assert.deepEqual(chunkByBytes([], 1024), []);
  });
});
