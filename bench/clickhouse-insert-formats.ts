/**
 * Insert-format micro-bench: Bookeo-shaped booking rows into a ClickHouse table, once per format,
 * best of a few runs. Each timing covers what the sink would do per batch (record → row
 * conversion, encoding, the HTTP request, the server's parse and write); the encoding part alone is
 * shown next to it, because on a small machine the sink and the server share the CPU.
 *
 *   npx tsx bench/clickhouse-insert-formats.ts [rows] [runs]
 *
 * Targets the stack's ClickHouse (BOOKEO_STACK_CLICKHOUSE_PORT moves it); uses and drops its own
 * database; inserts with the destination's settings (dedup off, so that runs can repeat rows).
 * Results decided the sink's format: Native (sinks/clickhouse/native.ts), transcoded straight from
 * the Avro bytes (sinks/columnar/avro-transcoder.ts); the row filled from decoded records is shown next to it.
 * RowBinary is encoded here (https://clickhouse.com/docs/interfaces/formats/RowBinary) to measure it; Parquet
 * and Arrow bodies are made by ClickHouse itself (no encoder in this project), so their rows show
 * the server's side only.
 */
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { avroTypeOf } from '../avro/codec.js';
import { integerToBytes } from '../avro/logical.js';
import type { AvroType } from '../avro/schema-json.js';
import { createLogger } from '../common/logger.js';
import { stackEndpoints } from '../deploy/stack/endpoints.js';
import type { ColumnType, TableSpec } from '../sinks/columns.js';
import { describeTable } from '../sinks/runner/avro-table.js';
import { ByteWriter } from '../sinks/columnar/bytes.js';
import { qualifiedName, quoteIdentifier } from '../sinks/clickhouse/ddl.js';
import { createClickHouseDestination } from '../sinks/clickhouse/destination.js';
import { nativeBlockChunks } from '../sinks/clickhouse/native.js';
import { nativeBody } from '../sinks/clickhouse/native-batch.js';
import { BlockPlan } from '../sinks/columnar/block-plan.js';
import { columnWriter, decimalWidth, scaledDecimal } from '../sinks/columnar/writers.js';
import type { AvroSinkRecord, SinkRecord } from '../sinks/destination.js';
import { resolvedSchema, schemaVersion } from '../sinks/runner/registry-decoder.js';
import { createCellReaders, createRowConverter, type Row } from '../sinks/rows.js';
import { bookingKeySchema, bookingRecord, bookingValueSchema } from '../testkit/booking-avro.js';
import { uniqueName } from '../testkit/wait-for.js';

type Encode = (out: ByteWriter, value: unknown) => void;

/** RowBinary of one logical type: values as sinks/rows.ts gives them, null as the type's default. */
function rowBinary(type: ColumnType): Encode {
  const number =
    (write: (out: ByteWriter, value: number) => void): Encode =>
    (out, value) =>
      write(out, Number(value ?? 0));
  switch (type.kind) {
    case 'string':
    case 'enum':
    case 'bytes':
    case 'json':
      return (out, value) => out.string(value === null || value === undefined ? '' : String(value));
    case 'boolean':
    case 'uint8':
      return number((out, value) => out.u8(value));
    case 'int32':
    case 'uint32':
    case 'date':
      return number((out, value) => out.i32(value));
    case 'int64':
    case 'uint64':
    case 'timestamp':
      return number((out, value) => out.i64(value));
    case 'float32':
      return number((out, value) => out.f32(value));
    case 'float64':
      return number((out, value) => out.f64(value));
    case 'decimal': {
      const bytes = decimalWidth(type.precision);
      return (out, value) => {
        const scaled = value === null || value === undefined ? 0 : scaledDecimal(value, type.scale);
        if (bytes === 4) out.i32(Number(scaled));
        else out.wide(BigInt(scaled), bytes);
      };
    }
    case 'nullable': {
      const inner = rowBinary(type.inner);
      // Array, Map and Tuple cannot be Nullable in ClickHouse (types.ts): no flag byte, null = empty.
      if (type.inner.kind === 'array' || type.inner.kind === 'map' || type.inner.kind === 'struct') return inner;
      return (out, value) => {
        const isNull = value === null || value === undefined;
        out.u8(isNull ? 1 : 0);
        if (!isNull) inner(out, value);
      };
    }
    case 'array': {
      const items = rowBinary(type.items);
      return (out, value) => {
        const list = (value ?? []) as unknown[];
        out.varint(list.length);
        for (const item of list) items(out, item);
      };
    }
    case 'map': {
      const values = rowBinary(type.values);
      return (out, value) => {
        const entries = Object.entries((value ?? {}) as Record<string, unknown>);
        out.varint(entries.length);
        for (const [key, inner] of entries) {
          out.string(key);
          values(out, inner);
        }
      };
    }
    case 'struct': {
      const fields = type.fields.map((field) => [field.name, rowBinary(field.type)] as const);
      return (out, value) => {
        const record = (value ?? {}) as Record<string, unknown>;
        for (const [name, encode] of fields) encode(out, record[name]);
      };
    }
  }
}

