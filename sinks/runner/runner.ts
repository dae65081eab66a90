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
 */
import type { Consumer, Kafka } from 'kafkajs';
import type { Logger } from '../../common/logger.js';
import { describeError } from '../../common/errors.js';
import type { BatchLimits, Batch } from './batcher.js';
import { CommitTracker, keyOf, parseIntent, type Ticket } from './commit-tracker.js';
import { decodeEntry, decodeEntryNow, messageBytes, type RecordDecoder, type SinkEntry } from './decode.js';
import type { Retrier } from '../../common/retry.js';
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

const REBALANCE_ERRORS = new Set(['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'NOT_COORDINATOR']);

export async function startSinkRunner(options: SinkRunnerOptions): Promise<SinkRunner> {
  const logger = options.logger.child({ component: 'sink-runner', groupId: options.groupId });
  const consumer: Consumer = options.kafka.consumer({
    groupId: options.groupId,
    readUncommitted: false,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: 500,
  });
  const tracker = new CommitTracker();
  const limit = createLimiter(options.concurrency);
  let lanes = new Map<string, PartitionLane>();
  let generation = new AbortController();
  let intents = new Map<string, Promise<Map<number, number>>>();
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

  let committing: Promise<void> = Promise.resolve();
  /** Commits are serialised; each call sends what is pending when its turn comes. One failed commit does not poison the next. */
  function commit(): Promise<void> {
    const run = committing.then(sendPending);
    committing = run.catch(() => undefined);
    return run;
  }

  async function sendPending(): Promise<void> {
    const positions = tracker.pending();
    if (positions.length === 0) return;
    try {
      await consumer.commitOffsets(positions.map((p) => ({ topic: p.topic, partition: p.partition, offset: String(p.offset), metadata: p.metadata })));
    } catch (error) {
      // The group moved on: the new owner re-reads from the last commit and re-forms the same
      // batches, whose tokens the destination dedups. Losing this commit loses nothing.
      if (!REBALANCE_ERRORS.has((error as { type?: string }).type ?? '')) throw error;
      logger.info({ err: error }, 'commit refused during a rebalance; the batches will be re-delivered and deduplicated');
      return;
    }
    tracker.committed(positions);
    options.metrics.commits.inc();
    for (const p of positions) {
      const lane = lanes.get(keyOf(p.topic, p.partition));
      if (lane !== undefined) options.metrics.consumerLag.set({ topic: p.topic, partition: String(p.partition) }, Math.max(0, lane.highWatermark - p.offset));
    }
  }

  function fail(error: unknown): void {
    if (state === 'failed') return;
    state = 'failed';
    lastError = error;
    logger.error({ err: error }, 'sink runner failed; stopping without committing what was not written');
    generation.abort();
    void consumer.disconnect().finally(() => rejectDone(error));
  }

  const laneContext = (signal: AbortSignal): LaneContext => ({
    tracker,
    commit,
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
    if (paused) consumer.pause(target);
    else consumer.resume(target);
    options.metrics.pausedPartitions.set([...lanes.values()].filter((l) => l.paused).length);
  }

  /** Committed intent metadata of a topic's partitions, read once per generation. */
  function intentsOf(topic: string): Promise<Map<number, number>> {
    let found = intents.get(topic);
    if (found === undefined) {
      found = (async () => {
        const admin = options.kafka.admin();
        await admin.connect();
        try {
          const [offsets] = await admin.fetchOffsets({ groupId: options.groupId, topics: [topic] });
          const result = new Map<number, number>();
          for (const p of offsets?.partitions ?? []) {
            const cut = parseIntent(p.metadata, Number(p.offset));
            if (cut !== undefined) result.set(p.partition, cut);
          }
          return result;
        } finally {
          await admin.disconnect();
        }
      })();
      intents.set(topic, found);
    }
    return found;
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
    intents = new Map();
    tracker.forget();
    consumedUpTo.clear();
    for (const lane of previous.values()) if (lane.paused) consumer.resume([{ topic: lane.topic, partitions: [lane.partition] }]);
    options.metrics.pausedPartitions.set(0);
    if (state === 'starting' || state === 'degraded') state = 'running';
    logger.info({ assignment: event.payload.memberAssignment, generationId: (event.payload as { generationId?: number }).generationId }, 'joined the group; uncommitted batches will be re-read');
  });
  consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
    const { topic, partition, lastOffset, highWatermark } = event.payload;
    const key = keyOf(topic, partition);
    consumedUpTo.set(key, Number(lastOffset) + 1);
    // Read to the end (a transaction's commit marker included: kafkajs counts it in lastOffset, and
    // reports marker-only fetches here too): nothing more will come soon, so write what is open.
    if (!closing && Number(lastOffset) + 1 >= Number(highWatermark)) lanes.get(key)?.cutIfCaughtUp(Date.now());
  });
  consumer.on(consumer.events.CRASH, (event) => {
    if (!event.payload.restart) fail(event.payload.error);
  });

  const ageTimer = setInterval(() => {
    const now = Date.now();
    for (const lane of lanes.values()) lane.cutIfOld(now);
  }, Math.max(10, Math.min(1_000, Math.floor(options.limits.maxAgeMs / 4))));
  ageTimer.unref();
  void done.finally(() => clearInterval(ageTimer)).catch(() => undefined);

  await consumer.connect();
  for (const topic of options.topics) await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: options.concurrency,
    eachBatch: async ({ batch, heartbeat }) => {
      // Records that arrive after a stop began are not added: no later commit can pass them.
      if (closing || state === 'failed') return;
      activeBatches++;
      try {
        const lane = await laneFor(batch.topic, batch.partition);
        lane.highWatermark = Number(batch.highWatermark);
        for (const message of batch.messages) {
          // While the registry is retried, keep the membership alive (kafkajs throttles heartbeats itself).
          const entry =
            decodeEntryNow(options.decoder, message) ??
            (await decodeEntry(options.decoder, message, options.decodeRetry, generation.signal, () => void heartbeat().catch(() => undefined)));
          lane.add(entry.offset, messageBytes(message), entry, Date.now());
        }
      } catch (error) {
        fail(error);
      } finally {
        if (--activeBatches === 0) batchesDrained?.();
      }
    },
  });

  return {
    done,
    status: () => ({
      groupId: options.groupId,
      state,
      error: lastError === undefined ? null : describeError(lastError),
      partitions: [...lanes.values()].map((lane) => ({
        topic: lane.topic,
        partition: lane.partition,
        bufferedRows: lane.batcher.rows,
        queuedBatches: lane.queued,
        paused: lane.paused,
        highWatermark: lane.highWatermark,
      })),
    }),
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
      consumer.pause(options.topics.map((topic) => ({ topic })));
      if (activeBatches > 0) await new Promise<void>((resolve) => (batchesDrained = resolve));
      for (const lane of lanes.values()) lane.cutNow();
      const timer = setTimeout(() => generation.abort(), timeoutMs);
      try {
        await Promise.all([...lanes.values()].map((lane) => lane.idle()));
        await commit();
      } finally {
        clearTimeout(timer);
      }
      if (!tracker.idle()) logger.warn('stop timed out; batches not written are not committed and will be re-read');
      await consumer.disconnect();
      state = 'stopped';
      resolveDone();
    },
  };
}
