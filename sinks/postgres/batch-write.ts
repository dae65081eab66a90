/**
 * One batch into PostgreSQL: the write path of the destination (destination.ts), compiled once per
 * table spec and table columns (a WritePlan) and run in one transaction per batch:
 *
 * - the batch reduced to the highest offset per key; each record transcoded from its Avro body
 *   into a binary COPY row (copy-encoder.ts) only as the COPY sends, buffer by buffer, so the
 *   server stores one while the next is encoded;
 * - a batch of upserts only is first inserted as it is (ddl.ts `insertSql`): COPY straight into the
 *   live table, then its keys' tombstones dropped. A stored key (the primary key refuses it) or a
 *   newer tombstone refuses the insert, which is rolled back; the batch then merges, and so does
 *   every later batch of that table in this process (the table holds the stream's keys by then, so
 *   a further refused insert would only cost its encoding twice). A replay into a fresh or emptied
 *   table, or a first load, goes in with one COPY per batch and no staging;
 * - the merge: COPY into the connection's temporary staging table (created once per connection,
 *   emptied by every commit), then the version-guarded merge statements and COMMIT in one round
 *   trip (ddl.ts);
 * - a record that fails while the COPY streams (its body does not decode, a value is refused)
 *   abandons the COPY and the caller gets that record's own error, as it would without a COPY;
 * - each batch's path and stage timings (encode, copy, merge: the statements after the COPY, the
 *   rest) logged at debug level, for the bench and for anyone finding out where a slow sink's time goes.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { Logger } from '../../common/logger.js';
import type { TableSpec } from '../columns.js';
import {
  batchToken,
  type AvroSinkRecord,
  type ResolvedSchema,
  type WriteBatch,
  type WriteResult,
} from '../destination.js';
import { DestinationError } from '../errors.js';
import { latestPerKey } from '../latest-per-key.js';
import { createCopyEncoder, type CopyEncoder } from './copy-encoder.js';
import { copyFromStdin } from './copy-in.js';
import { createStagingSql, insertSql, mergeSql, type InsertSql, type MergeSql } from './ddl.js';
import { postgresType } from './types.js';

/** Per table spec: compiled once, reused for every batch of that schema version while the table's columns stay. */
export interface WritePlan {
  /** The table's columns the merge was made for (the update sets all of them). */
  readonly tableColumns: readonly string[];
  readonly stage: string;
  readonly createStage: string;
  readonly merge: MergeSql;
  /** Undefined when the table's key cannot take the insert without the merge. */
  readonly insert: InsertSql | undefined;
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
    stage,
    createStage: createStagingSql(stage, spec),
    merge: mergeSql(schema, spec, tableColumns, stage),
    insert: insertSql(schema, spec),
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

/** How a batch went in: inserted as it was, or merged. */
export type WritePath = 'inserted' | 'merged';

/** Wall-clock milliseconds of one attempt's stages. */
interface Stages {
  encodeMs: number;
  copyMs: number;
  mergeMs: number;
}

/** An insert without the merge that a newer tombstone refused; rolled back like any refusal, then merged. */
class KeyDeleted extends DestinationError {}

/** PostgreSQL's unique_violation: the live table's primary key refused a key it holds. */
const KEY_STORED = '23505';

export function postgresBatchWrite(options: PostgresBatchWriteOptions): (batch: WriteBatch) => Promise<WriteResult> {
  const { transaction, planFor, qualified, logger } = options;
  /** Staging tables each session already has (temporary tables live as long as their connection). */
  const staged = new WeakMap<pg.PoolClient, Set<string>>();
  /** Tables whose batches merge without an insert tried first: one was refused in this process. */
  const mergeFirst = new Set<string>();
  /** Per version of a topic's schema: compiled once, reused for every batch in it. */
  const encoders = new WeakMap<ResolvedSchema, CopyEncoder>();

  function encoderOf(schema: ResolvedSchema): CopyEncoder {
    let encoder = encoders.get(schema);
    if (encoder === undefined) encoders.set(schema, (encoder = createCopyEncoder(schema)));
    return encoder;
  }

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
   * Runs `body` with the batch's COPY body: each record transcoded as the COPY sends, buffer by
   * buffer (the server stores one while the next is encoded). The time spent producing it is
   * counted apart from the COPY's; a failure of the producer (a record that does not decode, a value
   * refused) is what the caller gets, rather than the server's answer to the abandoned COPY.
   */
  async function withCopyBody(
    batch: WriteBatch,
    records: readonly AvroSinkRecord[],
    stages: Stages,
    body: (copyBody: Iterable<Buffer>) => Promise<void>,
  ): Promise<void> {
    const encode = encoderOf(batch.schema);
    const context = { topic: batch.topic, partition: batch.partition, ingestedAtMs: batch.ingestedAtMs };
    let produceFailure: unknown;
    function* copyBody(): Generator<Buffer> {
      const chunks = encode(records, context)[Symbol.iterator]();
      for (;;) {
        const at = performance.now();
        let next: IteratorResult<Buffer>;
        try {
          next = chunks.next();
        } catch (error) {
          produceFailure = error instanceof DestinationError ? refusedValue(error, batch.schema.table.name) : error;
          throw produceFailure;
        } finally {
          stages.encodeMs += performance.now() - at;
        }
        if (next.done === true) return;
        yield next.value;
      }
    }
    try {
      await body(copyBody());
    } catch (error) {
      throw produceFailure ?? error;
    }
  }

