/**
 * One batch into PostgreSQL: the write path of the destination (destination.ts), compiled once per
 * table spec and table columns (a WritePlan) and run in one transaction per batch:
 *
 * - the batch reduced to the highest offset per key; each record decoded from Avro, converted to
 *   its row and encoded in binary COPY form (copy-binary.ts) only as the COPY sends, buffer by
 *   buffer, so the server stores one while the next is encoded and a batch's decoded bookings are
 *   never all held at once;
 * - COPY into the connection's temporary staging table (created once per connection, emptied by
 *   every commit), then the version-guarded merge statements and COMMIT in one round trip (ddl.ts);
 * - a record that fails while the COPY streams (its body does not decode, a value is refused)
 *   abandons the COPY and the caller gets that record's own error, as it would without a COPY;
 * - each batch's stage timings (encode, copy, merge, the rest) logged at debug level, for the bench
 *   and for anyone finding out where a slow sink's time goes.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { Logger } from '../../common/logger.js';
import { recordDecoder } from '../avro-values.js';
import type { TableSpec } from '../columns.js';
import { batchToken, type WriteBatch, type WriteResult } from '../destination.js';
import { DestinationError } from '../errors.js';
import { latestPerKey } from '../latest-per-key.js';
import { createRowConverter, type RowConverter } from '../rows.js';
import { createBinaryCopyEncoder, type CopyEncoder } from './copy-binary.js';
import { copyFromStdin } from './copy-in.js';
import { createStagingSql, mergeSql, type MergeSql } from './ddl.js';
import { postgresType } from './types.js';

/** Per table spec: compiled once, reused for every batch of that schema version while the table's columns stay. */
export interface WritePlan {
  /** The table's columns the merge was made for (the update sets all of them). */
  readonly tableColumns: readonly string[];
  readonly convert: RowConverter;
  readonly encode: CopyEncoder;
  readonly stage: string;
  readonly createStage: string;
  readonly merge: MergeSql;
}

function stagingName(spec: TableSpec): string {
  const layout = spec.columns.map((column) => `${column.name} ${postgresType(column.type)}`).join(',');
  return `bookeo_stage_${createHash('sha256').update(layout).digest('hex').slice(0, 16)}`;
}

/** The plan for writing batches of `spec` into its table in `schema`, whose columns are `tableColumns`. */
export function writePlan(schema: string, spec: TableSpec, tableColumns: readonly string[]): WritePlan {
  const stage = stagingName(spec);
  return {
    tableColumns,
    convert: createRowConverter(spec),
    encode: createBinaryCopyEncoder(spec),
    stage,
    createStage: createStagingSql(stage, spec),
    merge: mergeSql(schema, spec, tableColumns, stage),
  };
}

export interface TransactionOptions {
  /** Run on the connection before BEGIN. */
  readonly before?: (client: pg.PoolClient) => Promise<void>;
  /** The body sends COMMIT itself (with its last statements, saving a round trip). */
  readonly committed?: boolean;
}

/** The destination's transaction runner (connection, BEGIN, rollback or discard on failure, error classification). */
export type Transaction = <T>(
  what: string,
  table: string,
  body: (client: pg.PoolClient) => Promise<T>,
  options?: TransactionOptions,
) => Promise<T>;

export interface PostgresBatchWriteOptions {
  readonly transaction: Transaction;
  readonly planFor: (spec: TableSpec) => Promise<WritePlan>;
  /** `schema.table`, as errors name tables. */
  readonly qualified: (table: string) => string;
  readonly logger: Logger;
}

export function postgresBatchWrite(options: PostgresBatchWriteOptions): (batch: WriteBatch) => Promise<WriteResult> {
  const { transaction, planFor, qualified, logger } = options;
  /** Staging tables each session already has (temporary tables live as long as their connection). */
  const staged = new WeakMap<pg.PoolClient, Set<string>>();

  /** A refusal of the encoder, named with its table as the server's refusals are. */
  function refusedValue(error: DestinationError, table: string): DestinationError {
    return new DestinationError(`write (${qualified(table)}): ${error.message}`, {
      reason: error.reason,
      table: qualified(table),
      ...(error.code === undefined ? {} : { code: error.code }),
      cause: error.cause,
    });
  }

  /**
   * Each record decoded and encoded as the COPY sends, buffer by buffer (the server stores one
   * while the next is encoded), then merged, all in one transaction. The time spent producing the
   * body is counted apart from the COPY's, for the stage timings.
   */
  async function write(batch: WriteBatch): Promise<WriteResult> {
    const token = batchToken(batch);
    if (batch.records.length === 0) return { rows: 0, token };
    const spec = batch.schema.table;
    const recordOf = recordDecoder(batch.schema);
    const plan = await planFor(spec);
    const context = { topic: batch.topic, partition: batch.partition, ingestedAtMs: batch.ingestedAtMs };
    const started = performance.now();
    const records = latestPerKey(batch.records, spec.keyColumns);
    const merge = records.some((record) => record.body === null) ? plan.merge.withDeletes : plan.merge.upserts;
    const stages = { encodeMs: 0, copyMs: 0, mergeMs: 0 };
    /** A failure of the body's producer (a record that does not decode, a value refused), which the caller gets as it is. */
    let produceFailure: unknown;
    function* body(): Generator<Buffer> {
      const chunks = plan.encode(records, (record) => plan.convert(recordOf(record), context))[Symbol.iterator]();
      for (;;) {
        const at = performance.now();
        let next: IteratorResult<Buffer>;
        try {
          next = chunks.next();
        } catch (error) {
          produceFailure = error instanceof DestinationError ? refusedValue(error, spec.name) : error;
          throw produceFailure;
        } finally {
          stages.encodeMs += performance.now() - at;
        }
        if (next.done === true) return;
        yield next.value;
      }
    }
    try {
      await transaction(
        'write',
        spec.name,
        async (client) => {
          let at = performance.now();
          await copyFromStdin(client, plan.merge.copy, body());
          stages.copyMs = performance.now() - at - stages.encodeMs;
          at = performance.now();
          // The merge statements and COMMIT in one round trip: a failing statement skips the rest.
          await client.query(merge);
          stages.mergeMs = performance.now() - at;
        },
        {
          committed: true,
          // Outside the transaction, so a rolled-back batch does not take the staging table with it.
          before: async (client) => {
            const known = staged.get(client) ?? new Set<string>();
            if (known.has(plan.stage)) return;
            await client.query(plan.createStage);
            known.add(plan.stage);
            staged.set(client, known);
          },
        },
      );
    } catch (error) {
      throw produceFailure ?? error;
    }
    const otherMs = performance.now() - started - stages.encodeMs - stages.copyMs - stages.mergeMs;
    logger.debug(
      { table: spec.name, records: batch.records.length, staged: records.length, stages: { ...stages, otherMs } },
      'batch written',
    );
    return { rows: batch.records.length, token };
  }

  return write;
}
