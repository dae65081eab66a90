/**
 * The sink engine: a consumer group (kafka/consumer.ts, read_committed, commits only when asked)
 * feeding partition lanes, and offset commits that follow confirmed writes. It talks to Kafka only
 * through the GroupConsumer interface, so unit tests drive it with an in-memory group.
 *
 * Batches are taken without waiting for writes (intake.ts). When a lane has MAX_QUEUED_BATCHES
 * closed batches (the destination is slow or down), its partition is paused: memory stays bounded,
 * the group keeps its members, and nothing is committed for what is not written. Each group join
 * starts a new generation of lanes (generation.ts).
 *
 * Kafka going away is waited out (kafka-outage.ts): commits are retried (committer.ts) and the
 * consumer restarts after a crash, both until Kafka has failed for `kafkaOutageTimeoutMs`; after
 * that, or on a failure no wait fixes, the engine stops the consumer and `done` rejects, so the
 * process can exit instead of holding its partitions while committing nothing. A member handed a
 * topic it does not consume (another deployment in the same group) stops the same way.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { describeError } from '../../common/errors.js';
import { createLimiter } from '../../common/limiter.js';
import type { Logger } from '../../common/logger.js';
import type { Retrier, RetryPolicy } from '../../common/retry.js';
import type { GroupConsumer } from '../../kafka/consumer.js';
import type { BatchWriter } from './batch-writer.js';
import type { Batch, BatchLimits } from './batcher.js';
import { CommitTracker, keyOf, type Ticket } from './commit-tracker.js';
import { createCommitter } from './committer.js';
import type { RecordDecoder, SinkEntry } from './decode.js';
import { Generation } from './generation.js';
import { ForeignTopicsError } from './group-admin.js';
import { BatchIntake } from './intake.js';
import { KafkaOutage } from './kafka-outage.js';
import { RunnerLifecycle, type RunnerState } from './lifecycle.js';
import type { SinkMetrics } from './metrics.js';
import { MAX_QUEUED_BATCHES, type LaneContext, type PartitionLane } from './partition-lane.js';

export interface SinkEngineOptions {
  readonly consumer: GroupConsumer;
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

export type { RunnerState };

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
/** How often `caughtUp` looks again. */
const CAUGHT_UP_POLL_MS = 100;

