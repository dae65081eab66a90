/**
 * A write batch as the body of one Native INSERT (native.ts), from either form the runner hands over:
 * - decoded records (`write`): every column read through rows.ts's cell readers;
 * - Avro bodies of the table's own schema version (`writeAvro`): value columns transcoded from the
 *   bytes (avro-native.ts), key and lineage columns through the cell readers. When the schema
 *   cannot be transcoded, the bodies are decoded as the runner would have, and go the first way.
 * A value a column cannot hold, or a body that does not decode, is a record-level `bad-data`
 * error naming the offset; the runner then isolates and dead-letters that record.
 *
 * Encoding is synchronous, so one block per table spec serves every batch: it is filled, copied
 * out as the body, and emptied again, keeping its grown buffers for the next batch. A batch in
 * flight then holds only its body (about twice its Avro size), never a block of its own.
 */
import type avsc from 'avsc';
import { avroValueType, decodeAvroValue } from '../avro-values.js';
import type { TableSpec } from '../columns.js';
import type { AvroWriteBatch, SinkRecord, WriteBatch } from '../destination.js';
import { DestinationError } from '../errors.js';
import { createCellReaders, type Cell, type LineageContext } from '../rows.js';
import { compileTranscoder, type Transcoder } from './avro-native.js';
import { AvroBodyError } from './avro-native-runtime.js';
import { BadValueError, NativeBlock, type ColumnWriter } from './native.js';

/** What one table spec needs to fill blocks; built once per spec. */
export class BlockPlan {
  readonly spec: TableSpec;
  private readonly cells: readonly Cell[];
  /** Columns not read from the value (keys, lineage): filled through cells for Avro records as well. */
  private readonly outsideValue: readonly number[];
  private readonly block: NativeBlock;
  /** Per value schema object (the runner passes the registry decoder's cached one, so this is per version). */
  private readonly readers = new WeakMap<object, { type: avsc.Type; transcode: Transcoder | undefined }>();

  constructor(spec: TableSpec) {
    this.spec = spec;
    this.cells = createCellReaders(spec);
    this.outsideValue = spec.columns.flatMap((column, index) => (column.role === 'value' ? [] : [index]));
    this.block = new NativeBlock(spec);
  }

  /** The body of decoded records. */
  records(batch: WriteBatch): Buffer {
    const context = lineage(batch);
    return this.fill(batch.records.length, (columns) => {
      for (const record of batch.records) this.addRecord(columns, record, context);
    });
  }

  /** The body of Avro records, transcoded where the schema allows. */
  avro(batch: AvroWriteBatch): Buffer {
    const context = lineage(batch);
    return this.fill(batch.records.length, (columns) => {
      // Looked up at the first body: a batch of tombstones needs no reader.
      let reader: { type: avsc.Type; transcode: Transcoder | undefined } | undefined;
      for (const { key, body, offset, schemaId } of batch.records) {
        if (body === null) {
          this.addRecord(columns, { key, value: null, offset, schemaId }, context);
          continue;
        }
        reader ??= this.readerOf(batch.valueSchema as object);
        const { type, transcode } = reader;
        if (transcode === undefined) {
          this.addRecord(columns, { key, value: decodeAvroValue(type, body, this.spec.name, offset), offset, schemaId }, context);
        } else {
          const outside: SinkRecord = { key, value: PRESENT, offset, schemaId };
          for (const index of this.outsideValue) (columns[index] as ColumnWriter).add((this.cells[index] as Cell)(outside, context));
          try {
            transcode(body, columns);
          } catch (error) {
            throw recordLevel(error, this.spec.name, 'value', offset);
          }
        }
      }
    });
  }

  /** Fills the block, copies it out as the body (one buffer: the socket gets it in one write), empties it. */
  private fill(rows: number, add: (columns: readonly ColumnWriter[]) => void): Buffer {
    try {
      add(this.block.columns);
      this.block.rows = rows;
      return Buffer.concat(this.block.chunks());
    } finally {
      this.block.reset();
    }
  }

  private addRecord(columns: readonly ColumnWriter[], record: SinkRecord, context: LineageContext): void {
    let i = 0;
    try {
      for (; i < columns.length; i++) (columns[i] as ColumnWriter).add((this.cells[i] as Cell)(record, context));
    } catch (error) {
      throw recordLevel(error, this.spec.name, `column ${this.spec.columns[i]?.name ?? '?'}`, record.offset);
    }
  }

  private readerOf(schema: object): { type: avsc.Type; transcode: Transcoder | undefined } {
    let reader = this.readers.get(schema);
    if (reader === undefined) {
      // Parsed as the runner's decoder parses (decimals as text), so both paths write the same bytes.
      const type = avroValueType(schema);
      this.readers.set(schema, (reader = { type, transcode: compileTranscoder(type, this.spec) }));
    }
    return reader;
  }
}

/** Lineage cells of a transcoded upsert read only that the value is there, never from it. */
const PRESENT: Readonly<Record<string, unknown>> = Object.freeze({});

function lineage(batch: Omit<WriteBatch, 'records'>): LineageContext {
  return { topic: batch.topic, partition: batch.partition, ingestedAtMs: batch.ingestedAtMs };
}

/** Record-level problems become `bad-data`; anything else (a bug) passes through unchanged. */
function recordLevel(error: unknown, table: string, where: string, offset: number): unknown {
  if (!(error instanceof BadValueError || error instanceof AvroBodyError)) return error;
  return new DestinationError(`table ${table}, ${where}, offset ${offset}: ${error.message}`, { reason: 'bad-data', table, cause: error });
}
