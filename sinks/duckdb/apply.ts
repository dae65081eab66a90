/**
 * How a batch becomes table rows, in one transaction each (the table's lane is its only writer, so
 * what a transaction checks holds until its commit):
 *
 * - Appended straight into the table (`insertAppended`), with no look at the table first, when the
 *   batch only has upserts and the table's columns are the batch's, in the same order (the
 *   Appender fills columns by position): the table's primary key refuses any key the table holds
 *   (the transaction is then rolled back whole) and a query on the batch's own rows refuses any
 *   key its tombstones hold. A replay into a fresh or emptied table, or new entities, load this
 *   way, with no staging table and no INSERT … SELECT.
 * - Otherwise, or when that was refused, staged (its data chunks appended to a temporary table
 *   private to the lane's connection) and applied after a look at the stored keys (`applyStaged`):
 *   inserted as it is when the table and its tombstones hold none of them, merged by version
 *   otherwise (sql.ts).
 */
import type { DuckDBAppender, DuckDBConnection, DuckDBDataChunk } from '@duckdb/node-api';
import type { WriteBatch } from '../destination.js';
import { duckdbExceptionType } from './errors.js';
import type { WritePath } from './write-stages.js';
import { STAGING_TABLE } from './sql.js';

/** The SQL that applies a batch to one table (sql.ts), built in a lane where the file's catalog name is known. */
export interface ApplyStatements {
  readonly storedKeys: string;
  readonly insert: readonly string[];
  readonly merge: readonly string[];
  /** Whether a row the batch inserted has a tombstone (parameters: topic, partition, first, last). */
  readonly insertedKeysDeleted: string;
}

/** Runs `work` in one transaction: committed when it returns, rolled back when it throws. */
export async function inTransaction(connection: DuckDBConnection, work: () => Promise<void>): Promise<void> {
  await connection.run('BEGIN TRANSACTION');
  try {
    await work();
    await connection.run('COMMIT');
  } catch (error) {
    // The failed statement's error is the one to report; a rollback that fails too adds nothing.
    await connection.run('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

export async function runAll(connection: DuckDBConnection, statements: readonly string[]): Promise<void> {
  for (const statement of statements) await connection.run(statement);
}

/**
 * Appends the chunks and closes the appender (which flushes). It is closed on failure too: left to
 * the garbage collector, it would flush its rows whenever that runs, into a table that may have
 * been replaced by then. The append's own error is the one reported.
 */
function appendAll(appender: DuckDBAppender, chunks: readonly DuckDBDataChunk[]): void {
  try {
    for (const chunk of chunks) appender.appendDataChunk(chunk);
  } catch (error) {
    try {
      appender.closeSync();
    } catch {
      // Closing repeats the append's failure; the original error below says more.
    }
    throw error;
  }
  appender.closeSync();
}

/** A table the Appender writes into. */
export interface AppendTarget {
  readonly catalog: string;
  readonly schema: string;
  readonly name: string;
}

async function appendInto(
  connection: DuckDBConnection,
  target: AppendTarget,
  chunks: readonly DuckDBDataChunk[],
): Promise<void> {
  appendAll(await connection.createAppender(target.name, target.schema, target.catalog), chunks);
}

/** Appends the chunks to a fresh staging table (temporary: private to the lane's connection). */
export async function stage(
  connection: DuckDBConnection,
  createStaging: string,
  chunks: readonly DuckDBDataChunk[],
): Promise<void> {
  await connection.run(createStaging);
  await appendInto(connection, STAGING_TABLE, chunks);
}

/** Applies the staged batch after a look at the stored keys: inserted as it is or merged by version. */
export async function applyStaged(connection: DuckDBConnection, statements: ApplyStatements): Promise<WritePath> {
  let path: WritePath = 'merged';
  await inTransaction(connection, async () => {
    const [[stored]] = (await connection.runAndReadAll(statements.storedKeys)).getRows() as [[boolean]];
    if (!stored) path = 'inserted';
    await runAll(connection, path === 'inserted' ? statements.insert : statements.merge);
  });
  return path;
}

/** Thrown inside the insert's transaction to roll it back when a key of the batch has a tombstone. */
const KEY_DELETED = Symbol('a key of the batch has a tombstone');

/** The Appender reports the primary key's refusal without DuckDB's exception type: only its message says so. */
const APPENDED_KEY_CONFLICT = /^Failed to append: Duplicate key .* violates primary key constraint/;

function isKeyConflict(error: unknown): boolean {
  return (
    duckdbExceptionType(error) === 'Constraint' || (error instanceof Error && APPENDED_KEY_CONFLICT.test(error.message))
  );
}

/**
 * Appends an upserts-only batch straight into its table; says whether it went in. False (nothing
 * changed) when the table or its tombstones hold one of its keys: the caller then stages it and
 * applies it with `applyStaged`.
 */
export async function insertAppended(
  connection: DuckDBConnection,
  batch: WriteBatch,
  target: AppendTarget,
  chunks: readonly DuckDBDataChunk[],
  statements: ApplyStatements,
): Promise<boolean> {
  try {
    await inTransaction(connection, async () => {
      await appendInto(connection, target, chunks);
      const [[deleted]] = (
        await connection.runAndReadAll(statements.insertedKeysDeleted, {
          topic: batch.topic,
          partition: batch.partition,
          first: batch.firstOffset,
          last: batch.lastOffset,
        })
      ).getRows() as [[boolean]];
      if (deleted) throw KEY_DELETED;
    });
    return true;
  } catch (error) {
    if (error === KEY_DELETED || isKeyConflict(error)) return false;
    throw error;
  }
}
