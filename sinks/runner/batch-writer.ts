/**
 * Writes one closed batch to the destination and its bad records to the dead-letter topic, and
 * resolves only when both are durable; the runner commits after that.
 *
 * - Table layout: one value schema version per write (destination contract). The newest schema id
 *   among the batch's records is the reader; records written with older versions are resolved into
 *   it. A batch of tombstones only uses the topic's latest value schema.
 * - A destination that is down, slow or shedding load (retriable errors) is retried with back-off
 *   from common/retry.ts, round after round, until it answers or the runner stops; nothing is
 *   committed meanwhile.
 * - Values are decoded right before the write (decode.ts keeps only the Avro bytes until then), by
 *   the runner (records.ts) or by a destination that reads Avro itself (`writeAvro`). A record
 *   whose body does not decode goes to the DLQ (stage `decode`) and the others are written without
 *   it; a re-delivery fails on the same record, so the range written (and its token) repeats.
 * - A batch the destination refuses for its data (`bad-data`, `schema`) is split in halves until the
 *   refused records stand alone; those go to the DLQ, the rest is written. The halves' tokens are
 *   deterministic because the split is (a re-delivery refuses and splits the same way).
 * - Any other refusal (frozen or incompatible table, permissions) stops the runner: dead-lettering
 *   every record of a topic because a migration is missing would be worse than waiting.
 */
import { RetriesExhaustedError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { Retrier } from '../../common/retry.js';
import type { TableSpec } from '../columns.js';
import { describeTable } from './avro-table.js';
import type { Destination } from '../destination.js';
import { DestinationError } from '../errors.js';
import type { DeadLetterReporter } from '../dlq/dead-letter.js';
import { dedupToken, type Batch } from './batcher.js';
import type { RecordDecoder, RegisteredSchema, SinkEntry } from './decode.js';
import { avroRecords, decodedRecords, decodeFailure, oneVersion, UndecodableRecords, type RowEntry } from './records.js';
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
}

/** Record-level refusals: the data of some records is wrong, the others can still be written. */
const RECORD_REASONS = new Set(['bad-data', 'schema']);

export function isRecordLevel(error: unknown): boolean {
  return error instanceof DestinationError && RECORD_REASONS.has(error.reason);
}

export interface BatchWriter {
  /** Writes the batch's rows and dead-letters its bad records; `onDeadLettered` is told once per DLQ'd decode failure. */
  write(batch: Batch<SinkEntry>, signal: AbortSignal, onDeadLettered: () => void): Promise<void>;
}

