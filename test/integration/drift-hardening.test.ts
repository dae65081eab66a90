/**
 * Drift hardening against the real stack. Names: the source's topic serializer, on the real
 * registry, evolves a schema for Bookeo fields named like a lineage column (`_version`) and like
 * each other once sanitised (`a-b`, `a_b`); sinks on the real ClickHouse engine and on DuckDB load
 * every record into the renamed columns and nothing goes to a dead-letter topic (before the naming
 * rule, `_version` made every later record of the resource a dead letter and `a-b` overwrote
 * `a_b`). Cap: a sink with `sink.drift` capping the resource at one new field loads that field's
 * column and every record, leaving the others out. Alarm: a resource whose last `sink.deadLetterAlarm` records all went to the dead-letter
 * topic degrades the sink (its /readyz reason) and sets its gauge, until a record is written again.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { DuckDBInstance } from '@duckdb/node-api';
import { createSchemaRegistry, type SchemaRegistry } from '../../avro/registry.js';
import { sourceKeyOf } from '../../avro/schema-json.js';
import { createTopicSerializer } from '../../avro/topic-serializer.js';
import { sinkSchema, type AppConfig } from '../../common/config/schema.js';
import { createLogger } from '../../common/logger.js';
import { createMetricsRegistry, type Registry } from '../../common/metrics.js';
import { createRetry } from '../../common/retry.js';
import { stackEndpoints } from '../../deploy/stack/endpoints.js';
import { openAdmin, type KafkaAdmin } from '../../kafka/admin.js';
import { createKafka, type KafkaClient } from '../../kafka/client.js';
import { ensureTopics } from '../../kafka/topics.js';
import { createTransactionalWriter } from '../../kafka/transactional-writer.js';
import type { Destination } from '../../sinks/destination.js';
import { createDuckDBDestination } from '../../sinks/duckdb/destination.js';
import { duckdbSchema } from '../../sinks/duckdb/config.js';
import { createSinkMetrics } from '../../sinks/runner/metrics.js';
import { createRegistryDecoder } from '../../sinks/runner/registry-decoder.js';
import { startSink, type Sink } from '../../sinks/runner/sink.js';
import { uniqueName, waitFor } from '../../testkit/wait-for.js';
import { committedToEnd, stackClickHouseDestination } from '../helpers/sink-fixture.js';

const endpoints = stackEndpoints();
const quiet = createLogger({
  level: process.env.TEST_LOG_LEVEL ?? 'silent',
  format: 'json',
  destination: new Writable({ write: (_c, _e, done) => done() }),
});
const prefix = uniqueName('driftnames');
const kafkaConfig: AppConfig['kafka'] = {
  brokers: [endpoints.kafkaBroker],
  clientId: 'drift-names-it',
  topicPrefix: prefix,
  partitions: 1,
  replicationFactor: 1,
  ssl: false,
};

/** Webhooks as Bookeo might send them once it added three fields. */
const webhook = (n: number, drifted: boolean): Record<string, unknown> => ({
  id: `W${n}`,
  url: `https://example.test/${n}`,
  domain: 'bookings',
  type: 'created',
  ...(drifted ? { _version: 1000 + n, 'a-b': `dash-${n}`, a_b: `underscore-${n}` } : {}),
});

