/**
 * A write batch as the body of one Native INSERT (native.ts): the batch's plan fills the column
 * writers (sinks/columnar/block-plan.ts, values transcoded from the Avro bytes), and the block they
 * hold is copied out as the body before the writers are emptied for the next batch. A batch in
 * flight then holds only its body (about twice its Avro size), never a block of its own.
 */
import type { BlockPlan } from '../columnar/block-plan.js';
import type { WriteBatch } from '../destination.js';
import { nativeBlockChunks } from './native.js';

/** The body of a batch: tombstones through the cells, upserts transcoded (in the batch's version). */
export function nativeBody(plan: BlockPlan, batch: WriteBatch): Buffer {
  return plan.withColumns(batch, batch.records, (columns, rows) =>
    Buffer.concat(nativeBlockChunks(plan.spec, columns, rows)),
  );
}
