/**
 * One topic-partition's path through the runner: a batcher for the open batch, a queue of closed
 * batches, and a pump that starts their writes in offset order. Different partitions and tables pump
 * in parallel, bounded by a shared limiter.
 *
 * By default one batch is written at a time. A destination whose writes of the same keys commute
 * (`overlappingWrites`: every row carries its version) may have `writesInFlight` batches of the
 * partition in flight, so the next batch is encoded and sent while the engine still takes the
 * previous one. The commit tracker only moves the position over a settled prefix, so a later batch
 * finishing first commits nothing early. A batch cut by time or shutdown needs its intent committed
 * first, which is legal only when nothing earlier is unsettled: the pump drains before it.
 */
import { PartitionBatcher, needsIntent, type Batch, type BatchLimits } from './batcher.js';
import type { CommitTracker, Ticket } from './commit-tracker.js';
import type { SinkEntry } from './decode.js';

/** Batches of one partition in flight for a destination whose writes overlap: the next is sent while the engine takes the previous one. */
export const OVERLAPPED_WRITES = 2;

/** Closed batches waiting (those being written included) at which the partition is paused: one more than may be in flight, so the next batch is ready when a write ends. */
export const maxQueuedBatches = (writesInFlight: number): number => writesInFlight + 1;

export interface LaneContext {
  readonly tracker: CommitTracker;
  /** Sends the tracker's pending positions; resolves once they are committed. */
  readonly commit: () => Promise<void>;
  /** Writes a batch (rows + dead letters) durably. */
  readonly write: (batch: Batch<SinkEntry>, ticket: Ticket, signal: AbortSignal) => Promise<void>;
  /** Bounds writes in flight across all lanes. */
  readonly limit: <T>(task: () => Promise<T>) => Promise<T>;
  /** Batches of one partition written at once (1 unless the destination's writes overlap). */
  readonly writesInFlight: number;
  readonly onCut: (batch: Batch<SinkEntry>) => void;
  readonly onQueueChanged: (lane: PartitionLane) => void;
  readonly onFailure: (error: unknown) => void;
  readonly signal: AbortSignal;
}

export class PartitionLane {
  readonly batcher: PartitionBatcher<SinkEntry>;
  /** Closed batches not yet written, in offset order; the first `writing.size` of them are in flight. */
  private readonly queue: Array<{ batch: Batch<SinkEntry>; ticket: Ticket }> = [];
  private readonly writing = new Map<Ticket, Promise<void>>();
  private pumping: Promise<void> | undefined;
  /** Set when the consumer was asked to pause this partition for back-pressure. */
  paused = false;
  highWatermark = 0;
  readonly topic: string;
  readonly partition: number;
  private readonly context: LaneContext;
  /** The previous generation's pump of the same partition: never write the same range twice at once. */
  private readonly predecessor: Promise<void>;

  constructor(
    topic: string,
    partition: number,
    limits: BatchLimits,
    intentLastOffset: number | undefined,
    context: LaneContext,
    predecessor: Promise<void> = Promise.resolve(),
  ) {
    this.topic = topic;
    this.partition = partition;
    this.context = context;
    this.predecessor = predecessor;
    this.batcher = new PartitionBatcher(topic, partition, limits, intentLastOffset);
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Settles once everything queued so far is written and committed (or the pump failed). */
  idle(): Promise<void> {
    return this.pumping ?? this.predecessor;
  }

  add(offset: number, bytes: number, entry: SinkEntry, now: number): void {
    for (const batch of this.batcher.add(offset, bytes, entry, now)) this.enqueue(batch);
  }

  cutIfOld(now: number): void {
    const batch = this.batcher.cutIfOlderThanLimit(now);
    if (batch !== undefined) this.enqueue(batch);
  }

  cutIfCaughtUp(now: number): void {
    const batch = this.batcher.cutIfCaughtUp(now);
    if (batch !== undefined) this.enqueue(batch);
  }

  cutNow(): void {
    const batch = this.batcher.cutNow();
    if (batch !== undefined) this.enqueue(batch);
  }

  private enqueue(batch: Batch<SinkEntry>): void {
    const deadLetters = batch.entries.reduce((count, entry) => count + (entry.kind === 'dead' ? 1 : 0), 0);
    this.queue.push({ batch, ticket: this.context.tracker.track(batch, deadLetters) });
    this.context.onCut(batch);
    this.context.onQueueChanged(this);
    this.pumping ??= this.pump().finally(() => {
      this.pumping = undefined;
    });
  }

  private async pump(): Promise<void> {
    await this.predecessor.catch(() => undefined);
    const { context, writing } = this;
    try {
      while (!context.signal.aborted) {
        const next = this.queue[writing.size];
        if (next === undefined || writing.size >= context.writesInFlight) {
          if (writing.size === 0) break;
          await Promise.race(writing.values());
          continue;
        }
        if (needsIntent(next.batch)) {
          if (writing.size > 0) {
            await Promise.all(writing.values());
            continue;
          }
          context.tracker.intent(next.ticket);
          await context.commit();
        }
        const write = this.write(next);
        // Observed by the race or `all` above while in flight; this only keeps a write that fails after an abort from going unhandled.
        write.catch(() => undefined);
        writing.set(next.ticket, write);
      }
    } catch (error) {
      if (!context.signal.aborted) context.onFailure(error);
    }
  }

  /** Writes one batch, takes it off the queue, and commits what that settled. */
  private async write(entry: { batch: Batch<SinkEntry>; ticket: Ticket }): Promise<void> {
    const { context } = this;
    try {
      await context.limit(() => context.write(entry.batch, entry.ticket, context.signal));
    } finally {
      this.writing.delete(entry.ticket);
    }
    this.queue.splice(this.queue.indexOf(entry), 1);
    context.onQueueChanged(this);
    await context.commit();
  }
}
