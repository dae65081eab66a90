/**
 * `sink run` started before its dependencies, as a child process on the real stack: its ops server
 * answers at once and /readyz says what it waits for. A registry that comes up later (a forwarder
 * to the stack's registry, started on the port the sink was given) lets it go on and load by
 * itself, and so does a destination that comes up later; Kafka that never comes makes it exit
 * non-zero once `startup.timeoutSeconds` passed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { openAdmin, type KafkaAdmin } from '../../kafka/admin.js';
import { createSchemaRegistry, type SchemaRegistry } from '../../avro/registry.js';
import type { AppConfig } from '../../common/config/schema.js';
import { createLogger } from '../../common/logger.js';
import { createKafka, type KafkaClient } from '../../kafka/client.js';
import { stackEndpoints } from '../../deploy/stack/endpoints.js';
import { cleanupPrefix } from '../../testkit/source-cleanup.js';
import { startHttpForwarder, type Forwarder } from '../helpers/forwarders.js';
import { freePort } from '../../testkit/free-port.js';
import {
  exitWithin,
  itemTopics,
  killChild,
  liveRows,
  readiness,
  spawnCli,
  type CliRun,
} from '../helpers/sink-fixture.js';
import { uniqueName, waitFor } from '../../testkit/wait-for.js';

const endpoints = stackEndpoints();
const quiet = createLogger({
  level: 'silent',
  format: 'json',
  destination: new Writable({ write: (_c, _e, done) => done() }),
});

/** Adds the child's last output to a failure. */
const withOutput =
  (run: CliRun) =>
  (error: unknown): never => {
    throw new Error(`${(error as Error).message}; output:\n${run.output().slice(-3_000)}`);
  };

