/**
 * The batch writer over in-memory fakes of a Destination, the dead-letter reporter and the registry
 * decoder: a batch reaches the destination as Avro with one resolved schema, prepared once per
 * version; a record the destination refuses is isolated by splitting and dead-lettered with the
 * stage its error names (a body that does not decode: `decode`; bad data: `write`), never decoded
 * again to find out; the refused part is split in halves until the refused record stands alone.
 * Records that could not even be read at intake are dead-lettered (stage decode) and announced.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { WireFormatError } from '../../avro/wire.js';
import { createLogger } from '../../common/logger.js';
import { createRetry } from '../../common/retry.js';
import type { DeadLetterCause } from '../../sinks/dlq/dead-letter.js';
import type { Destination, ResolvedSchema, WriteBatch } from '../../sinks/destination.js';
import { DestinationError } from '../../sinks/errors.js';
import { createBatchWriter } from '../../sinks/runner/batch-writer.js';
import type { Batch } from '../../sinks/runner/batcher.js';
import type { RecordDecoder, SinkEntry } from '../../sinks/runner/decode.js';
import { createSinkMetrics } from '../../sinks/runner/metrics.js';
import type { ConsumedMessage } from '../../kafka/consumer.js';
import { describeTable } from '../../sinks/runner/avro-table.js';
import { resolvedSchema, schemaVersion } from '../../sinks/runner/registry-decoder.js';

const keySchema = { type: 'record', name: 'K', fields: [{ name: 'id', type: 'string' }] };
const valueSchema = { type: 'record', name: 'V', fields: [{ name: 'n', type: 'int' }] };
const version = schemaVersion(2, valueSchema);
const quiet = createLogger({
  level: 'silent',
  format: 'json',
  destination: new Writable({ write: (_c, _e, done) => done() }),
});

/** The offset whose body the fake destination cannot decode, and those whose row it refuses as bad data. */
const UNDECODABLE = 3;
const REFUSED = new Set([5, 13]);

function entry(offset: number): SinkEntry {
  const message: ConsumedMessage = {
    key: Buffer.from(`k${offset}`),
    value: Buffer.from(`v${offset}`),
    offset: String(offset),
    headers: {},
  };
  const key = { schemaId: 1, schema: keySchema, value: { id: `k${offset}` } };
  return {
    kind: 'upsert',
    offset,
    message,
    key,
    value: { schemaId: 2, schema: valueSchema },
    body: Buffer.from([offset * 2]),
  };
}

function harness() {
  const resolved: ResolvedSchema[] = [];
  const decoder: RecordDecoder = {
    decodeKey: () => Promise.reject(new Error('not used')),
    decodeKeyNow: () => undefined,
    schemaOf: () => Promise.reject(new Error('not used')),
    schemaOfNow: () => undefined,
    latestSchemas: () => Promise.reject(new Error('not used')),
    resolve: async (table) => {
      resolved[0] ??= resolvedSchema(version, describeTable(table, keySchema, valueSchema), () => version);
      return resolved[0];
    },
  };
  const written: number[] = [];
  const attempts: string[] = [];
  const prepared: string[] = [];
  const schemas = new Set<ResolvedSchema>();
  const destination: Destination = {
    capabilities: { idempotency: 'version' },
    ping: async () => undefined,
    prepare: async (table) => {
      prepared.push(table.name);
      return { created: true, addedColumns: [] };
    },
    write: async (batch: WriteBatch) => {
      schemas.add(batch.schema);
      const offsets = batch.records.map((record) => record.offset);
      attempts.push(`${offsets[0]}-${offsets.at(-1)}`);
      if (offsets.includes(UNDECODABLE)) batch.schema.decode(Buffer.from([0x80]), 2);
      const refused = offsets.find((offset) => REFUSED.has(offset));
      if (refused !== undefined) throw new DestinationError(`offset ${refused}: not storable`, { reason: 'bad-data' });
      written.push(...offsets);
      return { rows: offsets.length, token: 'x' };
    },
    liveVersions: () => (async function* () {})(),
    startRebuild: () => Promise.reject(new Error('not used')),
    close: async () => undefined,
  };
  const dead: Array<DeadLetterCause & { errorClass: string }> = [];
  const metrics = createSinkMetrics(new Registry());
  const writer = createBatchWriter({
    destination,
    destinationName: 'fake',
    decoder,
    deadLetters: {
      topic: 'dlq',
      report: async (_message, cause) =>
        void dead.push({ ...cause, errorClass: (cause.error as Error).constructor.name }),
      close: async () => undefined,
    },
    retry: createRetry({ retries: 0, initialDelayMs: 1, maxDelayMs: 1, multiplier: 1 }),
    tableOf: (topic) => topic.replace('p.', ''),
    metrics,
    logger: quiet,
    deadLetterAlarm: 3,
  });
  return { writer, written, attempts, prepared, schemas, dead, metrics };
}

