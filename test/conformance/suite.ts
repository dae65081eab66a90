/**
 * The conformance suite every destination passes: the same records, the same assertions, through
 * the real sink runner, Kafka and registry where the behaviour is the runner's (replay, crash
 * between write and commit, DLQ, evolution across schema versions), and through the destination
 * alone where ordering must be forced (an older version arriving after a newer one).
 *
 * A destination file is one line: `describeConformance(duckdbTarget)`.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { openAdmin, type KafkaAdmin } from '../../kafka/admin.js';
import { createSchemaRegistry, ensureSubjects, type SchemaRegistry } from '../../avro/registry.js';
import type { AvroRecord } from '../../avro/schema-json.js';
import { createFramedEncoder } from '../../avro/wire.js';
import { sinkSchema, type AppConfig } from '../../common/config/schema.js';
import { createLogger } from '../../common/logger.js';
import { createMetricsRegistry } from '../../common/metrics.js';
import { createRetry } from '../../common/retry.js';
import { createKafka, type KafkaClient } from '../../kafka/client.js';
import { ensureTopics } from '../../kafka/topics.js';
import type { OutgoingRecord } from '../../kafka/records.js';
import { createTransactionalWriter } from '../../kafka/transactional-writer.js';
import { stackEndpoints } from '../../deploy/stack/endpoints.js';
import type { TableSpec } from '../../sinks/columns.js';
import { describeTable } from '../../sinks/runner/avro-table.js';
import type { Destination, SinkRecord } from '../../sinks/destination.js';
import { readDeadLetters } from '../../sinks/dlq/command.js';
import { resetGroup } from '../../sinks/runner/group-admin.js';
import { createSinkMetrics } from '../../sinks/runner/metrics.js';
import { createRegistryDecoder } from '../../sinks/runner/registry-decoder.js';
import { startSink, type Sink, type SinkOptions } from '../../sinks/runner/sink.js';
import { committedToEnd } from '../helpers/sink-fixture.js';
import { deleteSubjects } from '../helpers/stack.js';
import { uniqueName, waitFor } from '../../testkit/wait-for.js';
import { expectedLiveRows } from './expected.js';
import { avroBatch } from '../helpers/write-batch.js';
import { KEY_SCHEMA, VALUE_V1, VALUE_V2, VALUE_V3, thing, toAvro, writerType, type Thing } from './fixture.js';
import type { ConformanceTarget, NormalRow, TargetNamespace } from './target.js';

const quiet = createLogger({
  level: process.env.TEST_LOG_LEVEL ?? 'silent',
  format: 'json',
  destination: new Writable({ write: (_c, _e, done) => done() }),
});
const fastRetry = createRetry({ retries: 3, initialDelayMs: 50, maxDelayMs: 300, multiplier: 2 });
const ACCOUNT = 'acme';

/** A record as produced: its key id and logical value (null: tombstone; a Buffer: poison bytes). */
interface Produced {
  readonly id: string;
  readonly value: Thing | null | Buffer;
  readonly schema?: AvroRecord;
}

