/**
 * The sink runner on its kafkajs group consumer (kafka/consumer.ts) through Kafka failures, against
 * an in-memory stand-in for the part of the kafkajs consumer the adapter uses (connect, subscribe,
 * run, commitOffsets, pause/resume, events, the restartOnFailure hook): passing failures are waited out and the pending positions committed
 * afterwards; failures past the outage limit, refusals no wait fixes, and a foreign topic in the
 * assignment stop the runner (done rejects, consumer disconnected).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import kafkajs, {
  type ConsumerConfig,
  type ConsumerRunConfig,
  type Kafka,
  type KafkaMessage,
  type TopicPartitionOffsetAndMetadata,
} from 'kafkajs';
import { createLogger } from '../../common/logger.js';
import { createMetricsRegistry } from '../../common/metrics.js';
import { createRetry } from '../../common/retry.js';
import type { Batch } from '../../sinks/runner/batcher.js';
import type { SinkEntry } from '../../sinks/runner/decode.js';
import { ForeignTopicsError } from '../../sinks/runner/group-admin.js';
import { isRebalanceError, isTransientKafkaError } from '../../kafka/consumer-errors.js';
import { KAFKA_SILENCE_MS, KafkaOutage, KafkaOutageError, KafkaRefusedError } from '../../sinks/runner/kafka-outage.js';
import { createSinkMetrics } from '../../sinks/runner/metrics.js';
import { startSinkRunner, type SinkRunner } from '../../sinks/runner/runner.js';
import { kafkajsAsClient } from '../../kafka/client.js';
import { framed, knownSchemasDecoder } from '../helpers/sink-fakes.js';
import { waitFor } from '../../testkit/wait-for.js';

// kafkajs is CommonJS: its error classes are reachable through the default export only.
const {
  KafkaJSConnectionError,
  KafkaJSGroupCoordinatorNotFound,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
} = kafkajs;
const TOPIC = 'p.items';
const GROUP = 'outage-group';
const logger = createLogger({ level: 'silent', format: 'json' });

/** An error as kafkajs' retrier passes it on: wrapped, the original as its cause. */
const wrapped = (inner: Error): Error => Object.assign(new KafkaJSNonRetriableError(inner), { cause: inner });
/** What a commit that failed because the broker went away looks like once kafkajs' retriers wrapped it. */
const connectionLost = (): Error => wrapped(new KafkaJSConnectionError('Connection error'));
const protocolError = (type: string, retriable: boolean): Error =>
  new KafkaJSProtocolError({ type, code: 0, retriable, message: type } as unknown as Error);

class FakeConsumer {
  readonly events = {
    GROUP_JOIN: 'join',
    END_BATCH_PROCESS: 'end-batch',
    RECEIVED_UNSUBSCRIBED_TOPICS: 'unsubscribed',
    CRASH: 'crash',
    COMMIT_OFFSETS: 'commit',
  };
  readonly commits: TopicPartitionOffsetAndMetadata[][] = [];
  /** Every crash reported, and whether kafkajs restarts the consumer after it. */
  readonly crashes: Array<{ error: Error; restart: boolean }> = [];
  /** Each commit fails with this while set. */
  commitFailure: (() => Error) | undefined;
  /** Set between a crash and the rejoin: pause/resume throw as kafkajs' do then. */
  restarting = false;
  disconnected = false;
  private readonly listeners = new Map<string, Array<(event: { payload: unknown }) => void>>();
  private eachBatch: ConsumerRunConfig['eachBatch'];
  readonly config: ConsumerConfig;

  constructor(config: ConsumerConfig) {
    this.config = config;
  }

  on(event: string, listener: (event: { payload: unknown }) => void): () => void {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return () => undefined;
  }
  async connect(): Promise<void> {}
  async subscribe(): Promise<void> {}
  async run(config: ConsumerRunConfig): Promise<void> {
    this.eachBatch = config.eachBatch;
  }
  async commitOffsets(offsets: TopicPartitionOffsetAndMetadata[]): Promise<void> {
    if (this.commitFailure !== undefined) throw this.commitFailure();
    // kafkajs' runner, not running (a crash restart under way), returns without committing.
    if (this.restarting) return;
    this.commits.push(offsets);
    this.emit(this.events.COMMIT_OFFSETS, { topics: offsets });
  }
  pause(): void {
    if (this.restarting)
      throw new KafkaJSNonRetriableError('Consumer group was not initialized, consumer#run must be called first');
  }
  resume(): void {
    this.pause();
  }
  async disconnect(): Promise<void> {
    this.disconnected = true;
  }

