/**
 * The sink runner: one kafkajs consumer group (read_committed, autoCommit off) feeding partition
 * lanes, and offset commits that follow confirmed writes.
 *
 * eachBatch only decodes and appends to the partition's lane, then returns, so kafkajs keeps
 * fetching and heartbeating while batches are written in the background. When a lane has
 * MAX_QUEUED_BATCHES closed batches (the destination is slow or down), its partition is paused:
 * memory stays bounded, the group keeps its members (heartbeats continue), and nothing is committed
 * for what is not written.
 *
 * After a rebalance kafkajs restarts every assigned partition from its committed offset, so the
 * runner drops all uncommitted state and starts a new generation of lanes; a write still in flight
 * from the old generation finishes before the new lane of that partition writes (same ranges, same
 * tokens). Intent metadata is re-read from the group at the start of each generation.
 *
 * Kafka going away is waited out (kafka-outage.ts): commits are retried (committer.ts) and the
 * consumer restarts after a crash, both until Kafka has failed for `kafkaOutageTimeoutMs`; after
 * that, or on a failure no wait fixes, the runner stops the consumer and `done` rejects, so the
 * process can exit instead of holding its partitions while committing nothing. A member handed a
 * topic it does not consume (another deployment in the same group) stops the same way.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from '../../common/logger.js';
import { describeError, isRetriable } from '../../common/errors.js';
import type { BatchLimits, Batch } from './batcher.js';
import { CommitTracker, keyOf, type Ticket } from './commit-tracker.js';
import { createCommitter } from './committer.js';
import { decodeEntry, decodeEntryNow, messageBytes, type RecordDecoder, type SinkEntry } from './decode.js';
import { ForeignTopicsError } from './group-admin.js';
import { createIntentReader } from './intents.js';
import { isTransientKafkaError, KafkaOutage } from './kafka-outage.js';
import type { Retrier, RetryPolicy } from '../../common/retry.js';
import type { BatchWriter } from './batch-writer.js';
import type { SinkMetrics } from './metrics.js';
import { MAX_QUEUED_BATCHES, PartitionLane, type LaneContext } from './partition-lane.js';
import { createLimiter } from '../../common/limiter.js';

export interface SinkRunnerOptions {
  readonly kafka: Kafka;
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly limits: BatchLimits;
  readonly concurrency: number;
  readonly decoder: RecordDecoder;
  /** Retries decoding while the registry is unreachable. */
  readonly decodeRetry: Retrier;
  readonly writer: BatchWriter;
  readonly metrics: SinkMetrics;
  readonly logger: Logger;
  /** How long Kafka may stay unavailable (commits failing, the consumer restarting) before the runner stops. */
  readonly kafkaOutageTimeoutMs: number;
  /** Back-off of commit retries; tests pass short delays. */
  readonly commitRetryPolicy?: RetryPolicy;
  /** Test seam: runs after a batch is durably written and before its offsets are committed (throw to simulate a crash there). */
  readonly afterWrite?: (batch: Batch<SinkEntry>) => void;
}

export type RunnerState = 'starting' | 'running' | 'degraded' | 'stopping' | 'stopped' | 'failed';

export interface PartitionStatus {
  readonly topic: string;
  readonly partition: number;
  readonly bufferedRows: number;
  readonly queuedBatches: number;
  readonly paused: boolean;
  readonly highWatermark: number;
}

export interface RunnerStatus {
  readonly groupId: string;
  readonly state: RunnerState;
  readonly error: string | null;
  readonly partitions: readonly PartitionStatus[];
}

export interface SinkRunner {
  /** Settles when the runner stopped: resolves after a graceful stop, rejects with the failure otherwise. */
  readonly done: Promise<void>;
  /** Flushes open batches, writes and commits them (within `timeoutMs`), then leaves the group. */
  stop(timeoutMs: number): Promise<void>;
  status(): RunnerStatus;
  /** Marks the destination healthy or not (from the batch writer's retries), for /readyz. */
  destinationState(state: { healthy: boolean; error?: unknown }): void;
  /** Resolves once every partition's committed position reached `ends` (topic/partition → offset), e.g. a rebuild's target. */
  caughtUp(ends: ReadonlyMap<string, number>): Promise<void>;
}

