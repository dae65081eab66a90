/**
 * A batch → the data chunks the appender loads into the staging table (DuckDB's bulk path: whole
 * column vectors handed over per chunk, no SQL per row). Each value of the batch (still Avro) is
 * decoded only as its row is converted, so a booking's objects live for one row
 * rather than a batch (a 10,000-row batch of decoded bookings is ≈ 100 MB of JS heap).
 *
 * Only the latest record of each key is staged: all states of a key sit in one partition in
 * offset order, so within a batch the last one wins, and the merge (sql.ts) needs at most one
 * staged row per key. This runs before the connection is taken, so the JavaScript work of one
 * batch overlaps DuckDB's work on another.
 */
import { DuckDBDataChunkWriter, type DuckDBDataChunk, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';
import { isProgrammingError } from '../../common/errors.js';
import type { TableSpec } from '../columns.js';
import { recordDecoder } from '../avro-values.js';
import { latestPerKey } from '../latest-per-key.js';
import type { WriteBatch } from '../destination.js';
import { DestinationError } from '../errors.js';
import { createRowConverter, type RowConverter } from '../rows.js';
import { chunkType } from './types.js';
import { toDuckDBValue, ValueError, type ToDuckDBValue } from './values.js';

/**
 * Rows per data chunk, below DuckDB's vector size: the writer holds a chunk's rows (and their
 * DuckDB values) until it fills, so a smaller chunk lets them die young, in V8's cheap scavenges,
 * instead of being copied and promoted; the extra appender calls cost less than that
 * (bench/duckdb-write-path.ts).
 */
const ROWS_PER_CHUNK = 512;

/** Compiled once per table spec. */
export interface ChunkPlan {
  readonly table: string;
  readonly keyColumns: readonly string[];
  readonly convertRow: RowConverter;
  readonly columnNames: readonly string[];
  readonly toValue: readonly ToDuckDBValue[];
  readonly types: readonly DuckDBType[];
}

export function compileChunkPlan(spec: TableSpec): ChunkPlan {
  return {
    table: spec.name,
    keyColumns: spec.keyColumns,
    convertRow: createRowConverter(spec),
    columnNames: spec.columns.map((column) => column.name),
    toValue: spec.columns.map((column) => toDuckDBValue(column.type)),
    types: spec.columns.map((column) => chunkType(column.type)),
  };
}

function badData(plan: ChunkPlan, detail: string, cause: unknown): DestinationError {
  return new DestinationError(`table ${plan.table}: ${detail}`, { reason: 'bad-data', table: plan.table, cause });
}

export function batchChunks(plan: ChunkPlan, batch: WriteBatch): DuckDBDataChunk[] {
  const recordOf = recordDecoder(batch.schema);
  const chunks: DuckDBDataChunk[] = [];
  const writer = new DuckDBDataChunkWriter<DuckDBValue>(plan.types, (chunk) => chunks.push(chunk), {
    rowsPerDataChunk: ROWS_PER_CHUNK,
  });
  const context = { topic: batch.topic, partition: batch.partition, ingestedAtMs: batch.ingestedAtMs };
  const width = plan.columnNames.length;
  const values: DuckDBValue[] = new Array(width);
  for (const entry of latestPerKey(batch.records, plan.keyColumns)) {
    const record = recordOf(entry);
    const row = plan.convertRow(record, context);
    for (let i = 0; i < width; i++) {
      try {
        values[i] = (plan.toValue[i] as ToDuckDBValue)(row[i]);
      } catch (error) {
        if (!(error instanceof ValueError)) throw error;
        throw badData(plan, `column ${plan.columnNames[i]} at offset ${record.offset}: ${error.message}`, error);
      }
    }
    appendChecked(plan, () => writer.appendRow(values));
  }
  appendChecked(plan, () => writer.flush());
  return chunks;
}

/** The chunk vectors check ranges once more (e.g. a timestamp beyond the int64 microsecond range); their refusal is the data's fault too. */
function appendChecked(plan: ChunkPlan, append: () => void): void {
  try {
    append();
  } catch (error) {
    if (isProgrammingError(error) || !(error instanceof Error)) throw error;
    throw badData(plan, `a value does not fit its DuckDB column: ${error.message}`, error);
  }
}