  emit(event: string, payload: unknown): void {
    for (const listener of this.listeners.get(event) ?? []) listener({ payload });
  }
  join(partitions: number[] = [0]): void {
    this.restarting = false;
    this.emit(this.events.GROUP_JOIN, { groupId: GROUP, memberAssignment: { [TOPIC]: partitions } });
  }
  /** kafkajs' crash handler: asks restartOnFailure, then reports the crash. */
  async crash(error: Error): Promise<boolean> {
    return this.reportCrash(error, (await this.config.retry?.restartOnFailure?.(error)) ?? true);
  }
  private reportCrash(error: Error, restart: boolean): boolean {
    this.restarting = true;
    this.crashes.push({ error, restart });
    this.emit(this.events.CRASH, { error, groupId: GROUP, restart });
    return restart;
  }
  /**
   * What kafkajs does with an error eachBatch throws: its retrier retries an error it calls
   * retriable and, once out of retries, crashes with KafkaJSNumberOfRetriesExceeded, which asks
   * restartOnFailure; any other error (retriable: false) crashes the consumer with no restart and
   * no question asked (kafkajs's retry/index.js and consumer/index.js).
   */
  private async failBatch(error: Error): Promise<void> {
    const retriable = (error as { retriable?: boolean }).retriable !== false;
    if (retriable) await this.crash(new KafkaJSNumberOfRetriesExceeded(error, { retryCount: 5, retryTime: 100 }));
    else this.reportCrash(error, false);
  }
  async deliver(partition: number, offsets: number[], highWatermark = 1_000): Promise<void> {
    const messages = offsets.map(
      (offset) =>
        ({
          key: Buffer.from(`k${offset}`),
          value: framed(`v${offset}`),
          offset: String(offset),
          timestamp: '0',
          attributes: 0,
          headers: {},
        }) as KafkaMessage,
    );
    const batch = { topic: TOPIC, partition, highWatermark: String(highWatermark), messages };
    try {
      await this.eachBatch?.({ batch, heartbeat: async () => undefined } as unknown as Parameters<
        NonNullable<ConsumerRunConfig['eachBatch']>
      >[0]);
    } catch (error) {
      await this.failBatch(error as Error);
      return;
    }
    this.emit(this.events.END_BATCH_PROCESS, {
      topic: TOPIC,
      partition,
      lastOffset: String(offsets.at(-1)),
      highWatermark: String(highWatermark),
    });
  }
}

interface Harness {
  readonly consumer: FakeConsumer;
  readonly runner: SinkRunner;
  readonly written: Array<Batch<SinkEntry>>;
  /** Writes wait while this is set (a slow destination). */
  hold: Promise<void> | undefined;
  /** Reading the group's committed offsets (where a generation finds its batch boundaries) fails with this while set. */
  offsetsFailure: (() => Error) | undefined;
}

async function startHarness(kafkaOutageTimeoutMs: number, maxRows = 2): Promise<Harness> {
  let consumer: FakeConsumer | undefined;
  const admin = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    fetchOffsets: async () => {
      if (harness.offsetsFailure !== undefined) throw harness.offsetsFailure();
      return [{ topic: TOPIC, partitions: [] }];
    },
  };
  const kafka = kafkajsAsClient('sink-test', {
    consumer: (config: ConsumerConfig) => (consumer = new FakeConsumer(config)),
    admin: () => admin,
  } as unknown as Kafka);
  const harness = {
    written: [] as Array<Batch<SinkEntry>>,
    hold: undefined as Promise<void> | undefined,
    offsetsFailure: undefined as (() => Error) | undefined,
  } as Harness;
  const runner = await startSinkRunner({
    kafka,
    groupId: GROUP,
    topics: [TOPIC],
    limits: { maxRows, maxBytes: 1_000_000, maxAgeMs: 600_000 },
    concurrency: 2,
    decoder: knownSchemasDecoder,
    decodeRetry: createRetry({ retries: 0, initialDelayMs: 1, maxDelayMs: 1, multiplier: 1 }),
    writer: {
      write: async (batch) => {
        await harness.hold;
        harness.written.push(batch);
      },
    },
    metrics: createSinkMetrics(createMetricsRegistry()),
    logger,
    kafkaOutageTimeoutMs,
    commitRetryPolicy: { retries: Number.MAX_SAFE_INTEGER, initialDelayMs: 10, maxDelayMs: 40, multiplier: 2 },
  });
  assert.ok(consumer !== undefined);
  Object.assign(harness, { consumer, runner });
  consumer.join();
  return harness;
}

/** The settled state of `done` (resolved/rejected) without waiting for it. */
async function outcome(done: Promise<void>): Promise<{ settled: boolean; error?: unknown }> {
  const pending = Symbol('pending');
  try {
    const result = await Promise.race([done, new Promise((resolve) => setImmediate(() => resolve(pending)))]);
    return { settled: result !== pending };
  } catch (error) {
    return { settled: true, error };
  }
}