describe('sink start-up with its dependencies unreachable (real stack, `sink run` process)', () => {
  const prefix = uniqueName('sinkstart');
  const topic = `${prefix}.items`;
  const database = uniqueName('sinkstart_db');
  const dir = mkdtempSync(join(tmpdir(), 'bc-sink-start-'));
  const children: CliRun[] = [];
  let proxy: Forwarder | undefined;
  let kafka: KafkaClient;
  let admin: KafkaAdmin;
  let registry: SchemaRegistry;
  let clickhouse: ClickHouseClient;

  before(async () => {
    const kafkaConfig: AppConfig['kafka'] = {
      brokers: [endpoints.kafkaBroker],
      clientId: prefix,
      topicPrefix: prefix,
      partitions: 2,
      replicationFactor: 1,
      ssl: false,
    };
    kafka = createKafka(kafkaConfig, quiet);
    admin = await openAdmin(kafka);
    registry = createSchemaRegistry({ url: endpoints.registryUrl });
    clickhouse = createClient({ url: endpoints.clickhouseUrl, log: { level: ClickHouseLogLevel.OFF } });
    const items = itemTopics(kafka, admin, registry);
    await items.create(topic);
    await items.produce(topic, 0, 12);
  });

  after(async () => {
    for (const run of children) await killChild(run, admin, `${prefix}-sink`);
    await proxy?.close();
    await admin.close();
    await cleanupPrefix(kafka, prefix);
    await clickhouse.command({ query: `DROP DATABASE IF EXISTS \`${database}\`` });
    await clickhouse.close();
    await registry.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function startSinkProcess(
    name: string,
    overrides: {
      brokers?: string[];
      registryUrl?: string;
      clickhouseUrl?: string;
      /** Its own table and group, for a run that must load what an earlier one loaded already. */
      namespace?: string;
      startupSeconds: number;
      httpPort: number;
      topicPrefix?: string;
      resources?: string[];
    },
  ): CliRun {
    const file = join(dir, `${name}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        log: { level: 'info', format: 'json' },
        kafka: {
          brokers: overrides.brokers ?? [endpoints.kafkaBroker],
          topicPrefix: overrides.topicPrefix ?? prefix,
          partitions: 2,
        },
        schemaRegistry: { url: overrides.registryUrl ?? endpoints.registryUrl },
        clickhouse: {
          url: overrides.clickhouseUrl ?? endpoints.clickhouseUrl,
          database: overrides.namespace ?? database,
        },
        http: { port: overrides.httpPort },
        sink: {
          groupId: overrides.namespace ?? `${prefix}-sink`,
          ...(overrides.resources === undefined ? {} : { resources: overrides.resources }),
          deadLetterTopic: `${prefix}.dlq`,
          batch: { maxAgeMs: 200 },
        },
        startup: { timeoutSeconds: overrides.startupSeconds },
      }),
    );
    const run = spawnCli(['sink', 'run', 'clickhouse', '-c', file]);
    children.push(run);
    return run;
  }

  it('waits for a registry that is not there yet, says so in /readyz, and loads once it answers', async () => {
    const registryPort = await freePort();
    const httpPort = await freePort();
    const ops = `http://127.0.0.1:${httpPort}`;
    const run = startSinkProcess('late-registry', {
      resources: ['items'],
      registryUrl: `http://127.0.0.1:${registryPort}${new URL(endpoints.registryUrl).pathname}`,
      startupSeconds: 120,
      httpPort,
    });

    const waiting = await waitFor(
      async () => {
        const ready = await readiness(ops);
        return ready.status === 503 &&
          /waiting for the schema registry at http:\/\/127\.0\.0\.1:\d+/.test(ready.reason ?? '')
          ? ready.reason
          : undefined;
      },
      { what: '/readyz to say the registry is awaited', timeoutMs: 60_000, intervalMs: 250 },
    ).catch(withOutput(run));
    assert.match(waiting ?? '', /unreachable/);
    assert.equal(run.child.exitCode, null, 'still running while it waits');

    proxy = await startHttpForwarder(endpoints.registryUrl, { port: registryPort });
    await waitFor(async () => (await liveRows(clickhouse, database, 'items')) === 12, {
      what: 'the sink to load once the registry answers',
      timeoutMs: 90_000,
      intervalMs: 250,
    }).catch(withOutput(run));
    await waitFor(async () => (await readiness(ops)).status === 200, {
      what: '/readyz to turn ready',
      timeoutMs: 30_000,
    });

    run.child.kill('SIGTERM');
    assert.equal(await exitWithin(run, 60_000), 0, `a graceful stop (output: ${run.output().slice(-2_000)})`);
  });

  it('waits for a destination that is not there yet, says so in /readyz, and loads once it answers', async () => {
    const lateDatabase = `${database}_late`;
    const clickhousePort = await freePort();
    const httpPort = await freePort();
    const ops = `http://127.0.0.1:${httpPort}`;
    const run = startSinkProcess('late-destination', {
      resources: ['items'],
      clickhouseUrl: `http://127.0.0.1:${clickhousePort}`,
      namespace: lateDatabase,
      startupSeconds: 120,
      httpPort,
    });
    await waitFor(
      async () => {
        const ready = await readiness(ops);
        return ready.status === 503 && /waiting for the clickhouse destination: /.test(ready.reason ?? '');
      },
      { what: '/readyz to say the destination is awaited', timeoutMs: 60_000, intervalMs: 250 },
    ).catch(withOutput(run));
    assert.equal(run.child.exitCode, null, 'still running while it waits');

    const forwarder = await startHttpForwarder(endpoints.clickhouseUrl, { port: clickhousePort });
    try {
      await waitFor(async () => (await liveRows(clickhouse, lateDatabase, 'items')) === 12, {
        what: 'the sink to load once the destination answers',
        timeoutMs: 90_000,
        intervalMs: 250,
      }).catch(withOutput(run));
      run.child.kill('SIGTERM');
      assert.equal(await exitWithin(run, 60_000), 0, `a graceful stop (output: ${run.output().slice(-2_000)})`);
    } finally {
      await forwarder.close();
      await clickhouse.command({ query: `DROP DATABASE IF EXISTS \`${lateDatabase}\`` });
      await admin.deleteGroups([lateDatabase]).catch(() => undefined);
    }
  });

  it('deployed before its source, waits for the resource topics to exist, then joins', async () => {
    const httpPort = await freePort();
    const ops = `http://127.0.0.1:${httpPort}`;
    const fresh = `${prefix}.fresh`;
    const run = startSinkProcess('before-source', { topicPrefix: fresh, startupSeconds: 120, httpPort });
    await waitFor(
      async () => {
        const ready = await readiness(ops);
        return (
          ready.status === 503 && /no resource topic named .*\.fresh\.<resource> exists yet/.test(ready.reason ?? '')
        );
      },
      { what: '/readyz to say the resource topics are awaited', timeoutMs: 60_000, intervalMs: 250 },
    ).catch(withOutput(run));
    assert.equal(run.child.exitCode, null, 'still running while it waits');

    await admin.createTopics([
      { topic: `${fresh}.settings_languages`, partitions: 1, replicationFactor: 1, compacted: false },
    ]);
    await waitFor(async () => (await readiness(ops)).status === 200, {
      what: 'the sink to join once a resource topic exists',
      timeoutMs: 90_000,
      intervalMs: 250,
    }).catch(withOutput(run));
    run.child.kill('SIGTERM');
    assert.equal(await exitWithin(run, 60_000), 0, `a graceful stop (output: ${run.output().slice(-2_000)})`);
  });

  it('gives up on Kafka after startup.timeoutSeconds and exits non-zero, /readyz saying why meanwhile', async () => {
    const httpPort = await freePort();
    const ops = `http://127.0.0.1:${httpPort}`;
    const closedPort = await freePort();
    const started = Date.now();
    const run = startSinkProcess('no-kafka', {
      resources: ['items'],
      brokers: [`127.0.0.1:${closedPort}`],
      startupSeconds: 20,
      httpPort,
    });

    await waitFor(
      async () => {
        const ready = await readiness(ops);
        return (
          ready.status === 503 &&
          new RegExp(`waiting for Kafka at 127\\.0\\.0\\.1:${closedPort}`).test(ready.reason ?? '')
        );
      },
      { what: '/readyz to say Kafka is awaited', timeoutMs: 60_000, intervalMs: 250 },
    ).catch(withOutput(run));
    const code = await exitWithin(run, 120_000);
    assert.equal(code, 1, `exit code (output: ${run.output().slice(-2_000)})`);
    assert.match(
      run.output(),
      new RegExp(
        `bookeo-connect: DependencyUnavailableError: Kafka at 127\\.0\\.0\\.1:${closedPort} still unreachable after \\d+ s`,
      ),
    );
    assert.ok(Date.now() - started >= 20_000, 'not before the start-up timeout');
  });
});