function createRowBinaryEncoder(spec: TableSpec): (rows: readonly Row[]) => Buffer {
  const encoders = spec.columns.map((column) => rowBinary(column.type));
  return (rows) => {
    const out = new ByteWriter(1 << 20);
    for (const row of rows) for (let i = 0; i < encoders.length; i++) (encoders[i] as Encode)(out, row[i]);
    return out.view();
  };
}

const rowCount = Number(process.argv[2] ?? 100_000);
const runs = Number(process.argv[3] ?? 3);
const url = stackEndpoints().clickhouseUrl;
const database = uniqueName('bench_formats');
const table = 'bookings';
const lineage = { topic: 'bookeo.bookings', partition: 0, ingestedAtMs: Date.now() };

const spec = describeTable(table, bookingKeySchema, bookingValueSchema);
const names = spec.columns.map((column) => column.name);
const records = Array.from({ length: rowCount }, (_, n) => bookingRecord(n, n));
const convert = createRowConverter(spec);
const encodeRowBinary = createRowBinaryEncoder(spec);
const target = qualifiedName(database, table);
const columnList = names.map(quoteIdentifier).join(', ');
const version = schemaVersion(7, bookingValueSchema);
const schema = resolvedSchema(version, spec, () => version);
const blocks = new BlockPlan(schema);
const cells = createCellReaders(spec);
const objectColumns = spec.columns.map((column) => columnWriter(column.type));

/** Native filled from decoded records, every column through rows.ts's cells (the sink transcodes instead). */
function objectBody(rows: readonly SinkRecord[]): Buffer {
  try {
    for (const record of rows) cells.forEach((cell, i) => objectColumns[i]?.add(cell(record, lineage)));
    return Buffer.concat(nativeBlockChunks(spec, objectColumns, rows.length));
  } finally {
    for (const column of objectColumns) column.reset();
  }
}

/** The same bookings as Avro bodies, as the sink receives them (decimals as bytes). */
const avroValue = avroTypeOf(bookingValueSchema as unknown as AvroType);
const avroRecords: AvroSinkRecord[] = records.map((record) => {
  const value = record.value as Record<string, unknown>;
  const money = (amount: { amount: string; currency: string }) => ({
    amount: integerToBytes(BigInt(amount.amount.replace('.', ''))),
    currency: amount.currency,
  });
  const price = value.price as Record<string, { amount: string; currency: string }>;
  const body = avroValue.toBuffer({
    ...value,
    price: Object.fromEntries(Object.entries(price).map(([name, amount]) => [name, money(amount)])),
  });
  return { key: record.key, body, offset: record.offset, schemaId: record.schemaId };
});

const client = createClient({ url, request_timeout: 600_000, log: { level: ClickHouseLogLevel.OFF } });
const destination = createClickHouseDestination({
  connection: { url, username: 'default', password: '', database, requestTimeoutMs: 600_000 },
  mode: 'evolve',
  logger: createLogger({ level: 'warn', format: 'json' }),
});

/** The destination's settings, with dedup off so that every run inserts the same rows again. */
const settings = { insert_deduplicate: 0, optimize_on_insert: 0 } as const;