/** A record that could not be read at intake (not Confluent-framed). */
function unreadable(offset: number): SinkEntry {
  const message: ConsumedMessage = {
    key: Buffer.from(`k${offset}`),
    value: Buffer.from([1, 2, 3]),
    offset: String(offset),
    headers: {},
  };
  return { kind: 'dead', offset, message, schemaId: undefined, error: new Error('not Confluent-framed') };
}

function batch(offsets: readonly number[], entries: readonly SinkEntry[] = offsets.map(entry)): Batch<SinkEntry> {
  return {
    topic: 'p.things',
    partition: 0,
    firstOffset: offsets[0] ?? 0,
    lastOffset: offsets.at(-1) ?? 0,
    entries: [...entries],
    bytes: 0,
    cutBy: 'rows',
  };
}

describe('sink batch writer', () => {
  it('hands the destination Avro batches with one resolved schema, prepared once per version', async () => {
    const { writer, written, prepared, schemas } = harness();
    await writer.write(batch([0, 1]), new AbortController().signal, () => undefined);
    await writer.write(batch([2]), new AbortController().signal, () => undefined);
    assert.deepEqual(written, [0, 1, 2]);
    assert.deepEqual(prepared, ['things']);
    assert.equal(schemas.size, 1);
  });

  it('dead-letters a refused record with the stage its error names, and writes the rest', async () => {
    const { writer, written, dead } = harness();
    await writer.write(batch([0, 1, 2, 3, 4, 5, 6]), new AbortController().signal, () => undefined);
    assert.deepEqual(written, [0, 1, 2, 4, 6]);
    assert.deepEqual(
      dead.map((cause) => [cause.offset, cause.stage, cause.errorClass, cause.schemaId]),
      [
        [UNDECODABLE, 'decode', 'WireFormatError', 2],
        [5, 'write', 'DestinationError', 2],
      ],
    );
    assert.ok(dead[0]?.error instanceof WireFormatError && /schema id 2 does not decode/.test(dead[0].error.message));
  });

  it('splits a refused batch in halves until the refused record stands alone, in offset order', async () => {
    const { writer, written, attempts, dead } = harness();
    await writer.write(batch([10, 11, 12, 13, 14, 15]), new AbortController().signal, () =>
      assert.fail('no unreadable record to announce'),
    );
    assert.deepEqual(attempts, ['10-15', '10-12', '13-15', '13-14', '13-13', '14-14', '15-15']);
    assert.deepEqual(written, [10, 11, 12, 14, 15]);
    assert.deepEqual(
      dead.map((cause) => [cause.offset, cause.stage]),
      [[13, 'write']],
    );
  });

  it('dead-letters records unreadable at intake (stage decode), announces each, and offers the destination only the others', async () => {
    const { writer, written, attempts, dead } = harness();
    let announced = 0;
    await writer.write(
      batch([0, 1, 2], [entry(0), unreadable(1), entry(2)]),
      new AbortController().signal,
      () => void announced++,
    );
    assert.deepEqual(attempts, ['0-2']);
    assert.deepEqual(written, [0, 2]);
    assert.deepEqual(
      dead.map((cause) => [cause.offset, cause.stage]),
      [[1, 'decode']],
    );
    assert.equal(announced, 1, 'the commit waits for the announced dead letter');
  });

  it('marks a topic failing once its last records all went to the DLQ, and clears it on the next written record', async () => {
    const { writer, metrics } = harness();
    const signal = new AbortController().signal;
    const gauge = async (): Promise<number | undefined> =>
      (await metrics.resourceDeadLettering.get()).values.find((v) => v.labels.topic === 'p.things')?.value;
    // Offsets 3 (undecodable), 5 and 13 (refused) each go to the DLQ alone: two in a row stay below the alarm.
    await writer.write(batch([3]), signal, () => undefined);
    await writer.write(batch([5]), signal, () => undefined);
    assert.equal(writer.failingResources?.(), undefined);
    await writer.write(batch([13]), signal, () => undefined);
    assert.match(writer.failingResources?.() ?? '', /every record of p\.things goes to the dead-letter topic/);
    assert.equal(await gauge(), 1);
    await writer.write(batch([14]), signal, () => undefined);
    assert.equal(writer.failingResources?.(), undefined);
    assert.equal(await gauge(), 0);
  });
});
