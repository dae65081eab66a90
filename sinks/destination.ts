/**
 * The destination contract: what the sink runner asks of ClickHouse, DuckDB or PostgreSQL. It is
 * Kafka-agnostic except for the lineage fields a record carries (topic, partition, offset, schema
 * id) and the batch token derived from them.
 *
 * Decoded values (agreed with avro/): the runner hands over values as avsc decodes them with the
 * project's logical types registered, i.e.
 *   timestamp-millis → number (epoch milliseconds, UTC)
 *   date             → number (days since 1970-01-01)
 *   decimal          → string (exact decimal text, e.g. "12.5000"; never a float)
 *   long             → number (safe integer), bytes/fixed → Buffer,
 *   nullable unions  → the value or null; other unions as avsc's wrapped form.
 * All records of a batch are decoded to the batch's `TableSpec` (one value schema version); each
 * record still carries the registry id of the schema it was written with, for lineage.
 */
import type { TableSpec } from './columns.js';

export type { TableSpec } from './columns.js';

/**
 * `evolve`: create missing tables and add columns for new fields before writing.
 * `freeze`: never run DDL; a missing table, missing column or differing type is a non-retriable
 * error naming every difference (tables are then owned by reviewed migrations).
 */
export type SchemaMode = 'evolve' | 'freeze';

export interface SinkRecord {
  /** The decoded Avro key: `{ account, id }` for every Bookeo topic. */
  readonly key: Readonly<Record<string, unknown>>;
  /** The decoded Avro value, or null for a tombstone (the entity was deleted). */
  readonly value: Readonly<Record<string, unknown>> | null;
  /** Kafka offset; a safe integer. Doubles as the row version (later offset = later state of the key). */
  readonly offset: number;
  readonly schemaId: number;
}

export interface WriteBatch {
  readonly table: TableSpec;
  readonly topic: string;
  readonly partition: number;
  /** Offsets of the first and last record; the batch covers exactly this range of one partition. */
  readonly firstOffset: number;
  readonly lastOffset: number;
  readonly records: readonly SinkRecord[];
  /** Stamped into `_ingested_at`; passed in so a batch's rows share one instant. */
  readonly ingestedAtMs: number;
}

/** A record whose value is still Avro binary, for a destination that reads Avro itself (`writeAvro`). */
export interface AvroSinkRecord {
  readonly key: Readonly<Record<string, unknown>>;
  /** The value's Avro body (the bytes after the Confluent header), or null for a tombstone. */
  readonly body: Buffer | null;
  readonly offset: number;
  readonly schemaId: number;
}

export interface AvroWriteBatch extends Omit<WriteBatch, 'records'> {
  /** The Avro value schema (JSON) `table` was described from: every body was written with it. */
  readonly valueSchema: unknown;
  readonly records: readonly AvroSinkRecord[];
}

export interface PrepareResult {
  readonly created: boolean;
  readonly addedColumns: readonly string[];
}

export interface WriteResult {
  readonly rows: number;
  readonly token: string;
}

/** A table being rebuilt from a replay, next to the live one, swapped in atomically. */
export interface Rebuild {
  /** Same columns as the live table under the rebuild table's name; write the replay here. */
  readonly table: TableSpec;
  /** Swaps the rebuilt table in as the live one and drops the old data. */
  commit(): Promise<void>;
  /** Drops the rebuild table; the live table is untouched. */
  abort(): Promise<void>;
}

/** One live entity of a table: its key column values (as text, in key order) and its version. */
export interface LiveVersion {
  readonly key: readonly string[];
  /** `_version`: the Kafka offset of the state the table holds. */
  readonly version: number;
}

export interface Destination {
  /** Creates or evolves the table for this schema version (or, frozen, checks it); idempotent. */
  prepare(table: TableSpec): Promise<PrepareResult>;
  /**
   * Writes all rows of the batch or throws a `DestinationError`. Idempotent: writing the same
   * batch again (same token, same rows) changes nothing once deduplicated/merged, so the runner may
   * retry or replay after a crash between write and offset commit.
   */
  write(batch: WriteBatch): Promise<WriteResult>;
  /**
   * Optional: `write` for a batch whose values are still Avro binary, all of one schema version,
   * so that no objects are built for them (the ClickHouse destination transcodes Avro straight into
   * its Native format). Same contract as `write`; a body that does not decode is `bad-data`. The
   * runner uses it when present and the batch holds one value schema version, `write` otherwise.
   */
  writeAvro?(batch: AvroWriteBatch): Promise<WriteResult>;
  /**
   * Every live (not deleted) entity of a table with the version it holds, after deduplication
   * (the latest version per key); nothing when the table does not exist. For `reconcile`, which
   * compares it with the topic; streamed, since a table may hold millions of keys.
   */
  liveVersions(table: string, keyColumns: readonly string[]): AsyncIterable<LiveVersion>;
  /** Creates an empty twin of the table for a full replay. */
  startRebuild(table: TableSpec): Promise<Rebuild>;
  close(): Promise<void>;
}

/**
 * The batch's idempotency token: a function of where the records sit in Kafka only, so a retry or
 * a replay of the same offset range always carries the same token (never time or a counter).
 */
export function batchToken(batch: Pick<WriteBatch, 'topic' | 'partition' | 'firstOffset' | 'lastOffset'>): string {
  return `${batch.topic}-${batch.partition}-${batch.firstOffset}-${batch.lastOffset}`;
}
