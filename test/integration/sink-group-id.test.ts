/**
 * Two deployments on one Kafka cluster (different topic prefixes), on the real stack: configured
 * with the same group, the second sink (a `sink run` process) refuses to join and exits non-zero
 * naming the group and the other deployment's topics, while the first goes on loading; with the
 * default group ids each loads its own topics. A sink on the new default group continues from the
 * offsets the old default group committed for its topics.
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
import { sinkSchema, type AppConfig } from '../../common/config/schema.js';
import { createLogger } from '../../common/logger.js';
import { createMetricsRegistry } from '../../common/metrics.js';
import { createKafka, type KafkaClient } from '../../kafka/client.js';
import { stackEndpoints } from '../../deploy/stack/endpoints.js';
import type { Destination } from '../../sinks/destination.js';
import { legacyDefaultGroupId, sinkGroupId } from '../../contract/group-id.js';
import { createSinkMetrics } from '../../sinks/runner/metrics.js';
import { createRegistryDecoder } from '../../sinks/runner/registry-decoder.js';
import { startSink, type Sink } from '../../sinks/runner/sink.js';
import { cleanupPrefix } from '../../testkit/source-cleanup.js';
import { freePort } from '../../testkit/free-port.js';
import {
  committedToEnd,
  exitWithin,
  itemTopics,
  killChild,
  liveRows,
  spawnCli,
  type CliRun,
  type ItemTopics,
  stackClickHouseDestination,
} from '../helpers/sink-fixture.js';
import { uniqueName, waitFor } from '../../testkit/wait-for.js';

const endpoints = stackEndpoints();
const quiet = createLogger({
  level: process.env.TEST_LOG_LEVEL ?? 'silent',
  format: 'json',
  destination: new Writable({ write: (_c, _e, done) => done() }),
});

describe('sink group ids across deployments (real stack)', () => {
  const prefixA = uniqueName('sinkgrpa');
  const prefixB = uniqueName('sinkgrpb');
  const topicA = `${prefixA}.items`;
  const topicB = `${prefixB}.items`;
  const dir = mkdtempSync(join(tmpdir(), 'bc-sink-group-'));
  const databases: string[] = [];
  const groups: string[] = [];
  const destinations: Destination[] = [];
  const sinks: Sink[] = [];
  const children: CliRun[] = [];
  let kafka: KafkaClient;
  let admin: KafkaAdmin;
  let registry: SchemaRegistry;
  let clickhouse: ClickHouseClient;
  let items: ItemTopics;

  before(async () => {
    const kafkaConfig: AppConfig['kafka'] = {
      brokers: [endpoints.kafkaBroker],
      clientId: prefixA,
      topicPrefix: prefixA,
      partitions: 2,
      replicationFactor: 1,
      ssl: false,
    };
    kafka = createKafka(kafkaConfig, quiet);
    admin = await openAdmin(kafka);
    registry = createSchemaRegistry({ url: endpoints.registryUrl });
    clickhouse = createClient({ url: endpoints.clickhouseUrl, log: { level: ClickHouseLogLevel.OFF } });
    items = itemTopics(kafka, admin, registry);
    await items.create(topicA);
    await items.create(topicB);
    await items.produce(topicA, 0, 10);
    await items.produce(topicB, 0, 15);
  });

  after(async () => {
    for (const run of children) await killChild(run, admin, `${prefixA}-shared`);
    for (const sink of sinks) await sink.stop().catch(() => undefined);
    for (const destination of destinations) await destination.close().catch(() => undefined);
    for (const group of groups) await admin.deleteGroups([group]).catch(() => undefined);
    await admin.close();
    await cleanupPrefix(kafka, prefixA);
    await cleanupPrefix(kafka, prefixB);
    for (const database of databases) await clickhouse.command({ query: `DROP DATABASE IF EXISTS \`${database}\`` });
    await clickhouse.close();
    await registry.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function runSink(
    prefix: string,
    options: { groupId?: string; destinationName?: string } = {},
  ): Promise<{ sink: Sink; database: string }> {
    const database = uniqueName('sinkgrp_db');
    databases.push(database);
    const destination = stackClickHouseDestination(database, quiet);
    destinations.push(destination);
    const destinationName = options.destinationName ?? 'clickhouse';
    groups.push(options.groupId ?? sinkGroupId(undefined, prefix, destinationName));
    const sink = await startSink({
      kafka,
      kafkaConfig: { partitions: 1, replicationFactor: 1 },
      sinkConfig: sinkSchema.parse({
        ...(options.groupId === undefined ? {} : { groupId: options.groupId }),
        deadLetterTopic: `${prefix}.dlq`,
        batch: { maxRows: 100, maxBytes: 1024 * 1024, maxAgeMs: 200 },
      }),
      destination,
      destinationName,
      decoder: createRegistryDecoder(registry),
      topics: [`${prefix}.items`],
      topicPrefix: prefix,
      metrics: createSinkMetrics(createMetricsRegistry('sinkgrp_')),
      logger: quiet,
    });
    sinks.push(sink);
    return { sink, database };
  }

  it('refuses a second deployment configured with the same group: it exits non-zero naming the group and the topics; the first goes on', async () => {
    const sharedGroup = `${prefixA}-shared`;
    const first = await runSink(prefixA, { groupId: sharedGroup });
    await waitFor(async () => (await liveRows(clickhouse, first.database, 'items')) === 10, {
      what: "the first deployment's items loaded",
      timeoutMs: 60_000,
    });

    const databaseB = uniqueName('sinkgrp_db');
    databases.push(databaseB);
    const configFile = join(dir, 'second.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        log: { level: 'warn', format: 'json' },
        kafka: { brokers: [endpoints.kafkaBroker], topicPrefix: prefixB, partitions: 2 },
        schemaRegistry: { url: endpoints.registryUrl },
        clickhouse: { url: endpoints.clickhouseUrl, database: databaseB },
        http: { port: await freePort() },
        sink: { groupId: sharedGroup, resources: ['items'], deadLetterTopic: `${prefixB}.dlq` },
      }),
    );
    const second = spawnCli(['sink', 'run', 'clickhouse', '-c', configFile]);
    children.push(second);
    const code = await exitWithin(second, 90_000);
    assert.equal(code, 1, `exit code (output: ${second.output()})`);
    assert.match(
      second.output(),
      new RegExp(
        `consumer group ${sharedGroup} has running members subscribed to topics this sink does not consume \\(${topicA.replace('.', '\\.')}\\)`,
      ),
    );

    assert.equal(first.sink.runner.status().state, 'running');
    assert.ok(
      first.sink.runner.status().partitions.every((p) => p.topic === topicA),
      'the first sink holds only its own partitions',
    );
    await items.produce(topicA, 10, 5);
    await waitFor(async () => (await liveRows(clickhouse, first.database, 'items')) === 15, {
      what: 'the first deployment to go on loading',
      timeoutMs: 60_000,
    });
    assert.equal(await liveRows(clickhouse, databaseB, 'items'), 0);
    await first.sink.stop();
  });

  it('with the default group ids, two deployments each load their own topics', async () => {
    const [a, b] = await Promise.all([runSink(prefixA), runSink(prefixB)]);
    assert.notEqual(a?.sink.groupId, b?.sink.groupId);
    assert.equal(a?.sink.groupId, `bookeo-connect-sink-${prefixA}-clickhouse`);
    await waitFor(
      async () =>
        (await liveRows(clickhouse, a?.database ?? '', 'items')) === 15 &&
        (await liveRows(clickhouse, b?.database ?? '', 'items')) === 15,
      { what: 'each deployment loaded', timeoutMs: 60_000 },
    );
    assert.ok(a?.sink.runner.status().partitions.every((p) => p.topic === topicA));
    assert.ok(b?.sink.runner.status().partitions.every((p) => p.topic === topicB));
    await a?.sink.stop();
    await b?.sink.stop();
  });

  it('continues from the offsets the old default group committed for its topics', async () => {
    // A destination name of its own, so the old default group is this test's alone.
    const destinationName = `clickhouse${prefixA.slice(-8)}`;
    const legacyGroup = legacyDefaultGroupId(destinationName);
    groups.push(legacyGroup);
    const ends = await admin.topicOffsets(topicA);
    await admin.setGroupOffsets(
      legacyGroup,
      topicA,
      ends.map((p) => ({ partition: p.partition, offset: p.high })),
    );
    await admin.setGroupOffsets(legacyGroup, topicB, [{ partition: 0, offset: 1 }]);

    const { sink, database } = await runSink(prefixA, { destinationName });
    await items.produce(topicA, 100, 3);
    await waitFor(
      async () =>
        (await liveRows(clickhouse, database, 'items')) === 3 && (await committedToEnd(admin, sink.groupId, topicA)),
      { what: 'only the records after the adopted offsets loaded', timeoutMs: 60_000 },
    );
    const adopted = await admin.groupOffsets(sink.groupId, topicB);
    assert.ok(
      adopted.every((p) => p.offset === -1),
      "another deployment's offsets are not adopted",
    );
    await sink.stop();
  });
});
