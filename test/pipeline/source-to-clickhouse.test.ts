/**
 * The whole pipeline with every real part: simulator → source (exactly-once into Kafka, Avro in
 * the registry) → sink (read_committed) → ClickHouse. After FINAL, each resource table holds
 * exactly the simulator's entities, and changes and deletions made at "Bookeo" arrive.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ClickHouseClient } from '@clickhouse/client';
import { createSchemaRegistry, type SchemaRegistry } from '../../avro/registry.js';
import { validateConfig } from '../../common/config/load.js';
import type { AppConfig } from '../../common/config/schema.js';
import { createMetricsRegistry } from '../../common/metrics.js';
import { createKafka, type KafkaClient } from '../../kafka/client.js';
import { startSourceRuntime, type SourceRuntime } from '../../connector/source/runtime.js';
import { RESOURCE_NAMES } from '../../contract/resources.js';
import { stackEndpoints } from '../../deploy/stack/endpoints.js';
import { createClickHouseDestination } from '../../sinks/clickhouse/destination.js';
import type { Destination } from '../../sinks/destination.js';
import { createSinkMetrics } from '../../sinks/runner/metrics.js';
import { createRegistryDecoder } from '../../sinks/runner/registry-decoder.js';
import { startSink, type Sink } from '../../sinks/runner/sink.js';
import { startSimulator, type RunningSimulator } from '../../simulator/index.js';
import { cleanupPrefix } from '../../testkit/source-cleanup.js';
import { sourceTestConfig, truthOf } from '../helpers/source-fixture.js';
import { createLogger } from '../../common/logger.js';
import { stackClickHouse } from '../helpers/stack.js';
import { eventually, uniqueName } from '../../testkit/wait-for.js';

const RESOURCES = RESOURCE_NAMES;

describe('pipeline: simulator → source → Kafka → sink → ClickHouse', () => {
  let simulator: RunningSimulator;
  let config: AppConfig;
  let kafka: KafkaClient;
  let runtime: SourceRuntime;
  let registry: SchemaRegistry;
  let destination: Destination;
  let sink: Sink;
  let clickhouse: ClickHouseClient;
  const prefix = uniqueName('pipe');
  const database = uniqueName('pipe_db');
  const logger = createLogger({ level: 'warn', format: 'json' });

  const idsInTable = async (resource: string): Promise<Set<string>> => {
    const result = await clickhouse.query({
      query: `SELECT id FROM \`${database}\`.\`${resource}\` FINAL`,
      format: 'JSONEachRow',
    });
    return new Set((await result.json<{ id: string }>()).map((row) => row.id));
  };
  const expectTablesEqualTruth = async (): Promise<void> => {
    for (const resource of RESOURCES) {
      const truth = await truthOf(simulator, resource);
      await eventually(
        async () =>
          assert.deepEqual(await idsInTable(resource), new Set(truth.keys()), `${resource}: table equals ground truth`),
        { timeoutMs: 60_000 },
      );
    }
  };

  before(async () => {
    simulator = await startSimulator({ seed: 3, scale: 300 });
    const raw = JSON.parse(JSON.stringify(sourceTestConfig(simulator, { prefix }))) as Record<
      string,
      Record<string, unknown>
    >;
    raw.clickhouse = { url: stackEndpoints().clickhouseUrl, database };
    raw.sink = {
      groupId: `${prefix}-sink`,
      deadLetterTopic: `${prefix}.dlq-sink`,
      batch: { maxRows: 10_000, maxAgeMs: 500 },
    };
    config = validateConfig(raw);
    kafka = createKafka(config.kafka, logger);
    clickhouse = stackClickHouse();
    runtime = await startSourceRuntime({
      config,
      logger,
      metrics: createMetricsRegistry('pipe_'),
      now: () => simulator.admin.now().getTime(),
    });
    registry = createSchemaRegistry({ url: config.schemaRegistry.url });
    destination = createClickHouseDestination({ connection: config.clickhouse, mode: 'evolve', logger });
  });

  after(async () => {
    await sink?.stop();
    await runtime?.stop();
    await destination?.close();
    await registry?.close();
    await clickhouse.command({ query: `DROP DATABASE IF EXISTS \`${database}\`` });
    await clickhouse.close();
    await cleanupPrefix(kafka, prefix);
    await simulator.close();
  });

  it('loads every resource into ClickHouse equal to the ground truth', async () => {
    for (const task of runtime.tasks) await task.pollOnce();
    sink = await startSink({
      kafka,
      kafkaConfig: config.kafka,
      sinkConfig: config.sink,
      destination,
      destinationName: 'clickhouse',
      decoder: createRegistryDecoder(registry),
      topics: RESOURCES.map((resource) => runtime.topicOf(resource)),
      topicPrefix: config.kafka.topicPrefix,
      metrics: createSinkMetrics(createMetricsRegistry('pipe_sink_')),
      logger,
    });
    await expectTablesEqualTruth();
    const truth = simulator.admin.groundTruth('bookings', simulator.apiKeys[0], {});
    let canceled = 0;
    for await (const booking of truth) if (booking.canceled === true) canceled++;
    const result = await clickhouse.query({
      query: `SELECT countIf(canceled) AS canceled FROM \`${database}\`.bookings FINAL`,
      format: 'JSONEachRow',
    });
    assert.equal(
      Number((await result.json<{ canceled: string | number }>())[0]?.canceled),
      canceled,
      'content arrives typed (canceled flags)',
    );
  });

  it('carries edits, cancellations and deletions through to the tables', async () => {
    const result = simulator.admin.mutate({
      newBookings: 3,
      editBookings: 3,
      cancelBookings: 2,
      newCustomers: 2,
      editCustomers: 2,
      deleteCustomers: 2,
      editProducts: 1,
    });
    simulator.admin.advance(120);
    for (const task of runtime.tasks) await task.pollOnce();
    await expectTablesEqualTruth();
    const customers = await idsInTable('customers');
    for (const id of result.ids.deleteCustomers)
      assert.ok(!customers.has(id), `deleted customer ${id} is gone after FINAL`);
  });
});
