/**
 * A write batch's records into the column writers (writers.ts). One way to become a row: value
 * columns are transcoded from the Avro bytes by the reader generated for the batch's version
 * (avro-transcoder.ts); a body written with an older version of the topic is first rewritten into
 * that version by the batch's resolved schema, so a batch of mixed versions is still one block. Key
 * and lineage columns, and every column of a tombstone, are filled through rows.ts's cell readers.
 * A value a column cannot hold is a record-level `bad-data` error naming the offset, and a body
 * that does not decode a WireFormatError; the runner then isolates and dead-letters that record.
 *
 * Filling is synchronous, so one set of writers per table spec serves every batch: they are
 * filled, handed to the sink that reads them (the ClickHouse sink's Native body, the DuckDB sink's
 * vectors), and emptied again, keeping their grown buffers for the next batch.
 */
import { undecodableBody } from '../avro-values.js';
import type { TableSpec } from '../columns.js';
import type { AvroSinkRecord, ResolvedSchema, SinkRecord, WriteBatch } from '../destination.js';
import { DestinationError } from '../errors.js';
import { createCellReaders, PRESENT_VALUE, type Cell, type LineageContext } from '../rows.js';
import { compileTranscoder, type Transcoder } from './avro-transcoder.js';
import { AvroBodyError } from './avro-transcoder-runtime.js';
import { BadValueError, columnWriter, type ColumnWriter, type NestedNulls } from './writers.js';

/** What one resolved schema needs to fill blocks; built once per version. */
export class BlockPlan {
  readonly spec: TableSpec;
  private readonly cells: readonly Cell[];
  /** Every column: a tombstone's are all filled through cells. */
  private readonly allColumns: readonly number[];
  /** Columns not read from the value (keys, lineage): filled through cells for upserts as well. */
  private readonly outsideValue: readonly number[];
  /** One writer per column of the spec, in spec order. */
  private readonly columns: readonly ColumnWriter[];
  private readonly transcode: Transcoder;

  constructor(schema: ResolvedSchema, nestedNulls: NestedNulls = 'as-empty') {
    const spec = schema.table;
    this.spec = spec;
    this.cells = createCellReaders(spec);
    this.allColumns = spec.columns.map((_, index) => index);
    this.outsideValue = spec.columns.flatMap((column, index) => (column.role === 'value' ? [] : [index]));
    this.columns = spec.columns.map((column) => columnWriter(column.type, nestedNulls));
    const transcode = compileTranscoder(schema.type, spec, nestedNulls);
    // The spec was described from this very schema, so every column maps; anything else is a bug, not bad data.
    if (transcode === undefined)
      throw new Error(
        `table ${spec.name}: schema id ${schema.schemaId} does not transcode into the columns described from it`,
      );
    this.transcode = transcode;
  }

  /**
   * Fills the columns with `records` (of `batch`), hands them to `use` while they hold the rows
   * (the writers' buffers are reused: copy out what must outlive the call), then empties them.
   */
  withColumns<T>(
    batch: WriteBatch,
    records: readonly AvroSinkRecord[],
    use: (columns: readonly ColumnWriter[], rows: number) => T,
  ): T {
    const context: LineageContext = {
      topic: batch.topic,
      partition: batch.partition,
      ingestedAtMs: batch.ingestedAtMs,
    };
    const schema = batch.schema;
    const columns = this.columns;
    try {
      for (const { key, body, offset, schemaId } of records) {
        if (body === null) {
          this.addCells(columns, this.allColumns, { key, value: null, offset, schemaId }, context);
          continue;
        }
        this.addCells(columns, this.outsideValue, { key, value: PRESENT_VALUE, offset, schemaId }, context);
        try {
          this.transcode(schema.bodyOf(body, schemaId), columns);
        } catch (error) {
          throw recordLevel(error, this.spec.name, offset, schemaId);
        }
      }
      return use(columns, records.length);
    } finally {
      for (const column of columns) column.reset();
    }
  }

  private addCells(
    columns: readonly ColumnWriter[],
    indexes: readonly number[],
    record: SinkRecord,
    context: LineageContext,
  ): void {
    let index = 0;
    try {
      for (index of indexes) (columns[index] as ColumnWriter).add((this.cells[index] as Cell)(record, context));
    } catch (error) {
      throw recordLevel(
        error,
        this.spec.name,
        record.offset,
        record.schemaId,
        `column ${this.spec.columns[index]?.name ?? '?'}`,
      );
    }
  }
}

/** A value a column cannot hold: the data's fault, naming the record's offset and where in it (`value`, `column c`). */
export function badValueError(
  table: string,
  where: string,
  offset: number | undefined,
  error: BadValueError,
): DestinationError {
  return new DestinationError(`table ${table}, ${where}, offset ${offset}: ${error.message}`, {
    reason: 'bad-data',
    table,
    cause: error,
  });
}

/** A body that does not decode is a WireFormatError (stage `decode`), a value a column cannot hold `bad-data`; anything else (a bug) passes through unchanged. */
function recordLevel(error: unknown, table: string, offset: number, schemaId: number, where = 'value'): unknown {
  if (error instanceof AvroBodyError) return undecodableBody(schemaId, error);
  return error instanceof BadValueError ? badValueError(table, where, offset, error) : error;
}
