/**
 * Insert-format micro-bench: 100k Bookeo-shaped booking rows into a ClickHouse table, once per
 * format, best of a few runs. Each timing covers what the sink would do per batch: record → row
 * conversion, encoding, the HTTP request and the server's parse and write.
 *
 *   npx tsx bench/clickhouse-insert-formats.ts [rows] [runs]
 *
 * Targets the stack's ClickHouse (BOOKEO_STACK_CLICKHOUSE_PORT moves it); uses and drops its own
 * database. Results decided the sink's format (JSONCompactEachRow). RowBinary is encoded here
 * (per https://clickhouse.com/docs/interfaces/formats/RowBinary) so a server that takes binary
 * bodies can be measured too; a chdb-backed front that reads bodies as text makes it fail, which
 * the bench reports instead of stopping.
 */
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { createLogger } from '../common/logger.js';
import { stackEndpoints } from '../deploy/stack/endpoints.js';
import { describeTable, type ColumnType, type TableSpec } from '../sinks/columns.js';
import { qualifiedName, quoteIdentifier } from '../sinks/clickhouse/ddl.js';
import { createClickHouseDestination } from '../sinks/clickhouse/destination.js';
import { createRowConverter, type Row } from '../sinks/rows.js';
import { bookingKeySchema, bookingRecord, bookingValueSchema } from '../test/helpers/booking-avro.js';
import { uniqueName } from '../test/helpers/wait-for.js';

/** A growable output buffer; the encoders write straight into it. */
class Output {
  buffer = Buffer.allocUnsafe(1 << 20);
  at = 0;

  reserve(bytes: number): void {
    if (this.at + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.at + bytes));
    this.buffer.copy(grown, 0, 0, this.at);
    this.buffer = grown;
  }

  varint(value: number): void {
    this.reserve(10);
    this.at = putVarint(this.buffer, this.at, value);
  }

  string(value: string): void {
    // UTF-8 needs at most 3 bytes per UTF-16 unit: reserve for that, write the text, then its real length in front.
    const max = value.length * 3;
    const room = varintSize(max);
    this.reserve(room + max);
    const start = this.at;
    const written = this.buffer.write(value, start + room, 'utf8');
    const size = varintSize(written);
    if (size !== room) this.buffer.copyWithin(start + size, start + room, start + room + written);
    putVarint(this.buffer, start, written);
    this.at = start + size + written;
  }
}

/** LEB128, as RowBinary writes lengths; returns the position after the last byte. */
function putVarint(buffer: Buffer, at: number, value: number): number {
  let pos = at;
  let rest = value;
  while (rest >= 0x80) {
    buffer[pos++] = (rest & 0x7f) | 0x80;
    rest = Math.floor(rest / 128);
  }
  buffer[pos++] = rest;
  return pos;
}

function varintSize(value: number): number {
  let size = 1;
  for (let rest = value; rest >= 0x80; rest = Math.floor(rest / 128)) size++;
  return size;
}

type Encode = (out: Output, value: unknown) => void;

function fixed(size: number, write: (buffer: Buffer, value: number, at: number) => void): Encode {
  return (out, value) => {
    out.reserve(size);
    write(out.buffer, typeof value === 'number' ? value : Number(value ?? 0), out.at);
    out.at += size;
  };
}

const writeInt64 = (buffer: Buffer, value: number, at: number): void => {
  // Two 32-bit halves avoid a BigInt per value; exact for every safe integer.
  const low = value % 0x1_0000_0000;
  buffer.writeUInt32LE(low < 0 ? low + 0x1_0000_0000 : low, at);
  buffer.writeInt32LE(Math.floor(value / 0x1_0000_0000), at + 4);
};

/** Decimal text → the scaled integer ClickHouse stores; more fraction digits than the scale is an error, never a rounding. */
function scaledDecimal(text: string, scale: number): bigint {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text.trim());
  const fraction = match?.[3] ?? '';
  if (!match || (match[2] === '' && fraction === '') || fraction.replace(/0+$/, '').length > scale) {
    throw new RangeError(`${JSON.stringify(text)} is not a decimal with at most ${scale} fraction digits`);
  }
  const digits = BigInt(`${match[2] || '0'}${fraction.slice(0, scale).padEnd(scale, '0')}`);
  return match[1] === '-' ? -digits : digits;
}

