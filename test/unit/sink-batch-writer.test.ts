/**
 * The batch writer against an in-memory destination and dead-letter reporter: a batch the
 * destination refuses for one record's data is split in halves until that record stands alone and
 * goes to the dead-letter topic while the rest is written; records that do not decode go there
 * (stage decode) without being offered to the destination, and each is announced for the commit.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../common/logger.js';
import { createMetricsRegistry } from '../../common/metrics.js';
import { createRetry } from '../../common/retry.js';
import type { Destination, WriteBatch } from '../../sinks/destination.js';
import type { DeadLetterCause, DeadLetterReporter } from '../../sinks/dlq/dead-letter.js';
import { DestinationError } from '../../sinks/errors.js';
import { createBatchWriter } from '../../sinks/runner/batch-writer.js';
import type { Batch } from '../../sinks/runner/batcher.js';
import type { RecordDecoder, SinkEntry } from '../../sinks/runner/decode.js';
import { createSinkMetrics } from '../../sinks/runner/metrics.js';

const TOPIC = 'p.items';
const KEY_SCHEMA = { type: 'record', name: 'ItemKey', fields: [{ name: 'account', type: 'string' }, { name: 'id', type: 'string' }] };
const VALUE_SCHEMA = { type: 'record', name: 'Item', fields: [{ name: 'name', type: 'string' }] };
/** The destination refuses a row with this name for its data. */
const REFUSED = 'refused';
/** The decoder cannot read a value with these bytes. */
const UNDECODABLE = 'undecodable';

const decoder: RecordDecoder = {
  decodeKeyNow: () => undefined,
  schemaOfNow: () => undefined,
  decodeKey: async () => ({ schemaId: 1, schema: KEY_SCHEMA, value: {} }),
  schemaOf: async () => ({ schemaId: 2, schema: VALUE_SCHEMA }),
  async decodeValue(buffer) {
    const name = buffer.toString();
    if (name === UNDECODABLE) throw new Error('truncated body');
    return { schemaId: 2, schema: VALUE_SCHEMA, value: { name } };
  },
  latestSchemas: async () => ({ key: { schemaId: 1, schema: KEY_SCHEMA }, value: { schemaId: 2, schema: VALUE_SCHEMA } }),
};

function upsert(offset: number, name: string): SinkEntry {
  const message = { key: Buffer.from(`k${offset}`), value: Buffer.from(name), headers: {}, offset: String(offset) };
  return { kind: 'upsert', offset, message, key: { schemaId: 1, schema: KEY_SCHEMA, value: { account: 'a', id: `i${offset}` } }, value: { schemaId: 2, schema: VALUE_SCHEMA } };
}

function unreadable(offset: number): SinkEntry {
  const message = { key: Buffer.from(`k${offset}`), value: Buffer.from([1, 2, 3]), headers: {}, offset: String(offset) };
  return { kind: 'dead', offset, message, schemaId: undefined, error: new Error('not Confluent-framed') };
}

function batchOf(entries: SinkEntry[]): Batch<SinkEntry> {
  return { topic: TOPIC, partition: 0, firstOffset: entries[0]?.offset ?? 0, lastOffset: entries.at(-1)?.offset ?? 0, entries, bytes: 0, cutBy: 'rows' };
}

function harness() {
  const written: string[] = [];
  const attempts: string[] = [];
  const deadLettered: Array<Pick<DeadLetterCause, 'offset' | 'stage'>> = [];
  const range = (batch: WriteBatch): string => `${batch.firstOffset}-${batch.lastOffset}`;
  const destination = {
    prepare: async () => ({ created: false, addedColumns: [] }),
    async write(batch: WriteBatch) {
      attempts.push(range(batch));
      if (batch.records.some((record) => record.value?.name === REFUSED)) throw new DestinationError('value out of range', { reason: 'bad-data', table: batch.table.name });
      written.push(range(batch));
      return { rows: batch.records.length, token: range(batch) };
    },
  } as unknown as Destination;
  const deadLetters: DeadLetterReporter = {
    topic: 'p.dlq',
    report: async (_message, cause) => void deadLettered.push({ offset: cause.offset, stage: cause.stage }),
    close: async () => undefined,
  };
  const writer = createBatchWriter({
    destination,
    destinationName: 'memory',
    decoder,
    deadLetters,
    retry: createRetry({ retries: 0, initialDelayMs: 1, maxDelayMs: 1, multiplier: 1 }),
    tableOf: () => 'items',
    metrics: createSinkMetrics(createMetricsRegistry()),
    logger: createLogger({ level: 'silent', format: 'json' }),
  });
  return { writer, written, attempts, deadLettered };
}

describe('batch writer', () => {
  it('splits a refused batch in halves until the refused record stands alone, dead-letters it and writes the rest', async () => {
    const { writer, written, attempts, deadLettered } = harness();
    const entries = [0, 1, 2, 3, 4, 5].map((offset) => upsert(offset, offset === 3 ? REFUSED : `n${offset}`));
    await writer.write(batchOf(entries), new AbortController().signal, () => assert.fail('no decode failure to announce'));
    assert.deepEqual(attempts, ['0-5', '0-2', '3-5', '3-4', '3-3', '4-4', '5-5'], 'halves of the refused part, in offset order');
    assert.deepEqual(written, ['0-2', '4-4', '5-5']);
    assert.deepEqual(deadLettered, [{ offset: 3, stage: 'write' }]);
  });

  it('dead-letters records that do not decode (stage decode), announces each unreadable one, and writes the others', async () => {
    const { writer, written, attempts, deadLettered } = harness();
    let announced = 0;
    const entries = [upsert(0, 'n0'), unreadable(1), upsert(2, UNDECODABLE), upsert(3, 'n3')];
    await writer.write(batchOf(entries), new AbortController().signal, () => void announced++);
    assert.deepEqual(attempts, ['0-3'], 'the destination is offered only the records that decode');
    assert.deepEqual(written, ['0-3']);
    assert.deepEqual(
      [...deadLettered].sort((a, b) => a.offset - b.offset),
      [
        { offset: 1, stage: 'decode' },
        { offset: 2, stage: 'decode' },
      ],
    );
    assert.equal(announced, 1, 'the unreadable record was announced (the commit waits for it); the undecodable value is settled by the write itself');
  });
});
