/**
 * A batch's records → one binary COPY body (PostgreSQL's signature, a tuple per record, the
 * trailer), produced lazily: each buffer is yielded as soon as it is full, so it can be sent while
 * the next rows are encoded. Per record, in column order: the key columns and, after the values,
 * the lineage columns through rows.ts's cells; the value columns transcoded from the Avro body
 * (copy-transcoder.ts), the body first rewritten into the batch's version when it was written with
 * an older one. A tombstone's columns all come from the cells (its values are NULL).
 *
 * A body that does not decode is the record's own WireFormatError (dead-lettered with stage
 * `decode`); a value a field writer refuses is `bad-data` naming its column, with the server's
 * SQLSTATE for it.
 */
import { WireFormatError } from '../../avro/wire.js';
import { undecodableBody } from '../avro-values.js';
import { AvroBodyError } from '../columnar/avro-transcoder-runtime.js';
import type { AvroSinkRecord, ResolvedSchema, SinkRecord } from '../destination.js';
import { DestinationError } from '../errors.js';
import { createCellReaders, PRESENT_VALUE, type Cell, type LineageContext } from '../rows.js';
import { columnField, CopyChunks, HEADER, InvalidValue, TRAILER, type Field } from './copy-binary.js';
import { compileCopyTranscoder } from './copy-transcoder.js';

export type CopyEncoder = (records: readonly AvroSinkRecord[], context: LineageContext) => Iterable<Buffer>;

/** The encoder of batches in `schema`'s version, into the columns of its table spec. */
export function createCopyEncoder(schema: ResolvedSchema): CopyEncoder {
  const spec = schema.table;
  const transcode = compileCopyTranscoder(schema.type, spec);
  const roles = spec.columns.map((column) => column.role);
  const keys = roles.flatMap((role, index) => (role === 'key' ? [index] : []));
  const lineage = roles.flatMap((role, index) => (role === 'lineage' ? [index] : []));
  // The spec was described from this very schema, keys first and lineage last; anything else is a bug, not bad data.
  if (
    transcode === undefined ||
    keys.some((index, i) => index !== i) ||
    lineage.some((index, i) => index !== roles.length - lineage.length + i)
  )
    throw new Error(
      `table ${spec.name}: schema id ${schema.schemaId} does not transcode into the columns described from it`,
    );
  const all = roles.map((_, index) => index);
  const cells = createCellReaders(spec);
  const fields = spec.columns.map((column) => columnField(column.type));
  const width = spec.columns.length;
  const cursor = { column: -1 };

  function writeCells(out: CopyChunks, indexes: readonly number[], record: SinkRecord, context: LineageContext): void {
    for (const index of indexes) {
      cursor.column = index;
      const value = (cells[index] as Cell)(record, context);
      if (value === null || value === undefined) out.int32(-1);
      else (fields[index] as Field)(out, value);
    }
  }

  function refused(error: unknown, schemaId: number): unknown {
    if (error instanceof WireFormatError) return error;
    if (error instanceof AvroBodyError) return undecodableBody(schemaId, error);
    return new DestinationError(`column ${spec.columns[cursor.column]?.name ?? '?'}: ${(error as Error).message}`, {
      reason: 'bad-data',
      code: error instanceof InvalidValue ? error.code : '22000',
      cause: error,
    });
  }

  return function* encode(records, context) {
    const out = new CopyChunks();
    out.raw(HEADER);
    for (const { key, body, offset, schemaId } of records) {
      out.int16(width);
      try {
        if (body === null) writeCells(out, all, { key, value: null, offset, schemaId }, context);
        else {
          const record = { key, value: PRESENT_VALUE, offset, schemaId };
          writeCells(out, keys, record, context);
          transcode(schema.bodyOf(body, schemaId), out, cursor);
          writeCells(out, lineage, record, context);
        }
      } catch (error) {
        throw refused(error, schemaId);
      }
      if (out.chunks.length > 0) yield* out.chunks.splice(0);
    }
    out.int16(TRAILER);
    yield* out.finish();
  };
}
