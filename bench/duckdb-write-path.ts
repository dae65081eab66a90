/**
 * The DuckDB destination's write path alone, in this process, against a real database file in a
 * temporary directory: no Kafka, no registry, no sink runner. Bookings in the reviewed Avro schema
 * (the fixture booking, one key each) are written in batches as the runner hands them over (Avro
 * bodies and a resolved schema), first as new keys (a load into an empty table), then once more
 * with newer offsets (every row an update, which must merge). Prints the Avro decode of the same
 * bodies alone (the floor of the conversion stage), rows/s and the destination's
 * per-stage times for each pass, and the process's memory: RSS, of which the JS heap, and what
 * DuckDB's buffer manager holds (capped by `memoryLimit`).
 *
 *   npx tsx bench/duckdb-write-path.ts [rows=20000] [batchRows=10000] [memoryLimit=512MB]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createValueWriter } from '../avro/convert.js';
import { HEADER_SIZE } from '../avro/wire.js';
import { keySchema, valueSchemaOf } from '../avro/schemas.js';
import { DuckDBInstance } from '@duckdb/node-api';
import { createLogger } from '../common/logger.js';
import type { AvroSinkRecord, WriteBatch } from '../sinks/destination.js';
import { createDuckDBDestination } from '../sinks/duckdb/destination.js';
import { duckdbSchema } from '../sinks/duckdb/config.js';
import { WRITE_PATHS, type WriteStageTotals } from '../sinks/duckdb/write-stages.js';
import { describeTable } from '../sinks/runner/avro-table.js';
import { resolvedSchema, schemaVersion } from '../sinks/runner/registry-decoder.js';

const rows = Number(process.argv[2] ?? 20_000);
const batchRows = Number(process.argv[3] ?? 10_000);
const memoryLimit = process.argv[4] ?? '512MB';

const valueSchema = valueSchemaOf('bookings');
const spec = describeTable('bookings', keySchema(), valueSchema);
const version = schemaVersion(1, valueSchema);
const schema = resolvedSchema(version, spec, () => version);
const fixture = JSON.parse(
  readFileSync(new URL('../test/fixtures/bookeo/booking.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;
const writer = createValueWriter(valueSchema, 'bookings.value');
/** The Avro body alone (the wire format's header cut off), as a sink batch carries it. */
const bodies = Array.from({ length: rows }, (_, n) =>
  writer.encode({ ...fixture, bookingNumber: String(1_000_000 + n), title: `Party ${n}` }, 1).subarray(HEADER_SIZE),
);

function batches(firstOffset: number): WriteBatch[] {
  const out: WriteBatch[] = [];
  for (let start = 0; start < rows; start += batchRows) {
    const records: AvroSinkRecord[] = bodies.slice(start, start + batchRows).map((body, i) => ({
      key: { account: 'acme', id: String(1_000_000 + start + i) },
      body,
      offset: firstOffset + start + i,
      schemaId: 1,
    }));
    out.push({
      schema,
      topic: 'bench.bookings',
      partition: 0,
      firstOffset: firstOffset + start,
      lastOffset: firstOffset + start + records.length - 1,
      records,
      ingestedAtMs: Date.now(),
    });
  }
  return out;
}

function difference(after: WriteStageTotals, before: WriteStageTotals): string {
  const ms = (stage: keyof WriteStageTotals['ms']): number => after.ms[stage] - before.ms[stage];
  const paths = WRITE_PATHS.map((path) => `${after.paths[path] - before.paths[path]} ${path}`).join(', ');
  return `convert ${ms('convert')} ms, append ${ms('append')} ms, apply ${ms('apply')} ms; batches ${paths}`;
}

const directory = mkdtempSync(join(tmpdir(), 'bookeo-bench-duckdb-write-'));
const path = join(directory, 'bench.duckdb');

/** RSS, JS heap and DuckDB's buffer manager (read through node-api's instance cache: the destination's own instance). */
async function memory(): Promise<string> {
  const instance = await DuckDBInstance.fromCache(path);
  const connection = await instance.connect();
  try {
    const [[bytes]] = (
      await connection.runAndReadAll('SELECT sum(memory_usage_bytes) FROM duckdb_memory()')
    ).getRows() as [[bigint]];
    const mb = (n: number): number => Math.round(n / 1048576);
    const usage = process.memoryUsage();
    return `RSS ${mb(usage.rss)} MB (JS heap ${mb(usage.heapUsed)} of ${mb(usage.heapTotal)} MB, external ${mb(usage.external)} MB, DuckDB ${mb(Number(bytes))} MB of ${memoryLimit})`;
  } finally {
    connection.closeSync();
  }
}

/** The floor of any sink that decodes the values: the same bodies decoded and nothing else. */
function decodeFloor(): string {
  const started = performance.now();
  for (const body of bodies) schema.decode(body, 1);
  return `Avro decode alone: ${Math.round(((performance.now() - started) * 1000) / rows)} µs/row`;
}

const destination = createDuckDBDestination({
  connection: duckdbSchema.parse({ path, memoryLimit }),
  mode: 'evolve',
  logger: createLogger({ level: 'warn', format: 'json' }),
});
try {
  process.stdout.write(`${decodeFloor()}\n`);
  await destination.prepare(spec);
  for (const [pass, firstOffset] of [
    ['new keys', 0],
    ['updates', rows],
  ] as const) {
    const before = destination.writeStages();
    const started = performance.now();
    for (const batch of batches(firstOffset)) await destination.write(batch);
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(
      `${pass}: ${rows} rows in ${seconds.toFixed(2)} s, ${Math.round(rows / seconds)} rows/s; ${difference(destination.writeStages(), before)}; ${await memory()}\n`,
    );
  }
} finally {
  await destination.close();
  rmSync(directory, { recursive: true, force: true });
}
