/**
 * A batch → the data chunks the appender loads into the staging table (DuckDB's bulk path: whole
 * column vectors handed over per chunk, no SQL per row). The values are never decoded into objects:
 * the batch's Avro bodies are transcoded into column buffers (the same block the ClickHouse sink
 * fills, sinks/columnar/block-plan.ts, with nulls kept for lists, maps and records), whose
 * layout DuckDB's vectors mirror, and copied into the chunks column by column (vectors.ts).
 *
 * Only the latest record of each key is staged: all states of a key sit in one partition in
 * offset order, so within a batch the last one wins, and the merge (sql.ts) needs at most one
 * staged row per key. This runs before the connection is taken, so the JavaScript work of one
 * batch overlaps DuckDB's work on another.
 */
import { DuckDBDataChunk, type DuckDBType } from '@duckdb/node-api';
import type { ColumnType } from '../columns.js';
import { badValueError, BlockPlan } from '../columnar/block-plan.js';
import { latestPerKey } from '../latest-per-key.js';
import type { ResolvedSchema, WriteBatch } from '../destination.js';
import { chunkType } from './types.js';
import { blockChunks } from './vectors.js';

/** Compiled once per resolved schema. */
export interface ChunkPlan {
  readonly block: BlockPlan;
  readonly columnTypes: readonly ColumnType[];
  readonly chunkTypes: readonly DuckDBType[];
  /**
   * Chunks of written batches, emptied for the next ones. A chunk's vectors are native memory that
   * only a garbage collection would free (V8 does not see its size), so they are reused instead.
   */
  readonly spare: DuckDBDataChunk[];
}

export function compileChunkPlan(schema: ResolvedSchema): ChunkPlan {
  const spec = schema.table;
  return {
    block: new BlockPlan(schema, 'kept'),
    columnTypes: spec.columns.map((column) => column.type),
    chunkTypes: spec.columns.map((column) => chunkType(column.type)),
    spare: [],
  };
}

/** Gives a batch's chunks back once the appender has copied them (or the batch failed). */
export function releaseChunks(plan: ChunkPlan, chunks: readonly DuckDBDataChunk[]): void {
  for (const chunk of chunks) {
    chunk.reset();
    plan.spare.push(chunk);
  }
}

export function batchChunks(plan: ChunkPlan, batch: WriteBatch): DuckDBDataChunk[] {
  const spec = batch.schema.table;
  const records = latestPerKey(batch.records, spec.keyColumns);
  return plan.block.withColumns(batch, records, (columns, rows) =>
    blockChunks(
      columns,
      plan.columnTypes,
      () => plan.spare.pop() ?? DuckDBDataChunk.create(plan.chunkTypes),
      rows,
      (column, row, error) =>
        badValueError(spec.name, `column ${spec.columns[column]?.name ?? '?'}`, records[row]?.offset, error),
    ),
  );
}