async function execBody(format: string, body: Buffer | string): Promise<void> {
  const result = await client.exec({
    query: `INSERT INTO ${target} (${columnList}) FORMAT ${format}`,
    values: Readable.from([body]),
    clickhouse_settings: settings,
  });
  await finished(result.stream.resume());
}

/** A body ClickHouse makes of the stored rows (formats this project has no encoder for). */
async function serverBody(format: string): Promise<Buffer> {
  await client.command({ query: `TRUNCATE TABLE ${target}` });
  await execBody('Native', objectBody(records));
  const chunks: Buffer[] = [];
  for await (const chunk of (await client.exec({ query: `SELECT ${columnList} FROM ${target} FORMAT ${format}` }))
    .stream as AsyncIterable<Buffer>)
    chunks.push(chunk);
  await client.command({ query: `TRUNCATE TABLE ${target}` });
  return Buffer.concat(chunks);
}

interface Run {
  /** Time spent building the body in this process (−1: not separable, the client encodes while sending). */
  readonly encodeMs: number;
  readonly bytes: number;
}

/** Builds a body (timed), then inserts it. */
async function timed(format: string, build: () => Buffer | string): Promise<Run> {
  const started = performance.now();
  const body = build();
  const encodeMs = performance.now() - started;
  await execBody(format, body);
  return { encodeMs, bytes: Buffer.byteLength(body) };
}

const formats: Record<string, () => Promise<Run>> = {
  JSONEachRow: async () => {
    const values = records.map((record) =>
      Object.fromEntries(convert(record, lineage).map((value, i) => [names[i] as string, value])),
    );
    await client.insert({ table: target, values, format: 'JSONEachRow', clickhouse_settings: settings });
    return { encodeMs: -1, bytes: -1 };
  },
  JSONCompactEachRow: () =>
    timed('JSONCompactEachRow', () => records.map((record) => JSON.stringify(convert(record, lineage))).join('\n')),
  RowBinary: () => timed('RowBinary', () => encodeRowBinary(records.map((record) => convert(record, lineage)))),
  'Native (records → columns)': () => timed('Native', () => objectBody(records)),
  'Native (Avro bytes → columns)': () =>
    timed('Native', () =>
      nativeBody(blocks, { ...lineage, schema, firstOffset: 0, lastOffset: rowCount - 1, records: avroRecords }),
    ),
};

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function measure(name: string, run: () => Promise<Run>): Promise<void> {
  let best = Infinity;
  let result: Run = { encodeMs: -1, bytes: -1 };
  for (let i = 0; i < runs; i++) {
    await client.command({ query: `TRUNCATE TABLE ${target}` });
    const started = performance.now();
    const outcome = await run();
    const elapsed = performance.now() - started;
    if (elapsed < best) [best, result] = [elapsed, outcome];
  }
  const [counted] = await (
    await client.query({ query: `SELECT count() AS n FROM ${target}`, format: 'JSONEachRow' })
  ).json<{ n: string }>();
  const encode = result.encodeMs < 0 ? 'encode in the client' : `encode ${result.encodeMs.toFixed(0)} ms`;
  const size = result.bytes < 0 ? '' : `, body ${(result.bytes / 1024 / 1024).toFixed(1)} MiB`;
  print(
    `${name.padEnd(34)} ${Math.round(rowCount / (best / 1000))
      .toLocaleString('en')
      .padStart(10)} rows/s  (${best.toFixed(0)} ms: ${encode}${size}; ${counted?.n} rows stored)`,
  );
}

try {
  await destination.prepare(spec);
  print(`ClickHouse ${url}, ${rowCount} booking rows (${spec.columns.length} columns), best of ${runs}`);
  for (const [name, run] of Object.entries(formats)) await measure(name, run);
  for (const format of ['Parquet', 'Arrow']) {
    const body = await serverBody(format);
    await measure(`${format} (server-made body)`, async () => {
      await execBody(format, body);
      return { encodeMs: 0, bytes: body.length };
    });
  }
} finally {
  await client.command({ query: `DROP DATABASE IF EXISTS ${quoteIdentifier(database)} SYNC` });
  await client.close();
  await destination.close();
}
