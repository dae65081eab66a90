/**
 * The sink engine against an in-memory consumer group and a batch writer whose writes the test
 * confirms one by one: offsets are committed only after confirmed writes and in order, a full lane
 * pauses its partition until it drains, a rebalance starts a new generation that drops what was
 * not committed while a write in flight finishes first, a Kafka outage past its limit and a
 * foreign topic stop the engine.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../common/logger.js';
import { createMetricsRegistry } from '../../common/metrics.js';
import { createRetry } from '../../common/retry.js';
import type { CommittedOffset } from '../../kafka/admin.js';
import type {
  ConsumedBatch,
  GroupConsumer,
  GroupConsumerEvents,
  GroupRun,
  OffsetToCommit,
} from '../../kafka/consumer.js';
import { ConsumerRestartingError } from '../../kafka/consumer-errors.js';
import type { BatchWriter } from '../../sinks/runner/batch-writer.js';
import { dedupToken, type Batch } from '../../sinks/runner/batcher.js';
import { encodeIntent } from '../../sinks/runner/commit-tracker.js';
import type { SinkEntry } from '../../sinks/runner/decode.js';
import { startSinkEngine, type SinkRunner } from '../../sinks/runner/engine.js';
import { ForeignTopicsError } from '../../sinks/runner/group-admin.js';
import { KafkaOutageError } from '../../sinks/runner/kafka-outage.js';
import { createSinkMetrics } from '../../sinks/runner/metrics.js';
import { framed, knownSchemasDecoder } from '../helpers/sink-fakes.js';
import { waitFor } from '../../testkit/wait-for.js';

const TOPIC = 'p.items';
const logger = createLogger({ level: 'silent', format: 'json' });

/** Lets every promise callback that is ready run (to check that something did NOT happen). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

type Listeners = { [E in keyof GroupConsumerEvents]: Array<GroupConsumerEvents[E]> };

class FakeGroup implements GroupConsumer {
  readonly commits: OffsetToCommit[][] = [];
  readonly paused = new Set<string>();
  /** What `committed` answers (the group's stored offsets and metadata). */
  readonly stored = new Map<string, CommittedOffset[]>();
  commitFailure: (() => Error) | undefined;
  disconnected = false;
  private runConfig: GroupRun | undefined;
  private readonly listeners: Listeners = { joined: [], alive: [], batchEnd: [], foreignTopics: [], crashed: [] };

  async connect(): Promise<void> {}
  async subscribe(): Promise<void> {}
  async run(run: GroupRun): Promise<void> {
    this.runConfig = run;
  }
  pause(topic: string, partition?: number): void {
    this.paused.add(`${topic}/${partition ?? '*'}`);
  }
  resume(topic: string, partition?: number): void {
    this.paused.delete(`${topic}/${partition ?? '*'}`);
  }
  async commit(positions: readonly OffsetToCommit[]): Promise<void> {
    if (this.commitFailure !== undefined) throw this.commitFailure();
    this.commits.push([...positions]);
  }
  async committed(topic: string): Promise<CommittedOffset[]> {
    return this.stored.get(topic) ?? [];
  }
  on<E extends keyof GroupConsumerEvents>(event: E, listener: GroupConsumerEvents[E]): void {
    (this.listeners[event] as Array<GroupConsumerEvents[E]>).push(listener);
  }
  async disconnect(): Promise<void> {
    this.disconnected = true;
  }

  join(): void {
    for (const listener of this.listeners.joined) listener({ assignment: { [TOPIC]: [0] }, generationId: 1 });
  }
  foreign(topics: string[]): void {
    for (const listener of this.listeners.foreignTopics) listener(topics);
  }
  /** Hands over a batch as the client would, then reports its end. */
  async deliver(partition: number, offsets: number[], highWatermark = 1_000): Promise<void> {
    const batch: ConsumedBatch = {
      topic: TOPIC,
      partition,
      highWatermark,
      messages: offsets.map((offset) => ({
        key: Buffer.from(`k${offset}`),
        value: framed(`v${offset}`),
        headers: {},
        offset: String(offset),
      })),
    };
    await this.runConfig?.eachBatch(batch, async () => undefined);
    for (const listener of this.listeners.batchEnd)
      listener({ topic: TOPIC, partition, lastOffset: offsets.at(-1) as number, highWatermark });
  }
  /** The offsets committed for a partition, in commit order. */
  offsets(partition = 0): number[] {
    return this.commits.flatMap((positions) => positions.filter((p) => p.partition === partition).map((p) => p.offset));
  }
}

/** A write stays in flight until the test confirms it (a destination write in flight is not cut short by an abort either). */
interface PendingWrite {
  readonly batch: Batch<SinkEntry>;
  confirm(): void;
  readonly settled: Promise<void>;
}

