/**
 * Writes one closed batch to the destination and its bad records to the dead-letter topic, and
 * resolves only when both are durable; the runner commits after that.
 *
 * - Table layout: one value schema version per write (destination contract). The newest schema id
 *   among the batch's records is the batch's version, resolved by the registry decoder; records
 *   written with older versions are read into it by the destination. A batch of tombstones only
 *   uses the topic's latest value schema.
 * - A destination that is down, slow or shedding load (retriable errors) is retried with back-off
 *   from common/retry.ts, round after round, until it answers or the runner stops; nothing is
 *   committed meanwhile.
 * - Values stay Avro until the destination reads them (one write path: sinks/destination.ts).
 * - A batch the destination refuses for its data (`bad-data`, `schema`, or a body that does not
 *   decode) is split in halves until the refused records stand alone; those go to the DLQ (stage
 *   `decode` for a body that does not decode, known from the error, `write` otherwise), the rest is
 *   written. The halves' tokens are deterministic because the split is (a re-delivery refuses and
 *   splits the same way).
 * - Any other refusal (frozen or incompatible table, permissions) stops the runner: dead-lettering
 *   every record of a topic because a migration is missing would be worse than waiting.
 */
import { RetriesExhaustedError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { Retrier } from '../../common/retry.js';
import { WireFormatError } from '../../avro/wire.js';
import type { AvroSinkRecord, Destination, ResolvedSchema } from '../destination.js';
import { DestinationError } from '../errors.js';
import type { DeadLetterReporter } from '../dlq/dead-letter.js';
import { dedupToken, type Batch } from './batcher.js';
import { createDeadLetterStreaks } from './dead-letter-streaks.js';
import type { RecordDecoder, RegisteredSchema, SinkEntry } from './decode.js';
import type { SinkMetrics } from './metrics.js';

export interface BatchWriterOptions {
  readonly destination: Destination;
  readonly destinationName: string;
  readonly decoder: RecordDecoder;
  readonly deadLetters: DeadLetterReporter;
  readonly retry: Retrier;
  /** Table name of a topic (the resource name); a rebuild points it at the rebuild table. */
  readonly tableOf: (topic: string) => string;
  readonly metrics: SinkMetrics;
  readonly logger: Logger;
  /** Told when a write is being retried and when it went through again (status, /readyz). */
  readonly onDestinationState?: (state: { healthy: boolean; error?: unknown }) => void;
  /** How many fields drift added to a topic's schema its table takes (`sink.drift`); undefined: all. */
  readonly maxNewFieldsOf?: (topic: string) => number | undefined;
  /** Records of one topic dead-lettered in a row that mark the resource as failing (`sink.deadLetterAlarm`). */
  readonly deadLetterAlarm: number;
}

/** Record-level refusals: the data of some records is wrong, the others can still be written. */
const RECORD_REASONS = new Set(['bad-data', 'schema']);

export function isRecordLevel(error: unknown): boolean {
  return (error instanceof DestinationError && RECORD_REASONS.has(error.reason)) || error instanceof WireFormatError;
}

type RowEntry = Extract<SinkEntry, { kind: 'upsert' | 'delete' }>;

/** The rows as the destination takes them: bodies as they came (unframed once, in decode.ts). */
function avroRecords(rows: readonly RowEntry[]): AvroSinkRecord[] {
  return rows.map((row) =>
    row.kind === 'delete'
      ? { key: row.key.value as Record<string, unknown>, body: null, offset: row.offset, schemaId: row.key.schemaId }
      : {
          key: row.key.value as Record<string, unknown>,
          body: row.body,
          offset: row.offset,
          schemaId: row.value.schemaId,
        },
  );
}

export interface BatchWriter {
  /** Writes the batch's rows and dead-letters its bad records; `onDeadLettered` is told once per DLQ'd decode failure. */
  write(batch: Batch<SinkEntry>, signal: AbortSignal, onDeadLettered: () => void): Promise<void>;
  /** Why the sink is not ready because a resource's records all go to the DLQ (dead-letter-streaks.ts). */
  failingResources?(): string | undefined;
}

export function createBatchWriter(options: BatchWriterOptions): BatchWriter {
  const prepared = new WeakMap<ResolvedSchema, Promise<void>>();
  const streaks = createDeadLetterStreaks(options.deadLetterAlarm, options.metrics.resourceDeadLettering);

  /** The batch's version (its newest value schema) and its table, prepared once per version. */
  async function schemaFor(topic: string, rows: readonly RowEntry[]): Promise<ResolvedSchema> {
    const first = rows[0] as RowEntry;
    let value: RegisteredSchema | undefined;
    for (const row of rows)
      if (row.kind === 'upsert' && (value === undefined || row.value.schemaId > value.schemaId)) value = row.value;
    value ??= (await options.decoder.latestSchemas(topic)).value;
    const schema = await options.decoder.resolve(
      options.tableOf(topic),
      first.key,
      value,
      options.maxNewFieldsOf?.(topic),
    );
    let ready = prepared.get(schema);
    if (ready === undefined) {
      ready = options.destination.prepare(schema.table).then(() => undefined);
      prepared.set(schema, ready);
      // A failed prepare (destination down) must be tried again next time, not cached.
      ready.catch(() => prepared.delete(schema));
    }
    await ready;
    return schema;
  }

  async function writeOnce(topic: string, partition: number, rows: readonly RowEntry[]): Promise<void> {
    const schema = await schemaFor(topic, rows);
    const range = {
      topic,
      partition,
      firstOffset: (rows[0] as RowEntry).offset,
      lastOffset: (rows[rows.length - 1] as RowEntry).offset,
    };
    await options.destination.write({ ...range, schema, records: avroRecords(rows), ingestedAtMs: Date.now() });
  }

  /** Retries retriable failures round after round: an outage is waited out, not turned into data loss or a crash. */
  async function writeWithBackoff(
    topic: string,
    partition: number,
    rows: readonly RowEntry[],
    signal: AbortSignal,
  ): Promise<void> {
    const range = dedupToken({
      topic,
      partition,
      firstOffset: (rows[0] as RowEntry).offset,
      lastOffset: (rows[rows.length - 1] as RowEntry).offset,
    });
    for (;;) {
      try {
        await options.retry(() => writeOnce(topic, partition, rows), {
          operation: `write ${range}`,
          signal,
          onRetry: ({ attempt, error, delayMs }) => {
            options.metrics.writeRetries.inc({ topic });
            options.onDestinationState?.({ healthy: false, error });
            // The destination's idempotency is what makes the retry safe (a token it deduplicates, or a version merge).
            options.logger.warn(
              { err: error, batch: range, attempt, delayMs, idempotency: options.destination.capabilities.idempotency },
              'destination write failed; retrying',
            );
          },
        });
        options.onDestinationState?.({ healthy: true });
        return;
      } catch (error) {
        if (!(error instanceof RetriesExhaustedError) || signal.aborted) throw error;
        options.logger.error(
          { err: error.cause, batch: range, attempts: error.attempts },
          'destination still failing; starting another round of retries (nothing is committed meanwhile)',
        );
      }
    }
  }

  async function writeOrSplit(batch: Batch<SinkEntry>, rows: readonly RowEntry[], signal: AbortSignal): Promise<void> {
    try {
      await writeWithBackoff(batch.topic, batch.partition, rows, signal);
      const deletes = rows.reduce((count, row) => count + (row.kind === 'delete' ? 1 : 0), 0);
      options.metrics.records.inc({ topic: batch.topic, kind: 'upsert' }, rows.length - deletes);
      options.metrics.records.inc({ topic: batch.topic, kind: 'delete' }, deletes);
      streaks.written(batch.topic);
    } catch (error) {
      if (!isRecordLevel(error)) throw error;
      if (rows.length === 1) {
        const row = rows[0] as RowEntry;
        // The error says which stage failed: a body that does not decode is a WireFormatError.
        await deadLetter(
          batch,
          row,
          error instanceof WireFormatError ? 'decode' : 'write',
          row.kind === 'upsert' ? row.value.schemaId : undefined,
          error,
        );
        return;
      }
      const middle = Math.ceil(rows.length / 2);
      await writeOrSplit(batch, rows.slice(0, middle), signal);
      await writeOrSplit(batch, rows.slice(middle), signal);
    }
  }

  async function deadLetter(
    batch: Batch<SinkEntry>,
    entry: SinkEntry,
    stage: 'decode' | 'write',
    schemaId: number | undefined,
    error: unknown,
  ): Promise<void> {
    await options.deadLetters.report(entry.message, {
      topic: batch.topic,
      partition: batch.partition,
      offset: entry.offset,
      schemaId,
      stage,
      error,
      destination: options.destinationName,
    });
    options.metrics.deadLetters.inc({ topic: batch.topic, stage });
    options.metrics.records.inc({ topic: batch.topic, kind: 'dead_letter' });
    streaks.deadLettered(batch.topic);
    options.logger.warn(
      { topic: batch.topic, partition: batch.partition, offset: entry.offset, stage, err: error },
      'record sent to the dead-letter topic',
    );
  }

  return {
    async write(batch, signal, onDeadLettered) {
      const started = performance.now();
      const rows = batch.entries.filter((entry): entry is RowEntry => entry.kind !== 'dead');
      const decodeFailures = batch.entries.filter(
        (entry): entry is Extract<SinkEntry, { kind: 'dead' }> => entry.kind === 'dead',
      );
      // Dead letters go out while the rows are written; both must land before the commit.
      const deadLettered = Promise.all(
        decodeFailures.map(async (entry) => {
          await deadLetter(batch, entry, 'decode', entry.schemaId, entry.error);
          onDeadLettered();
        }),
      );
      const written = rows.length === 0 ? Promise.resolve() : writeOrSplit(batch, rows, signal);
      const [deadResult, writeResult] = await Promise.allSettled([deadLettered, written]);
      if (writeResult.status === 'rejected') throw writeResult.reason;
      if (deadResult.status === 'rejected') throw deadResult.reason;
      options.metrics.writeSeconds.observe({ topic: batch.topic }, (performance.now() - started) / 1000);
    },
    failingResources: () => streaks.reason(),
  };
}
