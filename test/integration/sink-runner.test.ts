/**
 * The sink runner end to end against the real stack: Avro records produced in Kafka transactions,
 * decoded through the real registry, loaded into a real ClickHouse by the ClickHouse destination.
 * Every test uses its own topic, group, database and subjects, and waits on conditions, never on
 * time.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Writable } from 'node:stream';
import avsc from 'avsc';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { openAdmin, type KafkaAdmin } from '../../kafka/admin.js';
import { sinkSchema, type AppConfig } from '../../common/config/schema.js';
import { createLogger } from '../../common/logger.js';
import { createMetricsRegistry } from '../../common/metrics.js';
import { createRetry } from '../../common/retry.js';
import { createSchemaRegistry, ensureSubjects, type SchemaRegistry } from '../../avro/registry.js';
import { createFramedEncoder } from '../../avro/wire.js';
import { createKafka, type KafkaClient } from '../../kafka/client.js';
import { ensureTopics } from '../../kafka/topics.js';
import type { OutgoingRecord } from '../../kafka/records.js';
import { createTransactionalWriter } from '../../kafka/transactional-writer.js';
import { stackEndpoints } from '../../deploy/stack/endpoints.js';
import { createClickHouseDestination } from '../../sinks/clickhouse/destination.js';
import type { Destination } from '../../sinks/destination.js';
import { DEAD_LETTER_HEADER } from '../../contract/dead-letter-headers.js';
import { readDeadLetters } from '../../sinks/dlq/command.js';
import { GroupActiveError, resetGroup } from '../../sinks/runner/group-admin.js';
import { rebuildResource } from '../../sinks/runner/rebuild.js';
import { validateConfig } from '../../common/config/load.js';
import { createSinkMetrics } from '../../sinks/runner/metrics.js';
import { createRegistryDecoder } from '../../sinks/runner/registry-decoder.js';
import { startSink, type Sink, type SinkOptions } from '../../sinks/runner/sink.js';
import { committedToEnd, itemKeySchema as keySchema, itemValueSchema as valueSchema } from '../helpers/sink-fixture.js';
import { uniqueName, waitFor } from '../../testkit/wait-for.js';

const endpoints = stackEndpoints();
const quiet = createLogger({
  level: process.env.TEST_LOG_LEVEL ?? 'silent',
  format: 'json',
  destination: new Writable({ write: (_c, _e, done) => done() }),
});
const kafkaConfig: AppConfig['kafka'] = {
  brokers: [endpoints.kafkaBroker],
  clientId: 'sink-it',
  topicPrefix: 'x',
  partitions: 2,
  replicationFactor: 1,
  ssl: false,
};
const fastRetry = createRetry({ retries: 3, initialDelayMs: 50, maxDelayMs: 300, multiplier: 2 });

interface Item {
  readonly id: string;
  readonly name: string;
  readonly amount: number;
}

describe('sink runner (real Kafka, registry, ClickHouse)', () => {
  let kafka: KafkaClient;
  let admin: KafkaAdmin;
  let registry: SchemaRegistry;
  let clickhouse: ClickHouseClient;
  const prefix = uniqueName('sinkit');
  const databases: string[] = [];
  const topics: string[] = [];
  const subjects: string[] = [];
  const groups: string[] = [];
  const destinations: Destination[] = [];
  const encoder = createFramedEncoder();
  const keyType = avsc.Type.forSchema(keySchema as avsc.Schema);
  const valueType = avsc.Type.forSchema(valueSchema as avsc.Schema);
  let ids: { key: number; value: number };

  before(async () => {
    kafka = createKafka(kafkaConfig, quiet);
    admin = await openAdmin(kafka);
    registry = createSchemaRegistry({ url: endpoints.registryUrl });
    clickhouse = createClient({ url: endpoints.clickhouseUrl, log: { level: ClickHouseLogLevel.OFF } });
  });

  after(async () => {
    await admin.deleteTopics(topics, { timeoutMs: 30_000 });
    // One by one: kafkajs fails the whole call when one group is already gone.
    for (const group of groups) await admin.deleteGroups([group]).catch(() => undefined);
    await admin.close();
    for (const destination of destinations) await destination.close().catch(() => undefined);
    for (const database of databases)
      await clickhouse.command({ query: `DROP DATABASE IF EXISTS \`${database}\`` }).catch(() => undefined);
    // A permanent delete needs a soft one first (the registry refuses it otherwise).
    for (const subject of subjects) {
      await registry.deleteSubject(subject).catch(() => undefined);
      await registry.deleteSubject(subject, true).catch(() => undefined);
    }
    await clickhouse.close();
    await registry.close();
  });

  /** A fresh resource topic with its subjects registered; returns its name and resource. */
  async function newTopic(resource: string): Promise<string> {
    const topic = `${prefix}.${resource}`;
    topics.push(topic);
    await ensureTopics(admin, [{ topic, partitions: 2, replicationFactor: 1, compacted: true }]);
    const registered = await ensureSubjects(registry, topic, keySchema, valueSchema);
    subjects.push(`${topic}-key`, `${topic}-value`);
    ids = { key: registered.key.id, value: registered.value.id };
    return topic;
  }

  function record(topic: string, id: string, value: Omit<Item, 'id'> | null | Buffer): OutgoingRecord {
    const key = encoder.encode(ids.key, keyType, { account: 'acme', id });
    if (value === null || Buffer.isBuffer(value)) return { topic, key, value };
    return { topic, key, value: encoder.encode(ids.value, valueType, value) };
  }

  async function produce(records: readonly OutgoingRecord[]): Promise<void> {
    const writer = await createTransactionalWriter(kafka, uniqueName('sinkit-producer'));
    try {
      // Several transactions, so transaction markers sit between the records.
      for (let start = 0; start < records.length; start += 10) await writer.commit(records.slice(start, start + 10));
    } finally {
      await writer.close();
    }
  }

  function destinationFor(database: string, url = endpoints.clickhouseUrl): Destination {
    if (!databases.includes(database)) databases.push(database);
    const destination = createClickHouseDestination({
      connection: { url, username: 'default', password: '', database, requestTimeoutMs: 5_000 },
      mode: 'evolve',
      logger: quiet,
    });
    destinations.push(destination);
    return destination;
  }

  async function runSink(
    topic: string,
    destination: Destination,
    overrides: Partial<SinkOptions> & { groupId: string },
  ): Promise<Sink> {
    if (!groups.includes(overrides.groupId)) groups.push(overrides.groupId);
    const deadLetterTopic = `${topic}.dlq`;
    if (!topics.includes(deadLetterTopic)) topics.push(deadLetterTopic);
    return startSink({
      kafka,
      kafkaConfig,
      sinkConfig: sinkSchema.parse({
        batch: { maxRows: 7, maxBytes: 1024 * 1024, maxAgeMs: 200 },
        concurrency: 3,
        deadLetterTopic,
        shutdownTimeoutMs: 10_000,
      }),
      destination,
      destinationName: 'clickhouse',
      decoder: createRegistryDecoder(registry),
      topics: [topic],
      topicPrefix: prefix,
      metrics: createSinkMetrics(createMetricsRegistry('sinkit_')),
      logger: quiet,
      retry: fastRetry,
      ...overrides,
    });
  }

  async function query<T>(sql: string): Promise<T[]> {
    const result = await clickhouse.query({ query: sql, format: 'JSONEachRow' });
    return result.json<T>();
  }

  /** The table's current state, one row per live key, as `id=name/amount`. */
  async function tableState(database: string, table: string): Promise<string[]> {
    const rows = await query<{ id: string; name: string; amount: string | number }>(
      `SELECT id, name, amount FROM \`${database}\`.\`${table}\` FINAL ORDER BY id`,
    );
    return rows.map((row) => `${row.id}=${row.name}/${Number(row.amount)}`);
  }

  /** Rows whose (partition, offset) appears more than once: a write that was not deduplicated. */
  async function duplicateRows(database: string, table: string): Promise<number> {
    const [row] = await query<{ dup: string }>(
      `SELECT count() - uniqExact(_partition, _offset) AS dup FROM \`${database}\`.\`${table}\``,
    );
    return Number(row?.dup ?? 0);
  }

  /** Entities 0..count-1, each written twice (the second version wins), keys spread over both partitions. */
  function versions(topic: string, count: number): { records: OutgoingRecord[]; expected: string[] } {
    const records: OutgoingRecord[] = [];
    const expected: string[] = [];
    for (let i = 0; i < count; i++)
      records.push(record(topic, `k${String(i).padStart(2, '0')}`, { name: `v1-${i}`, amount: i }));
    for (let i = 0; i < count; i++) {
      records.push(record(topic, `k${String(i).padStart(2, '0')}`, { name: `v2-${i}`, amount: i * 10 }));
      expected.push(`k${String(i).padStart(2, '0')}=v2-${i}/${i * 10}`);
    }
    return { records, expected };
  }

  it('loads topic → table, deletes on tombstones, dead-letters a poison record, and a replay changes nothing', async () => {
    const topic = await newTopic('items');
    const database = uniqueName('sinkit_db');
    const groupId = uniqueName('sinkit-group');
    const { records, expected } = versions(topic, 20);
    records.push(record(topic, 'k03', null));
    records.push(record(topic, 'poison', Buffer.from('these bytes are not Avro')));
    records.push(record(topic, 'k04', { name: 'after-poison', amount: 4 }));
    await produce(records);
    const want = expected
      .filter((line) => !line.startsWith('k03='))
      .map((line) => (line.startsWith('k04=') ? 'k04=after-poison/4' : line));

    const destination = destinationFor(database);
    const sink = await runSink(topic, destination, { groupId });
    await waitFor(
      async () => JSON.stringify(await tableState(database, 'items').catch(() => [])) === JSON.stringify(want),
      { what: 'the table to hold the latest state', timeoutMs: 60_000 },
    );
    await waitFor(() => committedToEnd(admin, groupId, topic), { what: 'offsets committed to the end' });

    const dead = await readDeadLetters(kafka, `${topic}.dlq`);
    assert.equal(dead.length, 1);
    const [letter] = dead;
    assert.equal(letter?.topic, topic);
    assert.equal(letter?.stage, 'decode');
    assert.equal(letter?.errorClass, 'WireFormatError');
    assert.equal(letter?.message.value?.toString(), 'these bytes are not Avro');
    assert.ok(letter?.message.headers?.[DEAD_LETTER_HEADER.offset] !== undefined);
    await sink.stop();

    // Replay: move the group to the earliest offsets and run again; the final state is identical.
    await resetGroup(admin, groupId, [topic], { kind: 'earliest' });
    const replay = await runSink(topic, destination, { groupId });
    await waitFor(() => committedToEnd(admin, groupId, topic), {
      what: 'the replay to commit to the end',
      timeoutMs: 60_000,
    });
    await replay.stop();
    assert.deepEqual(await tableState(database, 'items'), want);
    const afterReplay = await readDeadLetters(kafka, `${topic}.dlq`);
    assert.equal(
      afterReplay.length,
      2,
      `the replay dead-letters the poison record again (at-least-once DLQ): ${JSON.stringify(afterReplay.slice(0, 3).map((e) => [e.offset, e.stage, e.errorClass, e.errorMessage]))}`,
    );
  });

  it('dead-letters a value that is framed right but does not decode, writes the rest, and writes tails without waiting for maxAgeMs', async () => {
    const topic = await newTopic('garbled');
    const database = uniqueName('sinkit_db');
    const groupId = uniqueName('sinkit-group');
    const { records, expected } = versions(topic, 8);
    const whole = record(topic, 'garbled', { name: 'cut short', amount: 5 });
    records.splice(5, 0, { ...whole, value: (whole.value as Buffer).subarray(0, (whole.value as Buffer).length - 1) });
    await produce(records);

    // maxAgeMs far beyond the wait below: the partitions' last batches are cut because they are read to the end.
    const sinkConfig = sinkSchema.parse({
      batch: { maxRows: 7, maxBytes: 1024 * 1024, maxAgeMs: 120_000 },
      concurrency: 3,
      deadLetterTopic: `${topic}.dlq`,
      shutdownTimeoutMs: 10_000,
    });
    const sink = await runSink(topic, destinationFor(database), { groupId, sinkConfig });
    await waitFor(() => committedToEnd(admin, groupId, topic), {
      what: 'offsets committed to the end, tails included',
      timeoutMs: 30_000,
    });
    assert.deepEqual(await tableState(database, 'garbled'), expected);
    const dead = await readDeadLetters(kafka, `${topic}.dlq`);
    assert.deepEqual(
      dead.map((letter) => [letter.stage, letter.errorClass]),
      [['decode', 'WireFormatError']],
      'found while writing (the destination reads Avro itself), reported as the decode failure it is',
    );
    await sink.stop();
  });

  it('a crash between the destination write and the offset commit duplicates nothing', async () => {
    const topic = await newTopic('crashy');
    const database = uniqueName('sinkit_db');
    const groupId = uniqueName('sinkit-group');
    const { records, expected } = versions(topic, 15);
    await produce(records);
    const destination = destinationFor(database);

    let crashed = 0;
    const crashing = await runSink(topic, destination, {
      groupId,
      afterWrite: () => {
        crashed++;
        throw new Error('injected crash after the write, before the commit');
      },
    });
    await assert.rejects(crashing.runner.done, /injected crash/);
    await crashing.stop();
    assert.ok(crashed >= 1);
    const offsets = await admin.groupOffsets(groupId, topic);
    assert.ok(
      offsets.every((p) => p.offset <= 0 || p.metadata?.includes('cut-at') === true),
      'nothing but intents was committed for the crashed batches',
    );

    const sink = await runSink(topic, destination, { groupId });
    await waitFor(() => committedToEnd(admin, groupId, topic), {
      what: 'the restarted sink to commit to the end',
      timeoutMs: 60_000,
    });
    await sink.stop();
    assert.deepEqual(await tableState(database, 'crashy'), expected);
    assert.equal(
      await duplicateRows(database, 'crashy'),
      0,
      'the re-delivered batches carried the same tokens and were dropped',
    );
  });

  it('two sinks with different groups both receive everything', async () => {
    const topic = await newTopic('shared');
    const { records, expected } = versions(topic, 12);
    await produce(records);
    const [dbA, dbB] = [uniqueName('sinkit_a'), uniqueName('sinkit_b')];
    const sinkA = await runSink(topic, destinationFor(dbA), { groupId: uniqueName('sinkit-a') });
    const sinkB = await runSink(topic, destinationFor(dbB), { groupId: uniqueName('sinkit-b') });
    for (const database of [dbA, dbB]) {
      await waitFor(
        async () => JSON.stringify(await tableState(database, 'shared').catch(() => [])) === JSON.stringify(expected),
        { what: `${database} to hold everything`, timeoutMs: 60_000 },
      );
    }
    await Promise.all([sinkA.stop(), sinkB.stop()]);
  });

  it('waits out a destination that is down, then loses nothing', async () => {
    const topic = await newTopic('outage');
    const database = uniqueName('sinkit_db');
    const groupId = uniqueName('sinkit-group');
    const { records, expected } = versions(topic, 10);
    await produce(records);

    // A real ClickHouse client pointed at a closed port until the outage "ends".
    const down = destinationFor(database, 'http://127.0.0.1:9');
    const up = destinationFor(database);
    let healthy = false;
    const switching: Destination = {
      capabilities: up.capabilities,
      ping: () => (healthy ? up : down).ping(),
      prepare: (table) => (healthy ? up : down).prepare(table),
      write: (batch) => (healthy ? up : down).write(batch),
      startRebuild: (table) => (healthy ? up : down).startRebuild(table),
      liveVersions: (table, keyColumns) => (healthy ? up : down).liveVersions(table, keyColumns),
      close: async () => undefined,
    };
    const sink = await runSink(topic, switching, { groupId });
    await waitFor(() => sink.runner.status().state === 'degraded', {
      what: 'the runner to report the destination as failing',
    });
    const offsets = await admin.groupOffsets(groupId, topic);
    assert.ok(
      offsets.every((p) => p.offset <= 0 || p.metadata?.includes('cut-at') === true),
      'no data offset is committed while nothing is written',
    );

    healthy = true;
    await waitFor(
      async () => JSON.stringify(await tableState(database, 'outage').catch(() => [])) === JSON.stringify(expected),
      { what: 'everything to arrive after the outage', timeoutMs: 60_000 },
    );
    await waitFor(() => sink.runner.status().state === 'running', { what: 'the runner to be healthy again' });
    await sink.stop();
  });

  it('refuses to reset a running group, and rebuilds a resource into a fresh table swapped in atomically', async () => {
    const topic = await newTopic('rebuilt');
    const database = uniqueName('sinkit_db');
    const groupId = uniqueName('sinkit-group');
    const { records, expected } = versions(topic, 9);
    await produce(records);
    const destination = destinationFor(database);
    const sink = await runSink(topic, destination, { groupId });
    await waitFor(() => committedToEnd(admin, groupId, topic), {
      what: 'the live sink to load everything',
      timeoutMs: 60_000,
    });
    await assert.rejects(resetGroup(admin, groupId, [topic], { kind: 'earliest' }), GroupActiveError);
    await sink.stop();
    // Damage the live table so the rebuild visibly replaces it.
    await clickhouse.command({ query: `TRUNCATE TABLE \`${database}\`.\`rebuilt\`` });

    const config = validateConfig({
      kafka: { brokers: [endpoints.kafkaBroker], topicPrefix: prefix, partitions: 2 },
      schemaRegistry: { url: endpoints.registryUrl },
      clickhouse: { url: endpoints.clickhouseUrl, database },
      sink: { groupId, deadLetterTopic: `${topic}.dlq`, batch: { maxRows: 5, maxAgeMs: 200 } },
    });
    await rebuildResource({
      kafka,
      config,
      destination,
      destinationName: 'clickhouse',
      decoder: createRegistryDecoder(registry),
      resource: 'rebuilt',
      metrics: createSinkMetrics(createMetricsRegistry('sinkit_rb_')),
      logger: quiet,
    });
    assert.deepEqual(await tableState(database, 'rebuilt'), expected);
    const tables = await query<{ name: string }>(`SELECT name FROM system.tables WHERE database = '${database}'`);
    assert.deepEqual(
      tables.map((t) => t.name),
      ['rebuilt'],
      'the rebuild table was swapped in and the old one dropped',
    );
    assert.ok(await committedToEnd(admin, groupId, topic), 'the live group continues after the rebuilt range');
  });
});
