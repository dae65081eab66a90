/**
 * The destination contract: what the sink runner asks of ClickHouse, DuckDB or PostgreSQL. It is
 * Kafka-agnostic except for the lineage fields a record carries (topic, partition, offset, schema
 * id) and the batch token derived from them.
 *
 * One write path: the runner hands over batches still in Avro (the value bodies as they came,
 * without their Confluent framing) and ONE resolved schema, the batch's version, owned by the
 * registry decoder (sinks/runner/registry-decoder.ts): its id, Avro schema, parsed type and table
 * spec, and how a body written with an older version of the topic reads in it. A destination turns
 * each body into its own form as it goes (the ClickHouse destination transcodes the bytes, the SQL
 * destinations decode each value as its row is converted), so a batch's objects never all exist.
 *
 * Decoded values (agreed with avro/): as avsc decodes them with the project's logical types, i.e.
 *   timestamp-millis → number (epoch milliseconds, UTC)
 *   date             → number (days since 1970-01-01)
 *   decimal          → string (exact decimal text, e.g. "12.5000"; never a float)
 *   long             → number (safe integer), bytes/fixed → Buffer,
 *   nullable unions  → the value or null; other unions as avsc's wrapped form.
 * A body that does not decode with its writer's schema throws a WireFormatError (avro/wire.ts),
 * which a destination lets through: the runner dead-letters that record with stage `decode`.
 */
import type avsc from 'avsc';
import type { TableSpec } from './columns.js';

export type { TableSpec } from './columns.js';

/**
 * `evolve`: create missing tables and add columns for new fields before writing.
 * `freeze`: never run DDL; a missing table, missing column or differing type is a non-retriable
 * error naming every difference (tables are then owned by reviewed migrations).
 */
export type SchemaMode = 'evolve' | 'freeze';

/** A record of a batch as the runner hands it over: its value still Avro. */
export interface AvroSinkRecord {
  /** The decoded Avro key: `{ account, id }` for every Bookeo topic. */
  readonly key: Readonly<Record<string, unknown>>;
  /** The value's Avro body (the bytes after the Confluent header), or null for a tombstone (the entity was deleted). */
  readonly body: Buffer | null;
  /** Kafka offset; a safe integer. Doubles as the row version (later offset = later state of the key). */
  readonly offset: number;
  /** Registry id of the schema the value was written with (of the key, for a tombstone): lineage, and which version the body is in. */
  readonly schemaId: number;
}

/** A record with its value decoded into the batch's version: what rows.ts turns into a row. */
export interface SinkRecord {
  readonly key: Readonly<Record<string, unknown>>;
  /** The decoded Avro value, or null for a tombstone. */
  readonly value: Readonly<Record<string, unknown>> | null;
  readonly offset: number;
  readonly schemaId: number;
}

/**
 * The version a batch is written in: one object per (table, key schema, value schema), made and
 * cached by the registry decoder, shared by every batch of that version.
 */
export interface ResolvedSchema {
  /** Registry id of the value schema. */
  readonly schemaId: number;
  /** The value schema (Avro JSON) the table spec was described from. */
  readonly schema: unknown;
  /** That schema parsed as values are read (decimals as text). */
  readonly type: avsc.Type;
  readonly table: TableSpec;
  /** A body's value in this version (resolved from the writer's, `schemaId`, when older); throws WireFormatError when it does not decode. */
  decode(body: Buffer, schemaId: number): Record<string, unknown>;
  /** A body as this version writes it: as it came when written with it, resolved and re-encoded otherwise; throws WireFormatError. */
  bodyOf(body: Buffer, schemaId: number): Buffer;
}

export interface WriteBatch {
  /** The batch's version; `schema.table` is the table written. Records may have been written with older versions. */
  readonly schema: ResolvedSchema;
  readonly topic: string;
  readonly partition: number;
  /** Offsets of the first and last record; the batch covers exactly this range of one partition. */
  readonly firstOffset: number;
  readonly lastOffset: number;
  readonly records: readonly AvroSinkRecord[];
  /** Stamped into `_ingested_at`; passed in so a batch's rows share one instant. */
  readonly ingestedAtMs: number;
}

/**
 * What a destination declares about itself, for the runner to read instead of probing for methods.
 * `idempotency`: what makes a retried or replayed batch a no-op, `batch-token` (the engine drops
 * a write whose token it has seen) or `version` (a merge that keeps the highest `_version` per key).
 */
export interface DestinationCapabilities {
  readonly idempotency: 'batch-token' | 'version';
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
  readonly capabilities: DestinationCapabilities;
  /** Reaches the engine (a trivial query) or throws a `DestinationError`; the sink's start waits on it. */
  ping(): Promise<void>;
  /** Creates or evolves the table for this schema version (or, frozen, checks it); idempotent. */
  prepare(table: TableSpec): Promise<PrepareResult>;
  /**
   * Writes all rows of the batch or throws a `DestinationError` (a WireFormatError for a body that
   * does not decode). Idempotent: writing the same
   * batch again (same token, same rows) changes nothing once deduplicated/merged, so the runner may
   * retry or replay after a crash between write and offset commit.
   */
  write(batch: WriteBatch): Promise<WriteResult>;
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