const committedOffset = (consumer: FakeConsumer): string | undefined =>
  consumer.commits.at(-1)?.find((p) => p.partition === 0)?.offset;

describe('sink runner: Kafka failures', () => {
  it('tells passing Kafka failures from refusals no wait fixes, through kafkajs wrappers', () => {
    assert.equal(isTransientKafkaError(connectionLost()), true, 'a commit whose broker went away');
    assert.equal(
      isTransientKafkaError(
        new KafkaJSNumberOfRetriesExceeded(protocolError('NOT_COORDINATOR_FOR_GROUP', true), {
          retryCount: 5,
          retryTime: 1,
        }),
      ),
      true,
      'the coordinator moved',
    );
    assert.equal(isTransientKafkaError(protocolError('GROUP_COORDINATOR_NOT_AVAILABLE', true)), true);
    assert.equal(isTransientKafkaError(protocolError('REQUEST_TIMED_OUT', true)), true);
    assert.equal(
      isTransientKafkaError(
        new KafkaJSNonRetriableError('Consumer group was not initialized, consumer#run must be called first'),
      ),
      true,
      'the consumer is restarting',
    );
    assert.equal(isTransientKafkaError(protocolError('GROUP_AUTHORIZATION_FAILED', false)), false);
    assert.equal(isTransientKafkaError(wrapped(protocolError('OFFSET_METADATA_TOO_LARGE', false))), false);
    assert.equal(isTransientKafkaError(new Error('Connection error')), false, 'not a Kafka error at all');
    assert.equal(isRebalanceError(wrapped(protocolError('REBALANCE_IN_PROGRESS', false))), true);
    assert.equal(isRebalanceError(connectionLost()), false);
  });

  it('is not ready once Kafka has been silent (no request answered) for a while, before kafkajs gives up', (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
    const outage = new KafkaOutage(300_000);
    assert.equal(outage.reason(), undefined);
    t.mock.timers.tick(KAFKA_SILENCE_MS - 1);
    assert.equal(outage.reason(), undefined, 'a quiet moment is not an outage');
    t.mock.timers.tick(2);
    assert.match(outage.reason() ?? '', /^no answer from Kafka for 10 s/);
    outage.heard();
    assert.equal(outage.reason(), undefined, 'an answer makes it ready again');
  });

  it('keeps positions pending while commits fail because Kafka went away, says so in its status, and commits them once Kafka answers', async () => {
    const { consumer, runner, written } = await startHarness(60_000);
    await consumer.deliver(0, [0, 1]);
    await waitFor(() => committedOffset(consumer) === '2', { what: 'the first batch committed', timeoutMs: 5_000 });

    consumer.commitFailure = connectionLost;
    await consumer.deliver(0, [2, 3]);
    await waitFor(() => runner.status().state === 'degraded', {
      what: 'the runner to report the outage',
      timeoutMs: 5_000,
    });
    assert.match(
      runner.status().error ?? '',
      /Kafka unavailable for \d+ s, retrying for up to 60 s: KafkaJSNonRetriableError: Connection error/,
    );
    assert.equal(written.length, 2, 'the batch was written; only its commit waits');
    assert.equal(committedOffset(consumer), '2');

    consumer.commitFailure = undefined;
    await waitFor(() => committedOffset(consumer) === '4', {
      what: 'the pending position committed after the outage',
      timeoutMs: 5_000,
    });
    assert.equal(runner.status().state, 'running');
    assert.equal(runner.status().error, null);
    assert.deepEqual(await outcome(runner.done), { settled: false }, 'the runner lives on');

    await consumer.deliver(0, [4, 5]);
    await waitFor(() => committedOffset(consumer) === '6', {
      what: 'commits going on after the outage',
      timeoutMs: 5_000,
    });
    await runner.stop(1_000);
  });

  it('does not take a commit kafkajs skipped while its consumer restarts for a committed one', async () => {
    const { consumer, runner } = await startHarness(60_000);
    consumer.restarting = true;
    await consumer.deliver(0, [0, 1]);
    await waitFor(
      () =>
        /Kafka unavailable .*the consumer is restarting after a crash; nothing was committed/.test(
          runner.status().error ?? '',
        ),
      { what: 'the skipped commit reported', timeoutMs: 5_000 },
    );
    assert.equal(consumer.commits.length, 0);
    consumer.restarting = false;
    await waitFor(() => committedOffset(consumer) === '2', {
      what: 'the position committed once the consumer runs',
      timeoutMs: 5_000,
    });
    await runner.stop(1_000);
  });

  it('stops, consumer disconnected, once commits have failed for longer than the outage limit', async () => {
    const { consumer, runner } = await startHarness(1_000);
    consumer.commitFailure = connectionLost;
    await consumer.deliver(0, [0, 1]);
    await assert.rejects(
      runner.done,
      (error: unknown) =>
        error instanceof KafkaOutageError &&
        /Kafka unavailable for more than 1 s \(sink.kafkaOutageTimeoutSeconds\): KafkaJSNonRetriableError: Connection error/.test(
          (error as Error).message,
        ),
    );
    assert.equal(consumer.disconnected, true);
    assert.equal(runner.status().state, 'failed');
  });

  it('stops at once on a refusal no wait fixes', async () => {
    const { consumer, runner } = await startHarness(60_000);
    consumer.commitFailure = () => protocolError('GROUP_AUTHORIZATION_FAILED', false);
    await consumer.deliver(0, [0, 1]);
    await assert.rejects(
      runner.done,
      (error: unknown) =>
        error instanceof KafkaRefusedError && /GROUP_AUTHORIZATION_FAILED/.test((error as Error).message),
    );
    assert.equal(consumer.disconnected, true);
  });

  it('lets kafkajs restart a crashed consumer within the limit, and resumes after the rejoin', async () => {
    const { consumer, runner } = await startHarness(60_000);
    assert.equal(await consumer.crash(connectionLost()), true, 'restart allowed');
    assert.equal(runner.status().state, 'degraded');
    consumer.join();
    assert.equal(runner.status().state, 'running');
    await consumer.deliver(0, [0, 1]);
    await waitFor(() => committedOffset(consumer) === '2', { what: 'a commit after the rejoin', timeoutMs: 5_000 });
    assert.deepEqual(await outcome(runner.done), { settled: false });
    await runner.stop(1_000);
  });

  it('keeps the consumer restartable when Kafka goes away while a generation reads its batch boundaries, though kafkajs calls a missing coordinator non-retriable', async () => {
    const harness = await startHarness(60_000);
    const { consumer, runner } = harness;
    // kafkajs throws this (a KafkaJSNonRetriableError) when no broker answers the coordinator lookup;
    // its typings omit the message its constructor takes.
    const CoordinatorNotFound = KafkaJSGroupCoordinatorNotFound as unknown as new (message: string) => Error;
    harness.offsetsFailure = () => new CoordinatorNotFound('Failed to find group coordinator');
    await consumer.deliver(0, [0, 1]);
    assert.deepEqual(
      consumer.crashes.map(({ restart }) => restart),
      [true],
      'kafkajs restarts the consumer: the batch was handed back as the outage, a retriable error',
    );
    assert.equal(runner.status().state, 'degraded');
    harness.offsetsFailure = undefined;
    consumer.join();
    await consumer.deliver(0, [0, 1]);
    await waitFor(() => committedOffset(consumer) === '2', { what: 'a commit after the rejoin', timeoutMs: 5_000 });
    assert.deepEqual(await outcome(runner.done), { settled: false });
    await runner.stop(1_000);
  });

  it('refuses the restart once the outage passed its limit, and stops', async () => {
    const { consumer, runner } = await startHarness(200);
    assert.equal(await consumer.crash(connectionLost()), true);
    await waitFor(async () => !(await consumer.crash(connectionLost())), {
      what: 'a restart refused past the limit',
      timeoutMs: 5_000,
    });
    await assert.rejects(runner.done, KafkaOutageError);
    assert.equal(consumer.disconnected, true);
  });

  it('does not fail when back-pressure pauses a partition while the consumer restarts', async () => {
    const harness = await startHarness(60_000, 1);
    const { consumer, runner } = harness;
    let release!: () => void;
    harness.hold = new Promise<void>((resolve) => (release = resolve));
    consumer.restarting = true;
    await consumer.deliver(0, [0, 1, 2]);
    assert.deepEqual(
      await outcome(runner.done),
      { settled: false },
      'a pause refused by a restarting consumer is not a failure',
    );
    consumer.join();
    release();
    await runner.stop(1_000);
  });

  it('stops loudly when the group hands it a topic it does not consume', async () => {
    const { consumer, runner } = await startHarness(60_000);
    consumer.emit(consumer.events.RECEIVED_UNSUBSCRIBED_TOPICS, {
      groupId: GROUP,
      topicsNotSubscribed: ['other.bookings', 'other.customers'],
    });
    await assert.rejects(
      runner.done,
      (error: unknown) =>
        error instanceof ForeignTopicsError &&
        /consumer group outage-group assigned this member topics this sink does not consume \(other\.bookings, other\.customers\)/.test(
          (error as Error).message,
        ),
    );
    assert.equal(consumer.disconnected, true);
  });
});
