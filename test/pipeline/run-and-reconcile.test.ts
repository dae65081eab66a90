/**
 * The demo pipeline end to end, as `bookeo-connect run` wires it (source and a ClickHouse sink in
 * one process, one ops server), with "Bookeo" changing underneath it the whole time; then
 * reconcile must find Bookeo, the topics and the tables in agreement. Then the pipeline is
 * stopped, Bookeo changes again, and reconcile (the real command) must name what is now behind
 * and exit 3.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ClickHouseClient } from '@clickhouse/client';
import { validateConfig } from '../../common/config/load.js';
import type { AppConfig } from '../../common/config/schema.js';
import { createLogger } from '../../common/logger.js';
import { withAdmin } from '../../kafka/admin.js';
import { createKafka } from '../../kafka/client.js';
import { RESOURCE_CATALOG } from '../../bookeo/catalog/catalog.js';
import { stackEndpoints } from '../../deploy/stack/endpoints.js';
import { startApp, type App } from '../../app/app.js';
import type { OpsServer } from '../../common/ops-server.js';
import type { SourceRuntime } from '../../connector/source/runtime.js';
import { reconcile } from '../../reconcile/reconcile.js';
import { EXIT_DIFFERENCES } from '../../reconcile/command.js';
import { topicEnds } from '../../sinks/runner/group-admin.js';
import { startSimulator, type RunningSimulator } from '../../simulator/index.js';
import { cleanupPrefix } from '../../testkit/source-cleanup.js';
import { sourceTestConfig } from '../helpers/source-fixture.js';
import { stackClickHouse } from '../helpers/stack.js';
import { uniqueName, waitFor } from '../../testkit/wait-for.js';

const CLI = new URL('../../cli/main.ts', import.meta.url).pathname;
const SNAPSHOT_RESOURCES = RESOURCE_CATALOG.filter((row) => row.cursor.kind === 'snapshot').map((row) => row.name);

describe('run + reconcile: the demo pipeline with mutations on, then a reconcile that finds nothing', () => {
  let simulator: RunningSimulator;
  let config: AppConfig;
  let pipeline: App | undefined;
  let clickhouse: ClickHouseClient;
  const prefix = uniqueName('recon');
  const database = uniqueName('recon_db');
  const workDir = mkdtempSync(join(tmpdir(), 'bookeo-reconcile-'));
  const logger = createLogger({ level: (process.env.TEST_LOG_LEVEL ?? 'silent') as 'silent', format: 'json' });
  const now = (): number => simulator.admin.now().getTime();

  before(async () => {
    simulator = await startSimulator({ seed: 11, scale: 600 });
    const raw = JSON.parse(JSON.stringify(sourceTestConfig(simulator, { prefix }))) as Record<
      string,
      Record<string, unknown>
    >;
    raw.log = { level: 'warn', format: 'json' };
    raw.source = { ...raw.source, safetyLagSeconds: 5, lookbackSeconds: 60, pollIntervalSeconds: 1 };
    raw.clickhouse = { url: stackEndpoints().clickhouseUrl, database };
    raw.sink = {
      groupId: `${prefix}-sink`,
      deadLetterTopic: `${prefix}.dlq-sink`,
      batch: { maxRows: 5_000, maxAgeMs: 200 },
    };
    config = validateConfig(raw);
    clickhouse = stackClickHouse();
  });

  after(async () => {
    await pipeline?.stop();
    await clickhouse.command({ query: `DROP DATABASE IF EXISTS \`${database}\`` });
    await clickhouse.close();
    const kafka = createKafka(config.kafka, logger);
    await cleanupPrefix(kafka, prefix);
    await simulator.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('runs live through a stream of changes; afterwards Bookeo, topics and tables agree', async () => {
    pipeline = await startApp({ config, logger, source: true, destinations: ['clickhouse'], now });
    const running = { ...pipeline, source: pipeline.source as SourceRuntime, http: pipeline.http as OpsServer };
    const live = Promise.allSettled(running.source.tasks.map((task) => task.run()));

    // Bookeo keeps changing while the pipeline runs: new, edited and canceled bookings, customers
    // created, edited and deleted, products and resources edited, the clock moving on.
    let rounds = 0;
    let created = 0;
    const churn = setInterval(() => {
      simulator.admin.advance(20);
      created += simulator.admin.mutate({
        newBookings: 3,
        editBookings: 3,
        cancelBookings: 1,
        newCustomers: 1,
        editCustomers: 1,
        deleteCustomers: 1,
        editProducts: 1,
        editResources: 1,
      }).applied.newBookings;
      rounds++;
    }, 150);
    const rowsIn = async (table: string): Promise<number> => {
      const result = await clickhouse.query({
        query: `SELECT count() AS n FROM \`${database}\`.\`${table}\` FINAL`,
        format: 'JSONEachRow',
      });
      return Number((await result.json<{ n: string }>())[0]?.n ?? 0);
    };
    try {
      await waitFor(async () => rounds >= 40 && (await rowsIn('bookings').catch(() => 0)) > 0, {
        what: 'the pipeline to load while Bookeo changes',
        timeoutMs: 90_000,
      });
    } finally {
      clearInterval(churn);
    }

    // Changes stop. The clock moves past the safety lag and the sweep interval: the next poll reads
    // the last windows and sweeps, which republishes bookings whose product or resource was renamed
    // (Bookeo fills those names in without changing lastChangeTime). Snapshot resources get a full
    // listing (customers have no change time). Then the sink catches up with every topic. The
    // first pollOnce may join the live loop's poll in flight; the second one starts after it.
    simulator.admin.advance(Math.max(config.source.safetyLagSeconds + 1, config.source.sweepIntervalSeconds));
    for (const task of running.source.tasks) {
      for (const resource of SNAPSHOT_RESOURCES) await task.resnapshot(resource);
      await task.pollOnce();
      await task.pollOnce();
    }
    const ends = await withAdmin(createKafka(config.kafka, logger), (admin) => topicEnds(admin, running.topics));
    await running.sinks[0]?.sink.runner.caughtUp(ends);

    const metrics = await (await fetch(`${running.http.url}/metrics`)).text();
    assert.ok(/^bookeo_connect_source_api_calls_total\{/m.test(metrics), 'source series on the one /metrics');
    assert.ok(
      /^bookeo_connect_sink_records_total\{[^}]*destination="clickhouse"/m.test(metrics),
      'sink series on it too, labelled by destination',
    );
    const sinks = (await (await fetch(`${running.http.url}/sinks`)).json()) as Array<{
      destination: string;
      state: string;
    }>;
    assert.deepEqual(
      sinks.map((sink) => [sink.destination, sink.state]),
      [['clickhouse', 'running']],
    );

    const results = await reconcile({ config, destinationName: 'clickhouse', logger, graceSeconds: 0, now });
    const differences = results.flatMap((result) =>
      result.differences.map((difference) => ({ resource: result.resource, ...difference })),
    );
    assert.deepEqual(differences.slice(0, 10), [], 'reconcile finds no difference');
    const bookings = results.find((result) => result.resource === 'bookings');
    assert.ok(created >= 120, `bookings were created during the run (${created})`);
    assert.ok(bookings !== undefined && bookings.bookeo > created);
    assert.equal(bookings.topic, bookings.bookeo);
    assert.equal(bookings.table, bookings.bookeo);
    const customers = results.find((result) => result.resource === 'customers');
    assert.ok(
      customers !== undefined && customers.table === customers.bookeo,
      'deleted customers are gone from the table too',
    );

    await running.stop();
    pipeline = undefined;
    await live;
  });

  it('names what fell behind once the pipeline is stopped, and exits 3', async () => {
    const changed = simulator.admin.mutate({ editBookings: 2, deleteCustomers: 1 });
    simulator.admin.advance(60);
    const configFile = join(workDir, 'config.json');
    writeFileSync(configFile, JSON.stringify(config));
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        CLI,
        'reconcile',
        '--config',
        configFile,
        '--resource',
        'bookings',
        'customers',
        '--grace-seconds',
        '0',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, EXIT_DIFFERENCES, `exit code (stderr: ${stderr})`);
    assert.match(
      stdout,
      new RegExp(
        `bookings \\(acme\\) stale in topic: 2 — e\\.g\\. (${changed.ids.editBookings.join('|')}), (${changed.ids.editBookings.join('|')})`,
      ),
    );
    assert.match(
      stdout,
      new RegExp(`customers \\(acme\\) extra in topic: 1 — e\\.g\\. ${changed.ids.deleteCustomers[0]}`),
    );
    assert.doesNotMatch(stdout + stderr, new RegExp(simulator.secretKey), 'no secret in the output');
  });
});