describe('drift hardening (real registry, Kafka, ClickHouse engine, DuckDB)', () => {
  let kafka: KafkaClient;
  let admin: KafkaAdmin;
  let registry: SchemaRegistry;
  let clickhouse: ClickHouseClient;
  const topic = `${prefix}.webhooks`;
  const alarmTopic = `${prefix}.payments`;
  const database = prefix;
  const cappedDatabase = `${prefix}_capped`;
  const directory = mkdtempSync(join(tmpdir(), 'bookeo-drift-names-'));
  const duckdbPath = join(directory, 'bookeo.duckdb');
  const sinks: Sink[] = [];
  const destinations: Destination[] = [];
  const groups: string[] = [];
  const deadLetterTopics: string[] = [];

  before(async () => {
    kafka = createKafka(kafkaConfig, quiet);
    admin = await openAdmin(kafka);
    registry = createSchemaRegistry({ url: endpoints.registryUrl });
    clickhouse = createClient({ url: endpoints.clickhouseUrl, log: { level: ClickHouseLogLevel.OFF } });
    await ensureTopics(
      admin,
      [topic, alarmTopic].map((name) => ({ topic: name, partitions: 1, replicationFactor: 1, compacted: true })),
    );
  });

  after(async () => {
    for (const sink of sinks) await sink.stop().catch(() => undefined);
    for (const destination of destinations) await destination.close().catch(() => undefined);
    await admin.deleteTopics([topic, alarmTopic, ...deadLetterTopics], { timeoutMs: 30_000 }).catch(() => undefined);
    for (const group of groups) await admin.deleteGroups([group]).catch(() => undefined);
    await admin.close();
    for (const name of [database, cappedDatabase])
      await clickhouse.command({ query: `DROP DATABASE IF EXISTS \`${name}\`` }).catch(() => undefined);
    await clickhouse.close();
    for (const subject of [topic, alarmTopic].flatMap((name) => [`${name}-key`, `${name}-value`])) {
      await registry.deleteSubject(subject).catch(() => undefined);
      await registry.deleteSubject(subject, true).catch(() => undefined);
    }
    await registry.close();
    rmSync(directory, { recursive: true, force: true });
  });

  async function runSink(
    destinationName: string,
    destination: Destination,
    from = topic,
    metricsRegistry: Registry = createMetricsRegistry(`driftnames_${destinationName}_`),
    sinkKeys: Record<string, unknown> = {},
  ): Promise<Sink> {
    const groupId = uniqueName(`${prefix}-${destinationName}`);
    const deadLetterTopic = `${from}.dlq-${destinationName}`;
    groups.push(groupId);
    deadLetterTopics.push(deadLetterTopic);
    destinations.push(destination);
    const sink = await startSink({
      kafka,
      kafkaConfig,
      sinkConfig: sinkSchema.parse({
        batch: { maxRows: 5, maxAgeMs: 200 },
        deadLetterTopic,
        deadLetterAlarm: 3,
        ...sinkKeys,
      }),
      destination,
      destinationName,
      decoder: createRegistryDecoder(registry),
      topics: [from],
      topicPrefix: prefix,
      metrics: createSinkMetrics(metricsRegistry),
      logger: quiet,
      retry: createRetry({ retries: 3, initialDelayMs: 50, maxDelayMs: 300, multiplier: 2 }),
      groupId,
    });
    sinks.push(sink);
    return sink;
  }

  async function deadLetters(deadLetterTopic: string): Promise<number> {
    const offsets = await admin.topicOffsets(deadLetterTopic);
    return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  }

  it('renames colliding new fields, and both destinations load every record into the renamed columns', async () => {
    const serializer = await createTopicSerializer({ registry, topic, resource: 'webhooks', logger: quiet });
    const records = [];
    // Two records before the new fields, then six with them: the schema evolves once, mid-stream.
    for (let n = 0; n < 8; n++) {
      const value = await serializer.serializeValue(webhook(n, n >= 2));
      records.push({ topic, key: serializer.serializeKey('acme', `W${n}`), value });
    }
    const byKey = new Map(serializer.value.schema.fields.map((field) => [sourceKeyOf(field), field.name]));
    assert.deepEqual(
      ['_version', 'a-b', 'a_b'].map((key) => byKey.get(key)),
      ['_version_2', 'a_b', 'a_b_2'],
    );
    assert.equal(serializer.value.version, 2, 'one new version for the three fields');
    const writer = await createTransactionalWriter(kafka, uniqueName('drift-names-producer'));
    try {
      await writer.commit(records);
    } finally {
      await writer.close();
    }

    const clickhouseSink = await runSink('clickhouse', stackClickHouseDestination(database, quiet));
    const duckdbSink = await runSink(
      'duckdb',
      createDuckDBDestination({
        connection: duckdbSchema.parse({ path: duckdbPath, memoryLimit: '256MB' }),
        mode: 'evolve',
        logger: quiet,
      }),
    );
    for (const [index, sink] of [clickhouseSink, duckdbSink].entries())
      await waitFor(() => committedToEnd(admin, groups[index] as string, topic), {
        timeoutMs: 60_000,
        what: `${sink.groupId} committed the topic to its end`,
      });

    const expected = Array.from({ length: 8 }, (_, n) =>
      n < 2 ? `W${n} null null null` : `W${n} ${1000 + n} dash-${n} underscore-${n}`,
    );
    const line = (row: Record<string, unknown>): string =>
      `${String(row.id)} ${String(row._version_2 ?? null)} ${String(row.a_b ?? null)} ${String(row.a_b_2 ?? null)}`;
    const fromClickHouse = await (
      await clickhouse.query({
        query: `SELECT id, _version_2, a_b, a_b_2, _version FROM \`${database}\`.webhooks FINAL ORDER BY id`,
        format: 'JSONEachRow',
      })
    ).json<Record<string, unknown>>();
    assert.deepEqual(fromClickHouse.map(line), expected);
    // `_version` stays the lineage column: the Kafka offset, not Bookeo's value.
    assert.deepEqual(
      fromClickHouse.map((row) => Number(row._version)),
      [0, 1, 2, 3, 4, 5, 6, 7],
    );

    await duckdbSink.stop();
    const instance = await DuckDBInstance.fromCache(duckdbPath);
    const reader = await instance.connect();
    try {
      const fromDuckDB = (
        await reader.runAndReadAll('SELECT id, _version_2, a_b, a_b_2 FROM main.webhooks ORDER BY id')
      ).getRowObjectsJson();
      assert.deepEqual(fromDuckDB.map(line), expected);
    } finally {
      reader.closeSync();
    }
    for (const deadLetterTopic of deadLetterTopics) assert.equal(await deadLetters(deadLetterTopic), 0);
    assert.equal(clickhouseSink.runner.status().state, 'running');
  });

  it('with sink.drift capping the resource at one new field, loads that one and every record, the other fields left out', async () => {
    // The first test's topic: two records before the drift, six after it (ranks: _version 1, a-b 2, a_b 3).
    const sink = await runSink('capped', stackClickHouseDestination(cappedDatabase, quiet), topic, undefined, {
      drift: { resources: { webhooks: { maxNewFields: 1 } } },
    });
    await waitFor(() => committedToEnd(admin, sink.groupId, topic), {
      timeoutMs: 60_000,
      what: 'the capped sink committed the topic to its end',
    });
    const columns = await (
      await clickhouse.query({
        query: `SELECT name FROM system.columns WHERE database = {db:String} AND table = 'webhooks' AND name LIKE '%\\_%'`,
        query_params: { db: cappedDatabase },
        format: 'JSONEachRow',
      })
    ).json<{ name: string }>();
    const names = columns.map((column) => column.name);
    assert.ok(names.includes('_version_2'), names.join(', '));
    assert.ok(!names.includes('a_b') && !names.includes('a_b_2'), names.join(', '));
    const rows = await (
      await clickhouse.query({
        query: `SELECT id, _version_2 FROM \`${cappedDatabase}\`.webhooks FINAL ORDER BY id`,
        format: 'JSONEachRow',
      })
    ).json<{ id: string; _version_2: string | null }>();
    assert.deepEqual(
      rows.map((row) => `${row.id} ${String(row._version_2)}`),
      Array.from({ length: 8 }, (_, n) => `W${n} ${n < 2 ? 'null' : 1000 + n}`),
    );
    assert.equal(await deadLetters(`${topic}.dlq-capped`), 0);
  });

  it('turns the sink degraded, naming the resource, while its last records all go to the DLQ, and back once one is written', async () => {
    const serializer = await createTopicSerializer({
      registry,
      topic: alarmTopic,
      resource: 'webhooks',
      logger: quiet,
    });
    const record = async (n: number, cutShort: boolean) => {
      const value = await serializer.serializeValue(webhook(n, false));
      // Framed right but one byte short: the destination cannot read it, a dead letter (stage decode).
      return {
        topic: alarmTopic,
        key: serializer.serializeKey('acme', `W${n}`),
        value: cutShort ? value.subarray(0, -1) : value,
      };
    };
    const produce = async (records: Awaited<ReturnType<typeof record>>[]): Promise<void> => {
      const writer = await createTransactionalWriter(kafka, uniqueName('drift-alarm-producer'));
      try {
        await writer.commit(records);
      } finally {
        await writer.close();
      }
    };
    await produce([await record(0, false), await record(1, true), await record(2, true), await record(3, true)]);
    const metricsRegistry = createMetricsRegistry('driftalarm_');
    const sink = await runSink('alarm', stackClickHouseDestination(database, quiet), alarmTopic, metricsRegistry);
    const gauge = async (): Promise<number | undefined> => {
      const metric = metricsRegistry.getSingleMetric('bookeo_connect_sink_resource_dead_lettering');
      const values = metric === undefined ? [] : (await metric.get()).values;
      return values.find((value) => value.labels.topic === alarmTopic)?.value;
    };
    await waitFor(() => sink.runner.status().state === 'degraded' || undefined, {
      timeoutMs: 30_000,
      what: 'the sink degraded by the dead-lettering resource',
    });
    assert.match(
      sink.runner.status().error ?? '',
      new RegExp(`every record of ${alarmTopic.replace(/\./g, '\\.')} goes to the dead-letter topic`),
    );
    assert.equal(await gauge(), 1);
    assert.equal(await deadLetters(`${alarmTopic}.dlq-alarm`), 3);

    await produce([await record(4, false)]);
    await waitFor(() => sink.runner.status().state === 'running' || undefined, {
      timeoutMs: 30_000,
      what: 'the sink running again once a record of the resource was written',
    });
    assert.equal(await gauge(), 0);
  });
});