function decimal(precision: number, scale: number): Encode {
  const bytes = precision <= 9 ? 4 : precision <= 18 ? 8 : precision <= 38 ? 16 : 32;
  return (out, value) => {
    let scaled = value === null || value === undefined ? 0n : scaledDecimal(String(value), scale);
    out.reserve(bytes);
    if (bytes === 4) out.buffer.writeInt32LE(Number(scaled), out.at);
    else {
      for (let at = out.at; at < out.at + bytes; at += 8) {
        out.buffer.writeBigUInt64LE(BigInt.asUintN(64, scaled), at);
        scaled >>= 64n;
      }
    }
    out.at += bytes;
  };
}

function encoderFor(type: ColumnType): Encode {
  switch (type.kind) {
    case 'string':
    case 'enum':
    case 'bytes':
    case 'json':
      return (out, value) => out.string(value === null || value === undefined ? '' : (value as string));
    case 'boolean':
      return fixed(1, (buffer, value, at) => buffer.writeUInt8(value ? 1 : 0, at));
    case 'uint8':
      return fixed(1, (buffer, value, at) => buffer.writeUInt8(value, at));
    case 'int32':
    case 'date':
      return fixed(4, (buffer, value, at) => buffer.writeInt32LE(value, at));
    case 'uint32':
      return fixed(4, (buffer, value, at) => buffer.writeUInt32LE(value, at));
    case 'int64':
    case 'uint64':
    case 'timestamp':
      return fixed(8, writeInt64);
    case 'float32':
      return fixed(4, (buffer, value, at) => buffer.writeFloatLE(value, at));
    case 'float64':
      return fixed(8, (buffer, value, at) => buffer.writeDoubleLE(value, at));
    case 'decimal':
      return decimal(type.precision, type.scale);
    case 'nullable': {
      const inner = encoderFor(type.inner);
      // Array, Map and Tuple cannot be Nullable in ClickHouse (types.ts): no flag byte, null = empty.
      if (type.inner.kind === 'array' || type.inner.kind === 'map' || type.inner.kind === 'struct') return inner;
      return (out, value) => {
        out.reserve(1);
        if (value === null || value === undefined) {
          out.buffer[out.at++] = 1;
          return;
        }
        out.buffer[out.at++] = 0;
        inner(out, value);
      };
    }
    case 'array': {
      const items = encoderFor(type.items);
      return (out, value) => {
        const list = (value ?? []) as unknown[];
        out.varint(list.length);
        for (const item of list) items(out, item);
      };
    }
    case 'map': {
      const values = encoderFor(type.values);
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
      const fields = type.fields.map((field) => [field.name, encoderFor(field.type)] as const);
      return (out, value) => {
        const record = (value ?? {}) as Record<string, unknown>;
        for (const [name, encode] of fields) encode(out, record[name]);
      };
    }
  }
}

/** Compiles the encoder for a table's columns, in `spec.columns` order (the INSERT names them in that order). */
function createRowBinaryEncoder(spec: TableSpec): (rows: readonly Row[]) => Buffer {
  const encoders = spec.columns.map((column) => encoderFor(column.type));
  return (rows) => {
    const out = new Output();
    for (const row of rows) {
      for (let i = 0; i < encoders.length; i++) (encoders[i] as Encode)(out, row[i]);
    }
    return out.buffer.subarray(0, out.at);
  };
}

const rowCount = Number(process.argv[2] ?? 100_000);
const runs = Number(process.argv[3] ?? 3);
const url = stackEndpoints().clickhouseUrl;
const database = uniqueName('bench_formats');
const table = 'bookings';
const context = { topic: 'bookeo.bookings', partition: 0, ingestedAtMs: Date.now() };

