/**
 * One topic-partition's path through the runner: a batcher for the open batch, a queue of closed
 * batches, and a pump that writes them one at a time, in offset order. Order per partition is what
 * makes "commit lastOffset + 1" safe and the intent commit of a timed or shutdown cut legal (nothing
 * earlier is unsettled). Different partitions and tables pump in parallel, bounded by a shared
 * limiter.
 */
import { PartitionBatcher, needsIntent, type Batch, type BatchLimits } from './batcher.js';
import type { CommitTracker, Ticket } from './commit-tracker.js';
import type { SinkEntry } from './decode.js';

/** Closed batches waiting (the one being written included) at which the partition is paused. */
export const MAX_QUEUED_BATCHES = 2;

export interface LaneContext {
  readonly tracker: CommitTracker;
  /** Sends the tracker's pending positions; resolves once they are committed. */
  readonly commit: () => Promise<void>;
  /** Writes a batch (rows + dead letters) durably. */
  readonly write: (batch: Batch<SinkEntry>, ticket: Ticket, signal: AbortSignal) => Promise<void>;
  /** Bounds writes in flight across all lanes. */
  readonly limit: <T>(task: () => Promise<T>) => Promise<T>;
  readonly onCut: (batch: Batch<SinkEntry>) => void;
  readonly onQueueChanged: (lane: PartitionLane) => void;
  readonly onFailure: (error: unknown) => void;
  readonly signal: AbortSignal;
}

export class PartitionLane {
  readonly batcher: PartitionBatcher<SinkEntry>;
  private readonly queue: Array<{ batch: Batch<SinkEntry>; ticket: Ticket }> = [];
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
    try {
      while (this.queue.length > 0 && !this.context.signal.aborted) {
        const { batch, ticket } = this.queue[0] as { batch: Batch<SinkEntry>; ticket: Ticket };
        if (needsIntent(batch)) {
          this.context.tracker.intent(ticket);
          await this.context.commit();
        }
        await this.context.limit(() => this.context.write(batch, ticket, this.context.signal));
        this.queue.shift();
        this.context.onQueueChanged(this);
        await this.context.commit();
      }
    } catch (error) {
      if (!this.context.signal.aborted) this.context.onFailure(error);
    }
  }
}