export function describeConformance(target: ConformanceTarget): void {
  describe(`destination conformance: ${target.name} (real Kafka, registry, ${target.name})`, () => {
    const endpoints = stackEndpoints();
    const kafkaConfig: AppConfig['kafka'] = {
      brokers: [endpoints.kafkaBroker],
      clientId: `conformance-${target.name}`,
      topicPrefix: 'x',
      partitions: 2,
      replicationFactor: 1,
      ssl: false,
    };
    const prefix = uniqueName(`conf_${target.name}`);
    const encoder = createFramedEncoder();
    const keyType = writerType(KEY_SCHEMA);
    let kafka: KafkaClient;
    let admin: KafkaAdmin;
    let registry: SchemaRegistry;
    const namespaces: TargetNamespace[] = [];
    const destinations: Destination[] = [];
    const topics: string[] = [];
    const subjects: string[] = [];
    const groups: string[] = [];
    const sinks: Sink[] = [];

    before(async () => {
      kafka = createKafka(kafkaConfig, quiet);
      admin = await openAdmin(kafka);
      registry = createSchemaRegistry({ url: endpoints.registryUrl });
    });

    after(async () => {
      for (const sink of sinks) await sink.stop().catch(() => undefined);
      for (const destination of destinations) await destination.close().catch(() => undefined);
      for (const namespace of namespaces) await namespace.drop().catch(() => undefined);
      const existing = new Set(await admin.listTopics());
      const present = topics.filter((topic) => existing.has(topic));
      if (present.length > 0) await admin.deleteTopics(present, { timeoutMs: 30_000 });
      for (const group of groups) await admin.deleteGroups([group]).catch(() => undefined);
      await deleteSubjects(subjects);
      await admin.close();
      await registry.close();
    });

    /** A fresh namespace in the destination, and a destination writing into it. */
    async function open(): Promise<{ namespace: TargetNamespace; destination: Destination }> {
      const namespace = await target.open(
        uniqueName(`conf_${target.name}`)
          .replace(/[^a-z0-9_]/gi, '_')
          .toLowerCase(),
      );
      namespaces.push(namespace);
      const destination = namespace.destination('evolve');
      destinations.push(destination);
      return { namespace, destination };
    }

    /** A fresh topic `<prefix>.<resource>` with the v1 subjects registered. */
    async function newTopic(resource: string): Promise<string> {
      const topic = `${prefix}.${resource}`;
      topics.push(topic, `${topic}.dlq`);
      subjects.push(`${topic}-key`, `${topic}-value`);
      await ensureTopics(admin, [{ topic, partitions: 2, replicationFactor: 1, compacted: true }]);
      return topic;
    }

    async function produce(topic: string, records: readonly Produced[]): Promise<void> {
      const ids = new Map<AvroRecord, { key: number; value: number }>();
      const outgoing: OutgoingRecord[] = [];
      for (const record of records) {
        const schema = record.schema ?? VALUE_V1;
        let registered = ids.get(schema);
        if (registered === undefined) {
          const result = await ensureSubjects(registry, topic, KEY_SCHEMA, schema);
          registered = { key: result.key.id, value: result.value.id };
          ids.set(schema, registered);
        }
        const key = encoder.encode(registered.key, keyType, { account: ACCOUNT, id: record.id });
        const value =
          record.value === null || Buffer.isBuffer(record.value)
            ? record.value
            : encoder.encode(registered.value, writerType(schema), toAvro(record.value));
        outgoing.push({ topic, key, value });
      }
      const writer = await createTransactionalWriter(kafka, uniqueName('conformance-producer'));
      try {
        // Several transactions, so transaction markers sit between the records.
        for (let start = 0; start < outgoing.length; start += 10)
          await writer.commit(outgoing.slice(start, start + 10));
      } finally {
        await writer.close();
      }
    }

    async function runSink(
      topic: string,
      destination: Destination,
      groupId: string,
      overrides: Partial<SinkOptions> = {},
    ): Promise<Sink> {
      if (!groups.includes(groupId)) groups.push(groupId);
      const sink = await startSink({
        kafka,
        kafkaConfig,
        sinkConfig: sinkSchema.parse({
          batch: { maxRows: 7, maxBytes: 1024 * 1024, maxAgeMs: 200 },
          concurrency: 3,
          deadLetterTopic: `${topic}.dlq`,
          shutdownTimeoutMs: 10_000,
        }),
        destination,
        destinationName: target.name,
        groupId,
        decoder: createRegistryDecoder(registry),
        topics: [topic],
        topicPrefix: prefix,
        metrics: createSinkMetrics(createMetricsRegistry(`conf_${target.name}_`)),
        logger: quiet,
        retry: fastRetry,
        ...overrides,
      });
      sinks.push(sink);
      return sink;
    }

    function spec(table: string, value: AvroRecord = VALUE_V1): TableSpec {
      return describeTable(table, KEY_SCHEMA, value);
    }

    function expected(table: string, records: readonly Produced[], value: AvroRecord = VALUE_V1): NormalRow[] {
      const decoded = records
        .filter((r) => !Buffer.isBuffer(r.value))
        .map((r) => ({ key: { account: ACCOUNT, id: r.id }, value: r.value as Thing | null }));
      return expectedLiveRows(spec(table, value), decoded);
    }

    async function until(
      namespace: TargetNamespace,
      tableSpec: TableSpec,
      want: readonly NormalRow[],
      what: string,
    ): Promise<void> {
      let last: NormalRow[] = [];
      await waitFor(
        async () => {
          last = await namespace.liveRows(tableSpec).catch(() => []);
          return JSON.stringify(last) === JSON.stringify(want);
        },
        { what, timeoutMs: 60_000 },
      ).catch((error: unknown) => {
        assert.deepEqual(last, want, `${String(error)}: the live rows differ`);
        throw error;
      });
    }

    /** Entities e00..e(n-1), two versions each (the second wins), spread over both partitions. */
    function twoVersions(count: number, from = 0): Produced[] {
      const ids = Array.from({ length: count }, (_, i) => `e${String(i + from).padStart(2, '0')}`);
      return [
        ...ids.map((id, i) => ({ id, value: thing(i + from) })),
        ...ids.map((id, i) => ({ id, value: thing(i + from + 100) })),
      ];
    }

    it('creates the table from the schema and round-trips every type (timestamps, decimals, nested, nulls, unicode)', async () => {
      const topic = await newTopic('things');
      const records = twoVersions(16);
      await produce(topic, records);
      const { namespace, destination } = await open();
      const sink = await runSink(topic, destination, uniqueName('conf-group'));
      await until(namespace, spec('things'), expected('things', records), 'every entity at its latest version');
      await sink.stop();
      const columns = await namespace.columnNames('things');
      for (const column of spec('things').columns)
        assert.ok(columns.includes(column.name), `column ${column.name} exists (has: ${columns.join(', ')})`);
    });

    it('evolves: an added field becomes a column with its values; a removed field keeps its column', async () => {
      const topic = await newTopic('evolving');
      const { namespace, destination } = await open();
      const groupId = uniqueName('conf-group');
      const v1 = twoVersions(6);
      const v2 = [0, 1, 2].map((i) => ({
        id: `e0${i}`,
        value: { ...thing(200 + i), channel: `web-${i}` },
        schema: VALUE_V2,
      }));
      const v3 = [
        {
          id: 'e03',
          value: Object.fromEntries(
            Object.entries({ ...thing(300), channel: 'phone' }).filter(([name]) => name !== 'note'),
          ),
          schema: VALUE_V3,
        },
      ];
      const sink = await runSink(topic, destination, groupId);
      await produce(topic, v1);
      await until(namespace, spec('evolving'), expected('evolving', v1), 'the v1 rows');
      await produce(topic, v2);
      await until(
        namespace,
        spec('evolving', VALUE_V2),
        expected('evolving', [...v1, ...v2], VALUE_V2),
        'the v2 rows, channel filled, older rows NULL',
      );
      await produce(topic, v3);
      await until(
        namespace,
        spec('evolving', VALUE_V2),
        expected('evolving', [...v1, ...v2, ...v3], VALUE_V2),
        'the v3 row, note NULL in the kept column',
      );
      await sink.stop();
      const columns = await namespace.columnNames('evolving');
      assert.ok(
        columns.includes('channel') && columns.includes('note'),
        `added and removed columns both present: ${columns.join(', ')}`,
      );
    });

    it('upserts out of order: an older version written after a newer one changes nothing, and a batch written twice once', async () => {
      const { namespace, destination } = await open();
      const table = spec('ordered');
      await destination.prepare(table);
      const record = (id: string, offset: number, value: Thing | null): SinkRecord => ({
        key: { account: ACCOUNT, id },
        value,
        offset,
        schemaId: 1,
      });
      const newerRecords = [record('a', 10, thing(10)), record('b', 11, thing(11)), record('a', 12, thing(12))];
      const olderRecords = [record('a', 0, thing(0)), record('b', 1, thing(1)), record('c', 2, thing(2))];
      const newer = avroBatch(table, VALUE_V1, newerRecords, {
        topic: `${prefix}.ordered`,
        ingestedAtMs: Date.UTC(2026, 0, 1),
      });
      const older = avroBatch(table, VALUE_V1, olderRecords, {
        topic: `${prefix}.ordered`,
        ingestedAtMs: Date.UTC(2026, 0, 1),
      });
      await destination.write(newer);
      await destination.write(older);
      await destination.write(newer);
      const want = expectedLiveRows(table, [...olderRecords, ...newerRecords]);
      assert.deepEqual(await namespace.liveRows(table), want);
      assert.deepEqual(
        want.map((row) => row.title),
        [thing(12).title, thing(11).title, thing(2).title],
      );
    });

    it('deletes on a tombstone, and a replayed older version does not bring the entity back', async () => {
      const { namespace, destination } = await open();
      const table = spec('deleted');
      await destination.prepare(table);
      const at = { topic: `${prefix}.deleted`, partition: 1, ingestedAtMs: 0 };
      const upserts = avroBatch(
        table,
        VALUE_V1,
        [
          { key: { account: ACCOUNT, id: 'gone' }, value: thing(1), offset: 0, schemaId: 1 },
          { key: { account: ACCOUNT, id: 'kept' }, value: thing(2), offset: 1, schemaId: 1 },
        ],
        at,
      );
      const tombstone = avroBatch(
        table,
        VALUE_V1,
        [{ key: { account: ACCOUNT, id: 'gone' }, value: null, offset: 2, schemaId: 1 }],
        at,
      );
      await destination.write(upserts);
      await destination.write(tombstone);
      assert.deepEqual(
        (await namespace.liveRows(table)).map((row) => row.id),
        ['kept'],
      );
      await destination.write(upserts);
      assert.deepEqual(
        (await namespace.liveRows(table)).map((row) => row.id),
        ['kept'],
        'the replayed upsert (offset 0) is older than the delete (offset 2)',
      );
    });

    it('a replay from offset 0 leaves the table unchanged; a poison record goes to the DLQ and the rest flows', async () => {
      const topic = await newTopic('replayed');
      const records: Produced[] = [
        ...twoVersions(12),
        { id: 'e03', value: null },
        { id: 'poison', value: Buffer.from('not Avro at all') },
        { id: 'e04', value: thing(444) },
      ];
      await produce(topic, records);
      const { namespace, destination } = await open();
      const groupId = uniqueName('conf-group');
      const want = expected('replayed', records);
      const first = await runSink(topic, destination, groupId);
      await until(namespace, spec('replayed'), want, 'the latest state, e03 deleted, e04 after the poison');
      await waitFor(() => committedToEnd(admin, groupId, topic), { what: 'offsets committed to the end' });
      await first.stop();
      const dead = await readDeadLetters(kafka, `${topic}.dlq`);
      assert.equal(dead.length, 1);
      assert.equal(dead[0]?.message.value?.toString(), 'not Avro at all');

      await resetGroup(admin, groupId, [topic], { kind: 'earliest' });
      const replay = await runSink(topic, destination, groupId);
      await waitFor(() => committedToEnd(admin, groupId, topic), {
        what: 'the replay to commit to the end',
        timeoutMs: 60_000,
      });
      await replay.stop();
      assert.deepEqual(await namespace.liveRows(spec('replayed')), want);
    });

    it('a crash between the write and the offset commit loses and duplicates nothing', async () => {
      const topic = await newTopic('crashed');
      const records = twoVersions(10);
      await produce(topic, records);
      const { namespace, destination } = await open();
      const groupId = uniqueName('conf-group');
      let crashes = 0;
      const crashing = await runSink(topic, destination, groupId, {
        afterWrite: () => {
          crashes++;
          throw new Error('injected crash after the write, before the commit');
        },
      });
      await assert.rejects(crashing.runner.done, /injected crash/);
      await crashing.stop();
      assert.ok(crashes >= 1);
      const restarted = await runSink(topic, destination, groupId);
      await waitFor(() => committedToEnd(admin, groupId, topic), {
        what: 'the restarted sink to commit to the end',
        timeoutMs: 60_000,
      });
      await restarted.stop();
      assert.deepEqual(await namespace.liveRows(spec('crashed')), expected('crashed', records));
    });
  });
}