const spec = describeTable(table, bookingKeySchema, bookingValueSchema);
const names = spec.columns.map((column) => column.name);
const records = Array.from({ length: rowCount }, (_, n) => bookingRecord(n, n));
const convert = createRowConverter(spec);
const encodeRowBinary = createRowBinaryEncoder(spec);
const target = qualifiedName(database, table);
const columnList = names.map(quoteIdentifier).join(', ');

const client = createClient({ url, request_timeout: 600_000, log: { level: ClickHouseLogLevel.OFF } });
const destination = createClickHouseDestination({
  connection: { url, username: 'default', password: '', database, requestTimeoutMs: 600_000 },
  mode: 'evolve',
  logger: createLogger({ level: 'warn', format: 'json' }),
});

function toObjects(rows: readonly Row[]): Record<string, unknown>[] {
  return rows.map((row) => {
    const object: Record<string, unknown> = {};
    for (let i = 0; i < names.length; i++) object[names[i] as string] = row[i];
    return object;
  });
}

// Every run inserts the same rows: without this the server's block deduplication would drop runs 2..n.
const noDedup = { insert_deduplicate: 0 } as const;

async function execBody(format: string, body: Buffer | string): Promise<void> {
  const result = await client.exec({ query: `INSERT INTO ${target} (${columnList}) FORMAT ${format}`, values: Readable.from([body]), clickhouse_settings: noDedup });
  await finished(result.stream.resume());
}

/** Each format: one insert of all rows; returns the body size when the bench builds the body itself. */
const formats: Record<string, (run: number) => Promise<number>> = {
  JSONEachRow: async () => {
    const values = toObjects(records.map((record) => convert(record, context)));
    await client.insert({ table: target, values, format: 'JSONEachRow', clickhouse_settings: noDedup });
    return -1;
  },
  JSONCompactEachRow: async () => {
    const values = records.map((record) => convert(record, context));
    await client.insert({ table: target, values, format: 'JSONCompactEachRow', columns: names as [string, ...string[]], clickhouse_settings: noDedup });
    return -1;
  },
  'JSONCompactEachRow (one body)': async () => {
    const body = records.map((record) => JSON.stringify(convert(record, context))).join('\n');
    await execBody('JSONCompactEachRow', body);
    return Buffer.byteLength(body);
  },
  RowBinary: async () => {
    const body = encodeRowBinary(records.map((record) => convert(record, context)));
    await execBody('RowBinary', body);
    return body.length;
  },
  'JSONCompactEachRow via destination': async (run) => {
    // A partition per run gives each run its own token (the destination always deduplicates).
    await destination.write({ table: spec, topic: context.topic, partition: run, firstOffset: 0, lastOffset: rowCount - 1, records, ingestedAtMs: context.ingestedAtMs });
    return -1;
  },
};

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

try {
  await destination.prepare(spec);
  print(`ClickHouse ${url}, ${rowCount} booking rows (${spec.columns.length} columns), best of ${runs}`);
  for (const [name, run] of Object.entries(formats)) {
    let best = Infinity;
    let bytes = -1;
    try {
      for (let i = 0; i < runs; i++) {
        await client.command({ query: `TRUNCATE TABLE ${target}` });
        const started = performance.now();
        bytes = await run(i);
        best = Math.min(best, performance.now() - started);
      }
    } catch (error) {
      // A server (or HTTP front) that does not pass binary bodies through fails here; say so and go on.
      print(`${name.padEnd(34)} failed: ${(error as Error).message.split('\n')[0]}`);
      continue;
    }
    const counted = await (await client.query({ query: `SELECT count() AS n FROM ${target}`, format: 'JSONEachRow' })).json<{ n: string }>();
    const size = bytes < 0 ? '' : `, body ${(bytes / 1024 / 1024).toFixed(1)} MiB`;
    print(`${name.padEnd(34)} ${Math.round(rowCount / (best / 1000)).toLocaleString('en').padStart(10)} rows/s  (${best.toFixed(0)} ms${size}; ${counted[0]?.n} rows stored)`);
  }
} finally {
  await client.command({ query: `DROP DATABASE IF EXISTS ${quoteIdentifier(database)} SYNC` });
  await client.close();
  await destination.close();
}
