/**
 * The sink through a Kafka outage, on the real stack without touching the shared broker: the
 * sink's own Kafka client reaches the broker through a socket factory the test controls (a test
 * seam of the Kafka client, kafka/client.ts, not of the sink), which cuts every connection of that
 * client right after a batch was written and refuses new ones, then lets them through again. The commit of that batch
 * fails, the consumer crashes and restarts; the sink must report the outage, keep its position
 * pending, and afterwards load and commit on its own.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { openAdmin, type KafkaAdmin } from '../../kafka/admin.js';
import { createSchemaRegistry, type SchemaRegistry } from '../../avro/registry.js';
import { sinkSchema, type AppConfig } from '../../common/config/schema.js';
import { createLogger } from '../../common/logger.js';
import { createMetricsRegistry } from '../../common/metrics.js';
import { createRetry } from '../../common/retry.js';
import { createKafka, type KafkaClient, type SocketFactory } from '../../kafka/client.js';
import { stackEndpoints } from '../../deploy/stack/endpoints.js';
import { createSinkMetrics } from '../../sinks/runner/metrics.js';
import { createRegistryDecoder } from '../../sinks/runner/registry-decoder.js';
import { startSink, type Sink } from '../../sinks/runner/sink.js';
import { cleanupPrefix } from '../../testkit/source-cleanup.js';
import { freePort } from '../../testkit/free-port.js';
import {
  committedToEnd,
  itemTopics,
  liveRows,
  stackClickHouseDestination,
  type ItemTopics,
} from '../helpers/sink-fixture.js';
import { uniqueName, waitFor } from '../../testkit/wait-for.js';

const endpoints = stackEndpoints();
const quiet = createLogger({
  level: process.env.TEST_LOG_LEVEL ?? 'silent',
  format: 'json',
  destination: new Writable({ write: (_c, _e, done) => done() }),
});

/** The connections of one Kafka client, which the test can cut (and refuse) and restore. */
class KafkaLink {
  private readonly sockets = new Set<Socket>();
  private refusedPort: number | undefined;

  readonly socketFactory: SocketFactory = ({ host, port, onConnect }) => {
    const socket = connect(
      this.refusedPort === undefined ? { host, port } : { host: '127.0.0.1', port: this.refusedPort },
      onConnect,
    );
    socket.setKeepAlive(true, 60_000);
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    return socket;
  };

  /** Every open connection reset, every new one refused (a port nothing listens on): the broker is gone. */
  cut(refusedPort: number): void {
    this.refusedPort = refusedPort;
    for (const socket of this.sockets)
      socket.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
  }

  restore(): void {
    this.refusedPort = undefined;
  }
}

describe('sink through a Kafka outage (real stack, the sink cut off from the broker)', () => {
  const prefix = uniqueName('sinkout');
  const topic = `${prefix}.items`;
  const database = uniqueName('sinkout_db');
  const groupId = `${prefix}-sink`;
  let kafka: KafkaClient;
  let admin: KafkaAdmin;
  let registry: SchemaRegistry;
  let clickhouse: ClickHouseClient;
  let items: ItemTopics;
  let sink: Sink | undefined;

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
    items = itemTopics(kafka, admin, registry);
    await items.create(topic);
  });

  after(async () => {
    await sink?.stop().catch(() => undefined);
    await admin.close();
    await cleanupPrefix(kafka, prefix);
    await clickhouse.command({ query: `DROP DATABASE IF EXISTS \`${database}\`` });
    await clickhouse.close();
    await registry.close();
  });

  it('reports the outage, keeps the position pending, and loads and commits again by itself once Kafka is back', async () => {
    const link = new KafkaLink();
    const refusedPort = await freePort();
    const sinkKafka = createKafka(
      { brokers: [endpoints.kafkaBroker], clientId: `${prefix}-sink`, ssl: false },
      quiet,
      undefined,
      { socketFactory: link.socketFactory },
    );
    const destination = stackClickHouseDestination(database, quiet);
    let cutAfterNextWrite = false;
    sink = await startSink({
      kafka: sinkKafka,
      kafkaConfig: { partitions: 1, replicationFactor: 1 },
      sinkConfig: sinkSchema.parse({
        groupId,
        deadLetterTopic: `${prefix}.dlq`,
        batch: { maxRows: 10, maxBytes: 1024 * 1024, maxAgeMs: 200 },
        concurrency: 2,
        shutdownTimeoutMs: 10_000,
        kafkaOutageTimeoutSeconds: 180,
      }),
      destination,
      destinationName: 'clickhouse',
      decoder: createRegistryDecoder(registry),
      topics: [topic],
      topicPrefix: prefix,
      metrics: createSinkMetrics(createMetricsRegistry('sinkout_')),
      logger: quiet,
      retry: createRetry({ retries: 5, initialDelayMs: 50, maxDelayMs: 500, multiplier: 2 }),
      afterWrite: () => {
        if (!cutAfterNextWrite) return;
        cutAfterNextWrite = false;
        link.cut(refusedPort);
      },
    });
    const running = sink;
    let settled: unknown;
    running.runner.done.then(
      () => (settled = 'resolved'),
      (error: unknown) => (settled = error),
    );

    await items.produce(topic, 0, 20);
    await waitFor(
      async () =>
        (await liveRows(clickhouse, database, 'items')) === 20 && (await committedToEnd(admin, groupId, topic)),
      { what: 'the first 20 items loaded and committed', timeoutMs: 60_000 },
    );

    // The next batch is written, then the sink loses Kafka before it can commit it.
    cutAfterNextWrite = true;
    await items.produce(topic, 20, 20);
    await waitFor(
      () =>
        running.runner.status().state === 'degraded' && /Kafka unavailable/.test(running.runner.status().error ?? ''),
      { what: 'the status to report the outage', timeoutMs: 60_000 },
    );
    // The outage lasts until the status has reported it for ten seconds (the consumer crashes and is restarted meanwhile).
    await waitFor(
      () => Number(/Kafka unavailable for (\d+) s/.exec(running.runner.status().error ?? '')?.[1] ?? 0) >= 10,
      { what: 'an outage of ten seconds', timeoutMs: 60_000, intervalMs: 500 },
    );
    assert.equal(settled, undefined, `the sink waits out the outage (done settled with ${String(settled)})`);
    assert.equal(
      await committedToEnd(admin, groupId, topic),
      false,
      'nothing past the cut is committed during the outage',
    );
    link.restore();

    await waitFor(
      async () =>
        (await liveRows(clickhouse, database, 'items')) === 40 && (await committedToEnd(admin, groupId, topic)),
      { what: 'the sink to load and commit on its own after the outage', timeoutMs: 120_000, intervalMs: 500 },
    );
    await waitFor(() => running.runner.status().state === 'running', {
      what: 'the status to be running again',
      timeoutMs: 30_000,
    });
    await items.produce(topic, 40, 10);
    await waitFor(
      async () =>
        (await liveRows(clickhouse, database, 'items')) === 50 && (await committedToEnd(admin, groupId, topic)),
      { what: 'new records loaded and committed after the outage', timeoutMs: 60_000 },
    );
    assert.equal(settled, undefined);

    await running.stop();
    sink = undefined;
    assert.equal(settled, 'resolved');
    await destination.close();
  });
});
