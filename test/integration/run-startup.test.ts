/**
 * `bookeo-connect run` started before the schema registry answers, as a child process on the real
 * stack and a simulated Bookeo: its ops server listens from the start, /readyz says what the start
 * waits for and the REST routes answer 503; once the registry answers (a forwarder to the shared
 * one, opened on the address `run` was given) the source and the sink start by themselves, the
 * routes serve, and SIGTERM ends it with exit 0.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { openAdmin } from '../../kafka/admin.js';
import { createKafka, type KafkaClient } from '../../kafka/client.js';
import { stackEndpoints } from '../../deploy/stack/endpoints.js';
import { startSimulator, type RunningSimulator } from '../../simulator/index.js';
import { startHttpForwarder, type Forwarder } from '../helpers/forwarders.js';
import { freePort } from '../../testkit/free-port.js';
import { exitWithin, killChild, liveRows, readiness, spawnCli, type CliRun } from '../helpers/sink-fixture.js';
import { cleanupPrefix } from '../../testkit/source-cleanup.js';
import { capturingLogger, sourceTestConfig } from '../helpers/source-fixture.js';
import { uniqueName, waitFor } from '../../testkit/wait-for.js';

const endpoints = stackEndpoints();

describe('run start-up with the registry unreachable (real stack, `run` process)', () => {
  const prefix = uniqueName('runstart');
  const database = uniqueName('runstart_db');
  const dir = mkdtempSync(join(tmpdir(), 'bc-run-start-'));
  let simulator: RunningSimulator;
  let kafka: KafkaClient;
  let clickhouse: ClickHouseClient;
  let forwarder: Forwarder | undefined;
  let run: CliRun | undefined;

  before(async () => {
    simulator = await startSimulator({ seed: 3, scale: 60 });
    kafka = createKafka(sourceTestConfig(simulator, { prefix }).kafka, capturingLogger().logger);
    clickhouse = createClient({ url: endpoints.clickhouseUrl, log: { level: ClickHouseLogLevel.OFF } });
  });

  after(async () => {
    const admin = await openAdmin(kafka);
    try {
      if (run !== undefined) await killChild(run, admin, `${prefix}-sink`);
    } finally {
      await admin.close();
    }
    await forwarder?.close();
    await cleanupPrefix(kafka, prefix);
    await clickhouse.command({ query: `DROP DATABASE IF EXISTS \`${database}\`` });
    await clickhouse.close();
    await simulator.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves /readyz from the start, says the registry is awaited, and starts source and sink once it answers', async () => {
    const registryPort = await freePort();
    const httpPort = await freePort();
    const ops = `http://127.0.0.1:${httpPort}`;
    const raw = JSON.parse(JSON.stringify(sourceTestConfig(simulator, { prefix }))) as Record<
      string,
      Record<string, unknown>
    >;
    raw.log = { level: 'warn', format: 'json' };
    raw.schemaRegistry = { url: `http://127.0.0.1:${registryPort}${new URL(endpoints.registryUrl).pathname}` };
    raw.http = { port: httpPort };
    raw.clickhouse = { url: endpoints.clickhouseUrl, database };
    raw.source = { ...raw.source, resources: ['settings_products'] };
    raw.sink = { groupId: `${prefix}-sink`, deadLetterTopic: `${prefix}.dlq-sink`, batch: { maxAgeMs: 200 } };
    raw.startup = { timeoutSeconds: 120 };
    const file = join(dir, 'run.json');
    writeFileSync(file, JSON.stringify(raw));
    run = spawnCli(['run', '-c', file, '-d', 'clickhouse']);
    const child = run;
    const withOutput = (error: unknown): never => {
      throw new Error(`${(error as Error).message}; output:\n${child.output().slice(-3_000)}`);
    };

    await waitFor(
      async () => {
        const ready = await readiness(ops);
        return (
          ready.status === 503 &&
          /waiting for the schema registry at http:\/\/127\.0\.0\.1:\d+/.test(ready.reason ?? '')
        );
      },
      { what: '/readyz to say the registry is awaited', timeoutMs: 60_000, intervalMs: 250 },
    ).catch(withOutput);
    const early = await fetch(`${ops}/connector`);
    assert.equal(early.status, 503, 'the source REST API answers, not ready yet');
    assert.match(((await early.json()) as { error: string }).error, /the source is starting/);

    forwarder = await startHttpForwarder(endpoints.registryUrl, { port: registryPort });
    await waitFor(async () => (await readiness(ops)).status === 200, {
      what: '/readyz to turn ready',
      timeoutMs: 90_000,
      intervalMs: 250,
    }).catch(withOutput);
    const connector = (await (await fetch(`${ops}/connector`)).json()) as { tasks: Array<{ account: string }> };
    assert.deepEqual(
      connector.tasks.map((task) => task.account),
      ['acme'],
    );
    const sinks = (await (await fetch(`${ops}/sinks`)).json()) as Array<{
      destination: string;
      groupId: string;
      state: string;
    }>;
    assert.deepEqual(sinks, [
      { destination: 'clickhouse', groupId: `${prefix}-sink`, deadLetterTopic: `${prefix}.dlq-sink`, state: 'running' },
    ]);
    await waitFor(async () => (await liveRows(clickhouse, database, 'settings_products')) > 0, {
      what: 'products loaded',
      timeoutMs: 60_000,
      intervalMs: 250,
    }).catch(withOutput);

    child.child.kill('SIGTERM');
    assert.equal(await exitWithin(child, 60_000), 0, `a graceful stop (output: ${child.output().slice(-2_000)})`);
  });
});
