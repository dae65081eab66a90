/**
 * Which consumer offsets may be committed, per topic-partition.
 *
 * A batch is settled when the destination confirmed its rows AND every record of it that went to
 * the dead-letter topic was acknowledged there (Kafka Connect's ErrantRecordReporter rule: the DLQ
 * write lands before the offset moves). The committable position of a partition is `lastOffset + 1`
 * of the newest batch such that it and every batch before it are settled; parts of a batch (its
 * write, its dead letters) may finish in any order.
 *
 * Before a batch cut by time (age, caught-up) or shutdown is written, its end is recorded as commit
 * metadata on the batch's own first offset (`intent`): the position does not move past unwritten
 * records, and a re-delivery after a crash reads the metadata back and cuts the same batch
 * (batcher.ts), so the dedup token matches. The next real commit clears the metadata.
 *
 * Pure: the runner sends what `pending()` returns and reports back with `committed()`.
 */
import type { Batch } from './batcher.js';

export interface CommitPosition {
  readonly topic: string;
  readonly partition: number;
  /** The next offset to consume. */
  readonly offset: number;
  readonly metadata: string | null;
}

const INTENT_PREFIX = 'bookeo-connect/v1 cut-at=';

export function encodeIntent(lastOffset: number): string {
  return `${INTENT_PREFIX}${lastOffset}`;
}

/** The recorded batch end, when the metadata holds one that still lies ahead of the committed offset. */
export function parseIntent(metadata: string | null | undefined, committedOffset: number): number | undefined {
  if (metadata === null || metadata === undefined || !metadata.startsWith(INTENT_PREFIX)) return undefined;
  const value = Number(metadata.slice(INTENT_PREFIX.length));
  return Number.isSafeInteger(value) && value >= committedOffset ? value : undefined;
}

/** One batch's progress; the runner holds it between `track` and the settling calls. */
export interface Ticket {
  readonly key: string;
  readonly firstOffset: number;
  readonly lastOffset: number;
  written: boolean;
  deadLettersLeft: number;
}

interface PartitionProgress {
  readonly topic: string;
  readonly partition: number;
  /** Tracked, not yet settled-and-passed batches, in offset order. */
  readonly open: Ticket[];
  desired: CommitPosition | undefined;
  committed: CommitPosition | undefined;
}

export class CommitTracker {
  private readonly partitions = new Map<string, PartitionProgress>();

  /** Registers a batch (in offset order per partition) with the number of its records bound for the DLQ. */
  track(
    batch: Pick<Batch<unknown>, 'topic' | 'partition' | 'firstOffset' | 'lastOffset'>,
    deadLetters: number,
  ): Ticket {
    const progress = this.progress(batch.topic, batch.partition);
    const previous = progress.open.at(-1);
    if (previous !== undefined && batch.firstOffset <= previous.lastOffset) {
      throw new RangeError(
        `batch ${batch.firstOffset}-${batch.lastOffset} of ${progress.topic}/${progress.partition} overlaps ${previous.firstOffset}-${previous.lastOffset}`,
      );
    }
    const ticket: Ticket = {
      key: keyOf(batch.topic, batch.partition),
      firstOffset: batch.firstOffset,
      lastOffset: batch.lastOffset,
      written: false,
      deadLettersLeft: deadLetters,
    };
    progress.open.push(ticket);
    return ticket;
  }

  /**
   * Records the end of a batch whose cut would not repeat by itself. Only valid for the oldest open
   * batch of its partition: committing its first offset must not skip an unsettled batch.
   */
  intent(ticket: Ticket): void {
    const progress = this.require(ticket.key);
    if (progress.open[0] !== ticket)
      throw new RangeError(
        `intent for ${ticket.key} ${ticket.firstOffset}-${ticket.lastOffset} while an earlier batch is unsettled`,
      );
    progress.desired = {
      topic: progress.topic,
      partition: progress.partition,
      offset: ticket.firstOffset,
      metadata: encodeIntent(ticket.lastOffset),
    };
  }

  written(ticket: Ticket): void {
    ticket.written = true;
    this.advance(ticket.key);
  }

  deadLettered(ticket: Ticket, count = 1): void {
    if (count > ticket.deadLettersLeft)
      throw new RangeError(
        `more dead letters acknowledged than announced for ${ticket.key} ${ticket.firstOffset}-${ticket.lastOffset}`,
      );
    ticket.deadLettersLeft -= count;
    this.advance(ticket.key);
  }

  /** Positions that should be committed now (one per partition whose desired position is not committed yet). */
  pending(): CommitPosition[] {
    const result: CommitPosition[] = [];
    for (const progress of this.partitions.values()) {
      const { desired, committed } = progress;
      if (
        desired !== undefined &&
        (committed === undefined || desired.offset !== committed.offset || desired.metadata !== committed.metadata)
      )
        result.push(desired);
    }
    return result;
  }

  committed(positions: readonly CommitPosition[]): void {
    for (const position of positions) {
      const progress = this.partitions.get(keyOf(position.topic, position.partition));
      if (progress !== undefined) progress.committed = position;
    }
  }

  /** Whether every tracked batch is settled and its position committed (graceful shutdown waits for this). */
  idle(): boolean {
    return [...this.partitions.values()].every((p) => p.open.length === 0) && this.pending().length === 0;
  }

  /** Forgets partitions (after a rebalance their positions are re-read from the group). */
  forget(keys?: Iterable<string>): void {
    if (keys === undefined) this.partitions.clear();
    else for (const key of keys) this.partitions.delete(key);
  }

  private advance(key: string): void {
    const progress = this.partitions.get(key);
    if (progress === undefined) return;
    while (progress.open.length > 0) {
      const head = progress.open[0] as Ticket;
      if (!head.written || head.deadLettersLeft > 0) break;
      progress.open.shift();
      progress.desired = {
        topic: progress.topic,
        partition: progress.partition,
        offset: head.lastOffset + 1,
        metadata: null,
      };
    }
  }

  private progress(topic: string, partition: number): PartitionProgress {
    const key = keyOf(topic, partition);
    let progress = this.partitions.get(key);
    if (progress === undefined)
      this.partitions.set(key, (progress = { topic, partition, open: [], desired: undefined, committed: undefined }));
    return progress;
  }

  private require(key: string): PartitionProgress {
    const progress = this.partitions.get(key);
    if (progress === undefined) throw new RangeError(`no tracked batch for ${key}`);
    return progress;
  }
}

export function keyOf(topic: string, partition: number): string {
  return `${topic}/${partition}`;
}