export function createBatchWriter(options: BatchWriterOptions): BatchWriter {
  const prepared = new Map<string, Promise<TableSpec>>();

  async function tableFor(topic: string, rows: readonly RowEntry[]): Promise<{ spec: TableSpec; value: RegisteredSchema }> {
    const first = rows[0] as RowEntry;
    let value: RegisteredSchema | undefined;
    for (const row of rows) if (row.kind === 'upsert' && (value === undefined || row.value.schemaId > value.schemaId)) value = row.value;
    value ??= (await options.decoder.latestSchemas(topic)).value;
    const table = options.tableOf(topic);
    const cacheKey = `${table}|${first.key.schemaId}|${value.schemaId}`;
    let spec = prepared.get(cacheKey);
    if (spec === undefined) {
      const chosen = value;
      spec = (async () => {
        const described = describeTable(table, first.key.schema, chosen.schema);
        await options.destination.prepare(described);
        return described;
      })();
      prepared.set(cacheKey, spec);
      // A failed prepare (destination down) must be tried again next time, not cached.
      spec.catch(() => prepared.delete(cacheKey));
    }
    return { spec: await spec, value };
  }

  async function writeOnce(topic: string, partition: number, rows: readonly RowEntry[]): Promise<void> {
    const { spec, value } = await tableFor(topic, rows);
    const range = { table: spec, topic, partition, firstOffset: (rows[0] as RowEntry).offset, lastOffset: (rows[rows.length - 1] as RowEntry).offset };
    const destination = options.destination;
    if (destination.writeAvro !== undefined && oneVersion(rows, value.schemaId)) {
      await destination.writeAvro({ ...range, valueSchema: value.schema, records: avroRecords(rows), ingestedAtMs: Date.now() });
      return;
    }
    const records = await decodedRecords(options.decoder, rows, value.schemaId);
    await destination.write({ ...range, records, ingestedAtMs: Date.now() });
  }

  /** Retries retriable failures round after round: an outage is waited out, not turned into data loss or a crash. */
  async function writeWithBackoff(topic: string, partition: number, rows: readonly RowEntry[], signal: AbortSignal): Promise<void> {
    const range = dedupToken({ topic, partition, firstOffset: (rows[0] as RowEntry).offset, lastOffset: (rows[rows.length - 1] as RowEntry).offset });
    for (;;) {
      try {
        await options.retry(() => writeOnce(topic, partition, rows), {
          operation: `write ${range}`,
          signal,
          onRetry: ({ attempt, error, delayMs }) => {
            options.metrics.writeRetries.inc({ topic });
            options.onDestinationState?.({ healthy: false, error });
            options.logger.warn({ err: error, batch: range, attempt, delayMs }, 'destination write failed; retrying');
          },
        });
        options.onDestinationState?.({ healthy: true });
        return;
      } catch (error) {
        if (!(error instanceof RetriesExhaustedError) || signal.aborted) throw error;
        options.logger.error({ err: error.cause, batch: range, attempts: error.attempts }, 'destination still failing; starting another round of retries (nothing is committed meanwhile)');
      }
    }
  }

  async function writeOrSplit(batch: Batch<SinkEntry>, rows: readonly RowEntry[], signal: AbortSignal): Promise<void> {
    try {
      await writeWithBackoff(batch.topic, batch.partition, rows, signal);
      const deletes = rows.reduce((count, row) => count + (row.kind === 'delete' ? 1 : 0), 0);
      options.metrics.records.inc({ topic: batch.topic, kind: 'upsert' }, rows.length - deletes);
      options.metrics.records.inc({ topic: batch.topic, kind: 'delete' }, deletes);
    } catch (error) {
      if (error instanceof UndecodableRecords) {
        // Known records, not a guess: dead-letter exactly those and write the rest (whose reader version may differ).
        for (const [row, cause] of error.rows) await deadLetter(batch, row, 'decode', row.kind === 'upsert' ? row.value.schemaId : undefined, cause);
        const rest = rows.filter((row) => !error.rows.has(row));
        if (rest.length > 0) await writeOrSplit(batch, rest, signal);
        return;
      }
      if (!isRecordLevel(error)) throw error;
      if (rows.length === 1) {
        const row = rows[0] as RowEntry;
        // A destination reading Avro itself refuses an undecodable body as bad data: say which it was.
        const undecodable = await decodeFailure(options.decoder, row);
        await deadLetter(batch, row, undecodable === undefined ? 'write' : 'decode', row.kind === 'upsert' ? row.value.schemaId : undefined, undecodable ?? error);
        return;
      }
      const middle = Math.ceil(rows.length / 2);
      await writeOrSplit(batch, rows.slice(0, middle), signal);
      await writeOrSplit(batch, rows.slice(middle), signal);
    }
  }

  async function deadLetter(batch: Batch<SinkEntry>, entry: SinkEntry, stage: 'decode' | 'write', schemaId: number | undefined, error: unknown): Promise<void> {
    await options.deadLetters.report(entry.message, { topic: batch.topic, partition: batch.partition, offset: entry.offset, schemaId, stage, error, destination: options.destinationName });
    options.metrics.deadLetters.inc({ topic: batch.topic, stage });
    options.metrics.records.inc({ topic: batch.topic, kind: 'dead_letter' });
    options.logger.warn({ topic: batch.topic, partition: batch.partition, offset: entry.offset, stage, err: error }, 'record sent to the dead-letter topic');
  }

  return {
    async write(batch, signal, onDeadLettered) {
      const started = performance.now();
      const rows = batch.entries.filter((entry): entry is RowEntry => entry.kind !== 'dead');
      const decodeFailures = batch.entries.filter((entry): entry is Extract<SinkEntry, { kind: 'dead' }> => entry.kind === 'dead');
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
  };
}
