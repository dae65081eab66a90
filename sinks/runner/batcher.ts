/**
 * Cuts the record stream of ONE topic-partition into batches whose boundaries are deterministic.
 *
 * The destination dedups a retried or re-delivered batch by its token
 * `<topic>-<partition>-<firstOffset>-<lastOffset>`, so after a crash the records re-read from the
 * committed position must be cut at the same offsets again. Row and byte cuts are functions of the
 * records alone (counted from the committed position), so they repeat by themselves. Cuts that
 * depend on time or on the process (age, caught-up, shutdown) do not; the runner records their
 * last offset in the commit metadata BEFORE writing such a batch (see commit-tracker.ts), and a
 * re-delivery gets that offset back as `intentLastOffset` and cuts there too.
 *
 * Pure: no I/O, the clock is passed in.
 */

export interface BatchLimits {
  readonly maxRows: number;
  readonly maxBytes: number;
  readonly maxAgeMs: number;
}

/**
 * Why a batch was closed. `rows`, `bytes` and `intent` repeat on re-delivery; `age`, `caught-up`
 * (the partition had nothing more to read) and `shutdown` do not, which is why they need an intent
 * commit before the write (see `needsIntent`).
 */
export type CutReason = 'rows' | 'bytes' | 'intent' | 'age' | 'caught-up' | 'shutdown';

export interface Batch<T> {
  readonly topic: string;
  readonly partition: number;
  /** Offsets of the first and last Kafka record in the batch (tombstones and dead letters included). */
  readonly firstOffset: number;
  readonly lastOffset: number;
  readonly entries: readonly T[];
  /** Key + value bytes as they came from Kafka. */
  readonly bytes: number;
  readonly cutBy: CutReason;
}

export function dedupToken(batch: Pick<Batch<unknown>, 'topic' | 'partition' | 'firstOffset' | 'lastOffset'>): string {
  return `${batch.topic}-${batch.partition}-${batch.firstOffset}-${batch.lastOffset}`;
}

/** Whether the batch's end must be recorded (commit metadata) before it is written, so that a re-delivery repeats it. */
export function needsIntent(batch: Pick<Batch<unknown>, 'cutBy'>): boolean {
  return batch.cutBy === 'age' || batch.cutBy === 'caught-up' || batch.cutBy === 'shutdown';
}

export class PartitionBatcher<T> {
  private entries: T[] = [];
  private firstOffset = -1;
  private lastOffset = -1;
  private bytes = 0;
  private openedAt = 0;
  /** When the last age or caught-up cut happened: caught-up cuts are spaced like age cuts. */
  private lastTimedCut = -Infinity;
  private intentLastOffset: number | undefined;
  readonly topic: string;
  readonly partition: number;
  private readonly limits: BatchLimits;

  /**
   * @param intentLastOffset the end of a batch that was cut by age, caught-up or shutdown and
   *   recorded in the commit metadata, but whose commit never happened: the first batch ends there again.
   */
  constructor(topic: string, partition: number, limits: BatchLimits, intentLastOffset?: number) {
    this.topic = topic;
    this.partition = partition;
    this.limits = limits;
    this.intentLastOffset = intentLastOffset;
  }

  get rows(): number {
    return this.entries.length;
  }

  get pendingBytes(): number {
    return this.bytes;
  }

  /** Adds one record (offsets must increase); returns the batches this closed, in offset order. */
  add(offset: number, bytes: number, entry: T, now: number): Batch<T>[] {
    if (offset <= this.lastOffset)
      throw new RangeError(`offset ${offset} on ${this.topic}/${this.partition} is not after ${this.lastOffset}`);
    const closed: Batch<T>[] = [];
    // The recorded intent may point at a record that compaction removed since: cut before passing it.
    if (this.intentLastOffset !== undefined && offset > this.intentLastOffset && this.entries.length > 0)
      closed.push(this.close('intent'));
    if (this.intentLastOffset !== undefined && offset > this.intentLastOffset) this.intentLastOffset = undefined;

    if (this.entries.length === 0) {
      this.firstOffset = offset;
      this.openedAt = now;
    }
    this.entries.push(entry);
    this.lastOffset = offset;
    this.bytes += bytes;

    const reason = this.deterministicCut();
    if (reason !== undefined) closed.push(this.close(reason));
    return closed;
  }

  /** Closes the open batch if its first record waited at least maxAgeMs. */
  cutIfOlderThanLimit(now: number): Batch<T> | undefined {
    if (this.entries.length === 0 || now - this.openedAt < this.limits.maxAgeMs) return undefined;
    this.lastTimedCut = now;
    return this.close('age');
  }

  /**
   * Closes the open batch because the partition is read to its end: the tail of a finite topic (or
   * of a burst) is written at once instead of after maxAgeMs. At most once per maxAgeMs, counting
   * age cuts: a partition that receives a trickle of records reaches its end after every fetch, and
   * cutting each time would turn the trickle into one tiny insert (and two commits) per fetch.
   */
  cutIfCaughtUp(now: number): Batch<T> | undefined {
    if (this.entries.length === 0 || now - this.lastTimedCut < this.limits.maxAgeMs) return undefined;
    this.lastTimedCut = now;
    return this.close('caught-up');
  }

  /** Closes whatever is open (graceful shutdown). */
  cutNow(): Batch<T> | undefined {
    return this.entries.length === 0 ? undefined : this.close('shutdown');
  }

  private deterministicCut(): CutReason | undefined {
    if (this.entries.length >= this.limits.maxRows) return 'rows';
    if (this.bytes >= this.limits.maxBytes) return 'bytes';
    if (this.intentLastOffset !== undefined && this.lastOffset >= this.intentLastOffset) return 'intent';
    return undefined;
  }

  private close(cutBy: CutReason): Batch<T> {
    const batch: Batch<T> = {
      topic: this.topic,
      partition: this.partition,
      firstOffset: this.firstOffset,
      lastOffset: this.lastOffset,
      entries: this.entries,
      bytes: this.bytes,
      cutBy,
    };
    if (cutBy === 'intent') this.intentLastOffset = undefined;
    this.entries = [];
    this.bytes = 0;
    this.firstOffset = -1;
    return batch;
  }
}