  /** COPY and then the statements after it, in one transaction, timed. */
  async function copyThen(
    client: pg.PoolClient,
    copy: string,
    copyBody: Iterable<Buffer>,
    stages: Stages,
    after: () => Promise<void>,
  ): Promise<void> {
    let at = performance.now();
    const encodedBefore = stages.encodeMs;
    await copyFromStdin(client, copy, copyBody);
    stages.copyMs += performance.now() - at - (stages.encodeMs - encodedBefore);
    at = performance.now();
    await after();
    stages.mergeMs += performance.now() - at;
  }

  /** Inserts the batch as it is; false when a stored key or a newer tombstone refused it (rolled back). */
  async function insert(
    batch: WriteBatch,
    insertSql: InsertSql,
    records: readonly AvroSinkRecord[],
    stages: Stages,
  ): Promise<boolean> {
    const spec = batch.schema.table;
    const keys = spec.keyColumns.map((name) => records.map((record) => record.key[name]));
    try {
      await withCopyBody(batch, records, stages, (copyBody) =>
        transaction('write', spec.name, (client) =>
          copyThen(client, insertSql.copy, copyBody, stages, async () => {
            const { rows } = await client.query<{ newer: boolean }>(insertSql.revive, keys);
            if (rows[0]?.newer === true)
              throw new KeyDeleted(`a key of the batch has a newer tombstone in ${qualified(spec.name)}`, {
                reason: 'rejected',
                table: qualified(spec.name),
              });
          }),
        ),
      );
      return true;
    } catch (error) {
      if (error instanceof KeyDeleted || (error instanceof DestinationError && error.code === KEY_STORED)) return false;
      throw error;
    }
  }

  /** Stages the batch and merges it by version, with COMMIT in the same round trip as the merge. */
  async function merge(batch: WriteBatch, plan: WritePlan, records: readonly AvroSinkRecord[], stages: Stages) {
    const statements = records.some((record) => record.body === null) ? plan.merge.withDeletes : plan.merge.upserts;
    await withCopyBody(batch, records, stages, (copyBody) =>
      transaction(
        'write',
        batch.schema.table.name,
        (client) =>
          copyThen(client, plan.merge.copy, copyBody, stages, async () => {
            // The merge statements and COMMIT in one round trip: a failing statement skips the rest.
            await client.query(statements);
          }),
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
      ),
    );
  }

  async function write(batch: WriteBatch): Promise<WriteResult> {
    const token = batchToken(batch);
    if (batch.records.length === 0) return { rows: 0, token };
    const spec = batch.schema.table;
    const plan = await planFor(spec);
    const started = performance.now();
    const records = latestPerKey(batch.records, spec.keyColumns);
    const stages: Stages = { encodeMs: 0, copyMs: 0, mergeMs: 0 };
    const insertFirst =
      plan.insert !== undefined && !mergeFirst.has(spec.name) && records.every((record) => record.body !== null);
    let path: WritePath = 'inserted';
    if (!insertFirst || !(await insert(batch, plan.insert, records, stages))) {
      if (insertFirst) mergeFirst.add(spec.name);
      await merge(batch, plan, records, stages);
      path = 'merged';
    }
    const otherMs = performance.now() - started - stages.encodeMs - stages.copyMs - stages.mergeMs;
    logger.debug(
      {
        table: spec.name,
        records: batch.records.length,
        staged: records.length,
        path,
        refusedInsert: insertFirst && path === 'merged',
        stages: { ...stages, otherMs },
      },
      'batch written',
    );
    return { rows: batch.records.length, token };
  }

  return write;
}