function heldWriter(): BatchWriter & { readonly writes: PendingWrite[]; confirmed: string[] } {
  const writes: PendingWrite[] = [];
  const confirmed: string[] = [];
  return {
    writes,
    confirmed,
    async write(batch) {
      let confirm!: () => void;
      const settled = new Promise<void>((resolve) => (confirm = resolve));
      writes.push({ batch, confirm, settled });
      await settled;
      confirmed.push(dedupToken(batch));
    },
  };
}

async function startEngine(
  group: FakeGroup,
  writer: BatchWriter,
  options: { maxRows?: number; kafkaOutageTimeoutMs?: number } = {},
): Promise<SinkRunner> {
  const runner = await startSinkEngine({
    consumer: group,
    groupId: 'engine-group',
    topics: [TOPIC],
    limits: { maxRows: options.maxRows ?? 2, maxBytes: 1_000_000, maxAgeMs: 600_000 },
    concurrency: 2,
    decoder: knownSchemasDecoder,
    decodeRetry: createRetry({ retries: 0, initialDelayMs: 1, maxDelayMs: 1, multiplier: 1 }),
    writer,
    metrics: createSinkMetrics(createMetricsRegistry()),
    logger,
    kafkaOutageTimeoutMs: options.kafkaOutageTimeoutMs ?? 60_000,
    commitRetryPolicy: { retries: Number.MAX_SAFE_INTEGER, initialDelayMs: 5, maxDelayMs: 10, multiplier: 2 },
  });
  group.join();
  return runner;
}

/** Rejects when `promise` has not settled within `ms`: a runner that should have stopped but did not. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`not settled within ${ms} ms`)), ms)),
  );
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits until the writer has been handed `count` writes. */
const writesReach = (writer: ReturnType<typeof heldWriter>, count: number): Promise<true> =>
  waitFor(() => writer.writes.length >= count || undefined, {
    what: `${count} write(s) started`,
    timeoutMs: 2_000,
    intervalMs: 1,
  });

