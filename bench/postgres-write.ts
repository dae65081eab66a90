/**
 * The PostgreSQL destination's write path alone, in process, against the stack's server: simulator
 * bookings converted with the real bookings schema and Avro-encoded as the source publishes them,
 * then written in batches (a first pass inserting into an empty table, a second pass of newer
 * versions upserting over it, a third replaying those). Prints each pass's rate, the client's and
 * the server's CPU per row and the destination's own stage timings (its debug line per batch), so
 * a change to the hot path can be measured without Kafka or the sink process:
 * `flock /tmp/bookeo-stack.lock npx tsx bench/postgres-write.ts [rows] [batchRows]`.
 */
import { Writable } from 'node:stream';
import pg from 'pg';
import { keySchema, valueSchemaOf } from '../avro/schemas.js';
import { createLogger } from '../common/logger.js';
import { stackEndpoints } from '../deploy/stack/endpoints.js';
import { stackStatus } from '../deploy/stack/stack.js';
import type { AvroSinkRecord, WriteBatch } from '../sinks/destination.js';
import { postgresSchema } from '../sinks/postgres/config.js';
import { createPostgresDestination } from '../sinks/postgres/destination.js';
import { describeTable } from '../sinks/runner/avro-table.js';
import { resolvedSchema, schemaVersion } from '../sinks/runner/registry-decoder.js';
import { simulatorBookingBodies } from '../testkit/simulator-bookings.js';
import { serverCpuSeconds, stageTotals } from './postgres-sink.js';

const rows = Number(process.argv[2] ?? 20_000);
const batchRows = Number(process.argv[3] ?? 10_000);
const schemaName = `pgwrite_${process.pid}`;

/** The destination's debug lines of the current pass. */
let logged = '';
const capture = new Writable({
  write(chunk: Buffer, _encoding, done) {
    logged += chunk.toString();
    done();
  },
});

const bodies = simulatorBookingBodies(rows);
const valueSchema = valueSchemaOf('bookings');
const table = describeTable('bookings', keySchema(), valueSchema);
const version = schemaVersion(1, valueSchema);
const resolved = resolvedSchema(version, table, () => version);
const connection = postgresSchema.parse({ connectionString: stackEndpoints().postgresUrl, schema: schemaName });
const destination = createPostgresDestination({
  connection,
  mode: 'evolve',
  logger: createLogger({ level: 'debug', format: 'json', destination: capture }),
});

function batchesOf(pass: number): WriteBatch[] {
  const batches: WriteBatch[] = [];
  for (let start = 0; start < bodies.length; start += batchRows) {
    const records: AvroSinkRecord[] = bodies.slice(start, start + batchRows).map((entry, index) => ({
      key: entry.key,
      body: entry.body,
      offset: pass * bodies.length + start + index,
      schemaId: 1,
    }));
    batches.push({
      topic: 'bench.bookings',
      partition: 0,
      firstOffset: records[0]?.offset ?? 0,
      lastOffset: records.at(-1)?.offset ?? 0,
      ingestedAtMs: Date.now(),
      schema: resolved,
      records,
    });
  }
  return batches;
}

const postmaster = (await stackStatus()).find((service) => service.name === 'postgres')?.pid;
if (postmaster === undefined) throw new Error("the stack's PostgreSQL is not running (npm run stack -- up)");

try {
  await destination.prepare(table);
  for (const [pass, what] of ['insert into an empty table', 'upsert newer versions', 'replay (no change)'].entries()) {
    const batches = batchesOf(pass === 2 ? 1 : pass);
    logged = '';
    const cpu = process.cpuUsage();
    const server = serverCpuSeconds(postmaster);
    const started = performance.now();
    for (const batch of batches) await destination.write(batch);
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    const serverMicros = ((serverCpuSeconds(postmaster) - server) * 1e6) / bodies.length;
    const totals = stageTotals(logged);
    const perRow = Object.entries(totals.ms).map(([name, ms]) => `${name} ${((ms * 1000) / bodies.length).toFixed(1)}`);
    process.stdout.write(
      `${what}: ${Math.round(bodies.length / seconds)} rows/s, CPU µs/row: client ${((used.user + used.system) / bodies.length).toFixed(1)}, server ${serverMicros.toFixed(1)}; ${totals.paths.inserted} batches inserted, ${totals.paths.merged} merged, ${totals.refusedInserts} inserts refused; µs/row: ${perRow.join(', ')}\n`,
    );
  }
} finally {
  await destination.close();
  const admin = new pg.Client({ connectionString: stackEndpoints().postgresUrl });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${schemaName} CASCADE`);
  await admin.end();
}
