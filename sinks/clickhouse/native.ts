/**
 * ClickHouse's Native format (https://clickhouse.com/docs/interfaces/formats/Native), written by
 * hand: one block per batch, whose columns are the column writers' buffers (sinks/columnar/writers.ts,
 * which hold them in Native's column layout) in order, after a header and each column's name and type.
 *
 * Why Native: the engine reads it column by column with no parsing (bench/clickhouse-insert-formats.ts:
 * several times faster than JSONCompactEachRow or RowBinary for a booking's nested arrays of
 * tuples, where row formats are deserialized value by value).
 *
 * LowCardinality is a storage choice the server applies on insert, so blocks declare the plain type
 * (the server converts, as it does for a wider existing column).
 */
import type { TableSpec } from '../columns.js';
import { ByteWriter } from '../columnar/bytes.js';
import type { ColumnWriter } from '../columnar/writers.js';
import { clickhouseType, withoutLowCardinality } from './types.js';

/**
 * A Native block as chunks: column count, row count, then per column its name, its type and its data
 * (`columns`: one writer per column of `spec`, in spec order, each holding `rows` rows).
 * The chunks are views of the writers' buffers; send them before the writers are reset.
 */
export function nativeBlockChunks(spec: TableSpec, columns: readonly ColumnWriter[], rows: number): Buffer[] {
  const header = new ByteWriter(64);
  header.varint(spec.columns.length);
  header.varint(rows);
  const out: Buffer[] = [header.view()];
  spec.columns.forEach((column, i) => {
    const names = new ByteWriter(64);
    names.string(column.name);
    names.string(withoutLowCardinality(clickhouseType(column.type)));
    out.push(names.view());
    (columns[i] as ColumnWriter).chunks(out);
  });
  return out;
}