describe('sink engine', () => {
  it(
    'commits a partition only after its batches are confirmed written, one batch after the other, never past an unwritten one',
    { timeout: 5_000 },
    async () => {
      const group = new FakeGroup();
      const writer = heldWriter();
      const runner = await startEngine(group, writer);
      await group.deliver(0, [0, 1, 2, 3, 4, 5], 6);
      await writesReach(writer, 1);
      await settle();
      assert.deepEqual(group.offsets(), [], 'nothing committed while the first write is in flight');
      assert.equal(writer.writes.length, 1, 'a partition writes one batch at a time');

      writer.writes[0]?.confirm();
      await waitFor(() => group.offsets().includes(2) || undefined, {
        what: 'offset 2 committed',
        timeoutMs: 2_000,
        intervalMs: 1,
      });
      await writesReach(writer, 2);
      await settle();
      assert.deepEqual(group.offsets(), [2], 'the second batch (2-3) is not written yet: nothing past it');

      writer.writes[1]?.confirm();
      await writesReach(writer, 3);
      writer.writes[2]?.confirm();
      await waitFor(() => group.offsets().includes(6) || undefined, {
        what: 'offset 6 committed',
        timeoutMs: 2_000,
        intervalMs: 1,
      });
      assert.deepEqual(group.offsets(), [2, 4, 6], 'lastOffset + 1 of each batch, in order');
      assert.deepEqual(writer.confirmed, [`${TOPIC}-0-0-1`, `${TOPIC}-0-2-3`, `${TOPIC}-0-4-5`]);
      await runner.stop(1_000);
    },
  );

  it(
    'records the end of a batch cut because the partition was read to its end before writing it, and cuts there again on re-delivery',
    { timeout: 5_000 },
    async () => {
      const group = new FakeGroup();
      const writer = heldWriter();
      const runner = await startEngine(group, writer, { maxRows: 10 });
      await group.deliver(0, [0, 1, 2], 3);
      await writesReach(writer, 1);
      assert.deepEqual(
        group.commits[0],
        [{ topic: TOPIC, partition: 0, offset: 0, metadata: encodeIntent(2) }],
        'the intent is committed before the write',
      );
      writer.writes[0]?.confirm();
      await runner.stop(1_000);

      // A crash between the intent and the write's commit: the group holds only the intent.
      const again = new FakeGroup();
      again.stored.set(TOPIC, [{ partition: 0, offset: 0, metadata: encodeIntent(2) }]);
      const replay = heldWriter();
      const restarted = await startEngine(again, replay, { maxRows: 10 });
      // Not read to its end this time: only the recorded intent makes the cut repeat.
      await again.deliver(0, [0, 1, 2], 1_000);
      await writesReach(replay, 1);
      assert.equal(dedupToken(replay.writes[0]?.batch as Batch<SinkEntry>), `${TOPIC}-0-0-2`);
      replay.writes[0]?.confirm();
      await restarted.stop(1_000);
    },
  );

  it(
    'pauses a partition whose lane is full and resumes it once its batches are written',
    { timeout: 5_000 },
    async () => {
      const group = new FakeGroup();
      const writer = heldWriter();
      const runner = await startEngine(group, writer, { maxRows: 1 });
      await group.deliver(0, [0, 1]);
      await writesReach(writer, 1);
      assert.ok(group.paused.has(`${TOPIC}/0`), 'two closed batches waiting: paused');
      assert.equal(runner.status().partitions[0]?.paused, true);

      writer.writes[0]?.confirm();
      await waitFor(() => !group.paused.has(`${TOPIC}/0`) || undefined, {
        what: 'the partition resumed',
        timeoutMs: 2_000,
        intervalMs: 1,
      });
      await writesReach(writer, 2);
      writer.writes[1]?.confirm();
      await waitFor(() => group.offsets().includes(2) || undefined, {
        what: 'both batches committed',
        timeoutMs: 2_000,
        intervalMs: 1,
      });
      assert.equal(runner.status().partitions[0]?.paused, false);
      await runner.stop(1_000);
    },
  );

  it(
    'starts a new generation on a rebalance: uncommitted batches are dropped and re-read, and the write in flight finishes before the new lane writes',
    { timeout: 5_000 },
    async () => {
      const group = new FakeGroup();
      const writer = heldWriter();
      const runner = await startEngine(group, writer);
      await group.deliver(0, [0, 1, 2, 3]);
      await writesReach(writer, 1);
      assert.equal(runner.status().partitions[0]?.queuedBatches, 2, 'batch 0-1 in flight, 2-3 waiting');

      group.join();
      assert.deepEqual(runner.status().partitions, [], "the old generation's lanes are dropped");
      // The client re-reads from the committed offset (none yet): the same records again.
      await group.deliver(0, [0, 1, 2, 3]);
      await settle();
      assert.equal(writer.writes.length, 1, 'the new lane waits for the write still in flight');

      writer.writes[0]?.confirm();
      await writesReach(writer, 2);
      await settle();
      assert.equal(
        dedupToken(writer.writes[1]?.batch as Batch<SinkEntry>),
        `${TOPIC}-0-0-1`,
        'the new generation writes the same range again (same token), not the dropped 2-3 of the old one',
      );
      assert.deepEqual(group.offsets(), [], 'the old generation commits nothing');

      writer.writes[1]?.confirm();
      await writesReach(writer, 3);
      writer.writes[2]?.confirm();
      await waitFor(() => group.offsets().includes(4) || undefined, {
        what: 'the new generation committed',
        timeoutMs: 2_000,
        intervalMs: 1,
      });
      assert.deepEqual(group.offsets(), [2, 4]);
      assert.equal(writer.writes.length, 3, "the old generation's queued batch was never written");
      await runner.stop(1_000);
    },
  );

  it(
    'stops, done rejected and the group left, once commits have failed for longer than the Kafka outage limit',
    { timeout: 5_000 },
    async (t) => {
      const group = new FakeGroup();
      const writer = heldWriter();
      const runner = await startEngine(group, writer, { kafkaOutageTimeoutMs: 50 });
      t.after(() => runner.stop(10));
      group.commitFailure = () => new ConsumerRestartingError();
      await group.deliver(0, [0, 1]);
      await writesReach(writer, 1);
      writer.writes[0]?.confirm();
      await assert.rejects(within(runner.done, 2_000), KafkaOutageError);
      assert.equal(group.disconnected, true);
      assert.equal(runner.status().state, 'failed');
    },
  );

  it('stops when the group assigns it a topic it does not consume', { timeout: 5_000 }, async (t) => {
    const group = new FakeGroup();
    const runner = await startEngine(group, heldWriter());
    t.after(() => runner.stop(10));
    group.foreign(['other.bookings']);
    await assert.rejects(
      within(runner.done, 2_000),
      (error: unknown) => error instanceof ForeignTopicsError && /other\.bookings/.test((error as Error).message),
    );
    assert.equal(group.disconnected, true);
  });

  it("reports a resource whose records all go to the DLQ: running turns degraded with the writer's reason", async (t) => {
    const group = new FakeGroup();
    let failing: string | undefined;
    const writer = { ...heldWriter(), failingResources: () => failing };
    const runner = await startEngine(group, writer);
    t.after(() => runner.stop(10));
    await waitFor(() => runner.status().state === 'running' || undefined, { what: 'running', timeoutMs: 2_000 });
    failing = 'every record of p.things goes to the dead-letter topic';
    assert.deepEqual([runner.status().state, runner.status().error], ['degraded', failing]);
    failing = undefined;
    assert.deepEqual([runner.status().state, runner.status().error], ['running', null]);
  });
});