export async function startSinkEngine(options: SinkEngineOptions): Promise<SinkRunner> {
  const { consumer, metrics } = options;
  const logger = options.logger.child({ component: 'sink-runner', groupId: options.groupId });
  const outage = new KafkaOutage(options.kafkaOutageTimeoutMs);
  const lifecycle = new RunnerLifecycle();
  const tracker = new CommitTracker();
  const limit = createLimiter(options.concurrency);
  /** Set when the consumer may not restart after a crash: the crash event then stops the runner with it. */
  let crashVerdict: unknown;

  const commit = createCommitter({
    consumer,
    tracker,
    outage,
    logger,
    ...(options.commitRetryPolicy === undefined ? {} : { retryPolicy: options.commitRetryPolicy }),
    onCommitted: (positions) => {
      metrics.commits.inc();
      for (const p of positions) {
        const lane = generation.lanes.get(keyOf(p.topic, p.partition));
        if (lane !== undefined)
          metrics.consumerLag.set(
            { topic: p.topic, partition: String(p.partition) },
            Math.max(0, lane.highWatermark - p.offset),
          );
      }
    },
  });

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
      metrics.batches.inc({ topic: batch.topic, cut: batch.cutBy });
      metrics.batchRows.observe({ topic: batch.topic }, batch.entries.length);
      metrics.batchBytes.observe({ topic: batch.topic }, batch.bytes);
    },
    onQueueChanged: (lane) => setPaused(lane, lane.queued >= MAX_QUEUED_BATCHES),
    onFailure: fail,
  });
  let generation = new Generation({ group: consumer, limits: options.limits, laneContext, logger });
  const intake = new BatchIntake({
    decoder: options.decoder,
    decodeRetry: options.decodeRetry,
    outage,
    accepting: () => lifecycle.accepting,
    generation: () => generation,
    fail,
  });

  /** Settles once the consumer's start settled; leaving the group before that would leave nothing. */
  let started: Promise<unknown> = Promise.resolve();
  /** Stops the consumer (no restart follows: mayRestart refuses once closing or failed), bounded in time. */
  async function disconnect(): Promise<void> {
    const timeout = new AbortController();
    const leaving = started
      .catch(() => undefined)
      .then(() => consumer.disconnect())
      .catch((error: unknown) => logger.warn({ err: error }, 'disconnecting the consumer failed'));
    await Promise.race([
      leaving,
      delay(DISCONNECT_TIMEOUT_MS, undefined, { signal: timeout.signal }).catch(() => undefined),
    ]);
    timeout.abort();
  }

  function fail(error: unknown): void {
    if (!lifecycle.fail(error)) return;
    logger.error({ err: error }, 'sink runner failed; stopping without committing what was not written');
    generation.abort();
    void disconnect().finally(() => lifecycle.failed());
  }

  function setPaused(lane: PartitionLane, paused: boolean): void {
    if (lane.paused === paused || lifecycle.closing) return;
    lane.paused = paused;
    try {
      if (paused) consumer.pause(lane.topic, lane.partition);
      else consumer.resume(lane.topic, lane.partition);
    } catch (error) {
      // The consumer is restarting after a crash: its rejoin starts a new generation, unpaused.
      logger.debug({ err: error }, 'pause or resume while the consumer restarts');
    }
    metrics.pausedPartitions.set(generation.pausedLanes());
  }

  consumer.on('joined', (event) => {
    const previous = generation;
    generation = previous.next();
    tracker.forget();
    for (const lane of previous.lanes.values()) if (lane.paused) consumer.resume(lane.topic, lane.partition);
    metrics.pausedPartitions.set(0);
    lifecycle.joined();
    outage.recovered();
    logger.info(
      { assignment: event.assignment, generationId: event.generationId },
      'joined the group; uncommitted batches will be re-read',
    );
  });
  consumer.on('alive', () => outage.heard());
  consumer.on('batchEnd', ({ topic, partition, lastOffset, highWatermark }) => {
    const key = keyOf(topic, partition);
    generation.consumedUpTo.set(key, lastOffset + 1);
    // Read to the end (a transaction's commit marker included: the client counts it in lastOffset, and
    // reports marker-only fetches here too): nothing more will come soon, so write what is open.
    if (!lifecycle.closing && lastOffset + 1 >= highWatermark) generation.lanes.get(key)?.cutIfCaughtUp(Date.now());
  });
  consumer.on('foreignTopics', (topics) =>
    fail(new ForeignTopicsError(options.groupId, topics, 'assigned this member')),
  );
  consumer.on('crashed', ({ error, restart }) => {
    // A crash during a graceful stop ends nothing more than the stop already does.
    if (!restart && !lifecycle.closing) fail(crashVerdict ?? error);
  });

  function mayRestart(error: unknown): boolean {
    if (!lifecycle.accepting) return false;
    const verdict = outage.failed('consumer', error);
    if (verdict.retriable) {
      logger.warn(
        { error: describeError(error), outage: outage.reason() },
        'consumer crashed; the client restarts it and rejoins the group',
      );
      return true;
    }
    crashVerdict = verdict;
    return false;
  }

  const ageTimer = setInterval(
    () => {
      const now = Date.now();
      for (const lane of generation.lanes.values()) lane.cutIfOld(now);
    },
    Math.max(10, Math.min(1_000, Math.floor(options.limits.maxAgeMs / 4))),
  );
  ageTimer.unref();
  void lifecycle.done.finally(() => clearInterval(ageTimer)).catch(() => undefined);

  try {
    await consumer.connect();
    await consumer.subscribe(options.topics);
    started = consumer.run({
      concurrency: options.concurrency,
      eachBatch: (batch, heartbeat) => intake.take(batch, heartbeat),
      mayRestart,
    });
    await started;
  } catch (error) {
    lifecycle.abandon();
    await disconnect();
    throw error;
  }

  return {
    done: lifecycle.done,
    status: () => {
      const kafka = lifecycle.live ? outage.reason() : undefined;
      // A resource whose records all go to the DLQ degrades the running sink (/readyz names it).
      const failing = lifecycle.state === 'running' ? options.writer.failingResources?.() : undefined;
      const degradedBy = kafka ?? failing;
      return {
        groupId: options.groupId,
        state: degradedBy === undefined ? lifecycle.state : 'degraded',
        error: degradedBy ?? lifecycle.describeError(),
        partitions: [...generation.lanes.values()].map((lane) => ({
          topic: lane.topic,
          partition: lane.partition,
          bufferedRows: lane.batcher.rows,
          queuedBatches: lane.queued,
          paused: lane.paused,
          highWatermark: lane.highWatermark,
        })),
      };
    },
    destinationState: ({ healthy, error }) => lifecycle.destinationState(healthy, error),
    async caughtUp(ends) {
      const reached = (): boolean =>
        [...ends].every(([key, end]) => {
          if ((generation.consumedUpTo.get(key) ?? -1) < end) return false;
          const lane = generation.lanes.get(key);
          if (lane !== undefined && (lane.batcher.rows > 0 || lane.queued > 0)) {
            lane.cutNow();
            return false;
          }
          return true;
        }) && tracker.idle();
      while (!reached()) {
        if (lifecycle.state === 'failed') throw lifecycle.error;
        await delay(CAUGHT_UP_POLL_MS);
      }
    },
    async stop(timeoutMs) {
      if (!lifecycle.stopping()) return;
      const signal = generation.signal;
      // A rebalance during the stop starts a new generation: the timer ends whichever is current.
      const timer = setTimeout(() => generation.abort(), timeoutMs);
      try {
        for (const topic of options.topics) consumer.pause(topic);
        await intake.drained();
        const lanes = [...generation.lanes.values()];
        for (const lane of lanes) lane.cutNow();
        await Promise.all(lanes.map((lane) => lane.idle()));
        await commit(signal);
      } catch (error) {
        // Kafka away past the stop's time (or restarting): what is not committed is re-read by the next run.
        if (!signal.aborted) logger.warn({ err: error }, 'the final commit failed');
      } finally {
        clearTimeout(timer);
      }
      if (!tracker.idle()) logger.warn('stop timed out; batches not written are not committed and will be re-read');
      await disconnect();
      lifecycle.stopped();
    },
  };
}