/** Leaving the group needs the coordinator; with Kafka gone, stopping does not wait for it longer than this. */
const DISCONNECT_TIMEOUT_MS = 10_000;

export async function startSinkRunner(options: SinkRunnerOptions): Promise<SinkRunner> {
  const logger = options.logger.child({ component: 'sink-runner', groupId: options.groupId });
  const outage = new KafkaOutage(options.kafkaOutageTimeoutMs);
  /** Set when the consumer may not restart after a crash: the CRASH event then stops the runner with it. */
  let crashVerdict: unknown;
  const consumer: Consumer = options.kafka.consumer({
    groupId: options.groupId,
    readUncommitted: false,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: 500,
    // A member that died (kill -9) is replaced after this, not after kafkajs' default 30 s.
    sessionTimeout: 10_000,
    heartbeatInterval: 3_000,
    retry: {
      retries: 5,
      // kafkajs restarts a crashed consumer (Kafka went away) by itself; the outage limit bounds that.
      restartOnFailure: async (error) => {
        if (closing || state === 'failed') return false;
        const verdict = outage.failed('consumer', error);
        if (verdict.retriable) {
          logger.warn({ error: describeError(error), outage: outage.reason() }, 'consumer crashed; kafkajs restarts it and rejoins the group');
          return true;
        }
        crashVerdict = verdict;
        return false;
      },
    },
  });
  const tracker = new CommitTracker();
  const limit = createLimiter(options.concurrency);
  let lanes = new Map<string, PartitionLane>();
  let generation = new AbortController();
  let intentsOf = createIntentReader(options.kafka, options.groupId);
  let state: RunnerState = 'starting';
  let lastError: unknown;
  let closing = false;
  let activeBatches = 0;
  let batchesDrained: (() => void) | undefined;
  const consumedUpTo = new Map<string, number>();
  let resolveDone!: () => void;
  let rejectDone!: (error: unknown) => void;
  const done = new Promise<void>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  done.catch(() => undefined);

  const commit = createCommitter({
    consumer,
    tracker,
    outage,
    logger,
    ...(options.commitRetryPolicy === undefined ? {} : { retryPolicy: options.commitRetryPolicy }),
    onCommitted: (positions) => {
      options.metrics.commits.inc();
      for (const p of positions) {
        const lane = lanes.get(keyOf(p.topic, p.partition));
        if (lane !== undefined) options.metrics.consumerLag.set({ topic: p.topic, partition: String(p.partition) }, Math.max(0, lane.highWatermark - p.offset));
      }
    },
  });

  /** Settles once the consumer's start settled; leaving the group before that would leave nothing. */
  let started: Promise<unknown> = Promise.resolve();
  /** Stops the consumer (no restart follows: restartOnFailure refuses once closing or failed), bounded in time. */
  async function disconnect(): Promise<void> {
    const timeout = new AbortController();
    const leaving = started
      .catch(() => undefined)
      .then(() => consumer.disconnect())
      .catch((error: unknown) => logger.warn({ err: error }, 'disconnecting the consumer failed'));
    await Promise.race([leaving, delay(DISCONNECT_TIMEOUT_MS, undefined, { signal: timeout.signal }).catch(() => undefined)]);
    timeout.abort();
  }

  function fail(error: unknown): void {
    if (state === 'failed' || state === 'stopped') return;
    state = 'failed';
    lastError = error;
    logger.error({ err: error }, 'sink runner failed; stopping without committing what was not written');
    generation.abort();
    void disconnect().finally(() => rejectDone(error));
  }

  const laneContext = (signal: AbortSignal): LaneContext => ({
    tracker,
    commit: () => commit(signal),
    limit,
    signal,
    write: async (batch: Batch<SinkEntry>, ticket: Ticket, abort: AbortSignal) => {
      await options.writer.write(batch, abort, () => tracker.deadLettered(ticket));
      options.afterWrite?.(batch);
      tracker.written(ticket);
    },
    onCut: (batch) => {
      options.metrics.batches.inc({ topic: batch.topic, cut: batch.cutBy });
      options.metrics.batchRows.observe({ topic: batch.topic }, batch.entries.length);
      options.metrics.batchBytes.observe({ topic: batch.topic }, batch.bytes);
    },
    onQueueChanged: (lane) => setPaused(lane, lane.queued >= MAX_QUEUED_BATCHES),
    onFailure: fail,
  });

  function setPaused(lane: PartitionLane, paused: boolean): void {
    if (lane.paused === paused || closing) return;
    lane.paused = paused;
    const target = [{ topic: lane.topic, partitions: [lane.partition] }];
    try {
      if (paused) consumer.pause(target);
      else consumer.resume(target);
    } catch (error) {
      // The consumer is restarting after a crash: its rejoin starts a new generation, unpaused.
      logger.debug({ err: error }, 'pause or resume while the consumer restarts');
    }
    options.metrics.pausedPartitions.set([...lanes.values()].filter((l) => l.paused).length);
  }

  async function laneFor(topic: string, partition: number): Promise<PartitionLane> {
    const key = keyOf(topic, partition);
    const existing = lanes.get(key);
    if (existing !== undefined) return existing;
    const intent = (await intentsOf(topic)).get(partition);
    const again = lanes.get(key);
    if (again !== undefined) return again;
    if (intent !== undefined) logger.info({ topic, partition, cutAt: intent }, 'repeating a recorded batch boundary');
    const lane = new PartitionLane(topic, partition, options.limits, intent, laneContext(generation.signal), retired.get(key));
    lanes.set(key, lane);
    return lane;
  }

  /** Pumps of the previous generation, so a new lane waits for its predecessor. */
  let retired = new Map<string, Promise<void>>();

  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    const previous = lanes;
    retired = new Map([...previous].map(([key, lane]) => [key, lane.idle()]));
    generation.abort();
    generation = new AbortController();
    lanes = new Map();
    intentsOf = createIntentReader(options.kafka, options.groupId);
    tracker.forget();
    consumedUpTo.clear();
    for (const lane of previous.values()) if (lane.paused) consumer.resume([{ topic: lane.topic, partitions: [lane.partition] }]);
    options.metrics.pausedPartitions.set(0);
    if (state === 'starting' || state === 'degraded') state = 'running';
    outage.recovered();
    logger.info({ assignment: event.payload.memberAssignment, generationId: (event.payload as { generationId?: number }).generationId }, 'joined the group; uncommitted batches will be re-read');
  });
  const heard = (): void => outage.heard();
  consumer.on(consumer.events.FETCH, heard);
  consumer.on(consumer.events.HEARTBEAT, heard);
  consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
    const { topic, partition, lastOffset, highWatermark } = event.payload;
    const key = keyOf(topic, partition);
    consumedUpTo.set(key, Number(lastOffset) + 1);
    // Read to the end (a transaction's commit marker included: kafkajs counts it in lastOffset, and
    // reports marker-only fetches here too): nothing more will come soon, so write what is open.
    if (!closing && Number(lastOffset) + 1 >= Number(highWatermark)) lanes.get(key)?.cutIfCaughtUp(Date.now());
  });
  consumer.on(consumer.events.RECEIVED_UNSUBSCRIBED_TOPICS, (event) => {
    fail(new ForeignTopicsError(options.groupId, event.payload.topicsNotSubscribed, 'assigned this member'));
  });
  consumer.on(consumer.events.CRASH, (event) => {
    // A crash during a graceful stop ends nothing more than the stop already does.
    if (!event.payload.restart && !closing) fail(crashVerdict ?? event.payload.error);
  });

  const ageTimer = setInterval(() => {
    const now = Date.now();
    for (const lane of lanes.values()) lane.cutIfOld(now);
  }, Math.max(10, Math.min(1_000, Math.floor(options.limits.maxAgeMs / 4))));
  ageTimer.unref();
  void done.finally(() => clearInterval(ageTimer)).catch(() => undefined);

  async function consume(topic: string, partition: number, highWatermark: string, messages: readonly KafkaMessage[], heartbeat: () => Promise<void>): Promise<void> {
    const signal = generation.signal;
    let lane: PartitionLane;
    try {
      lane = await laneFor(topic, partition);
    } catch (error) {
      const verdict = isTransientKafkaError(error) ? outage.failed('reading batch boundaries', error) : error;
      // Nothing of the batch was taken: kafkajs retries it (and restarts the consumer if Kafka stays away).
      if (isRetriable(verdict)) throw error;
      fail(verdict);
      return;
    }
    lane.highWatermark = Number(highWatermark);
    try {
      for (const message of messages) {
        // While the registry is retried, keep the membership alive (kafkajs throttles heartbeats itself).
        const entry =
          decodeEntryNow(options.decoder, message) ?? (await decodeEntry(options.decoder, message, options.decodeRetry, signal, () => void heartbeat().catch(() => undefined)));
        lane.add(entry.offset, messageBytes(message), entry, Date.now());
      }
    } catch (error) {
      // A rebalance aborted the decode: the new generation reads the batch again.
      if (!signal.aborted) fail(error);
    }
  }

  try {
    await consumer.connect();
    for (const topic of options.topics) await consumer.subscribe({ topic, fromBeginning: true });
    started = consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: options.concurrency,
      eachBatch: async ({ batch, heartbeat }) => {
        // Records that arrive after a stop began are not added: no later commit can pass them.
        if (closing || state === 'failed') return;
        activeBatches++;
        try {
          await consume(batch.topic, batch.partition, batch.highWatermark, batch.messages, heartbeat);
        } finally {
          if (--activeBatches === 0) batchesDrained?.();
        }
      },
    });
    await started;
  } catch (error) {
    closing = true;
    await disconnect();
    throw error;
  }

  return {
    done,
    status: () => {
      const kafka = state === 'running' || state === 'degraded' ? outage.reason() : undefined;
      return {
        groupId: options.groupId,
        state: kafka === undefined ? state : 'degraded',
        error: kafka ?? (lastError === undefined ? null : describeError(lastError)),
        partitions: [...lanes.values()].map((lane) => ({
          topic: lane.topic,
          partition: lane.partition,
          bufferedRows: lane.batcher.rows,
          queuedBatches: lane.queued,
          paused: lane.paused,
          highWatermark: lane.highWatermark,
        })),
      };
    },
    destinationState({ healthy, error }) {
      if (state !== 'running' && state !== 'degraded') return;
      state = healthy ? 'running' : 'degraded';
      if (!healthy) lastError = error;
    },
    async caughtUp(ends) {
      const reached = (): boolean =>
        [...ends].every(([key, end]) => {
          if ((consumedUpTo.get(key) ?? -1) < end) return false;
          const lane = lanes.get(key);
          if (lane !== undefined && (lane.batcher.rows > 0 || lane.queued > 0)) {
            lane.cutNow();
            return false;
          }
          return true;
        }) && tracker.idle();
      while (!reached()) {
        if (state === 'failed') throw lastError;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async stop(timeoutMs) {
      if (state === 'stopped' || state === 'failed') return;
      closing = true;
      state = 'stopping';
      const signal = generation.signal;
      const timer = setTimeout(() => generation.abort(), timeoutMs);
      try {
        consumer.pause(options.topics.map((topic) => ({ topic })));
        if (activeBatches > 0) await new Promise<void>((resolve) => (batchesDrained = resolve));
        for (const lane of lanes.values()) lane.cutNow();
        await Promise.all([...lanes.values()].map((lane) => lane.idle()));
        await commit(signal);
      } catch (error) {
        // Kafka away past the stop's time (or restarting): what is not committed is re-read by the next run.
        if (!signal.aborted) logger.warn({ err: error }, 'the final commit failed');
      } finally {
        clearTimeout(timer);
      }
      if (!tracker.idle()) logger.warn('stop timed out; batches not written are not committed and will be re-read');
      await disconnect();
      if (state === 'stopping') state = 'stopped';
      resolveDone();
    },
  };
}
