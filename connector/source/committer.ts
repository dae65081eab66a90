/**
 * The single door to Kafka for a task. Every step of every resource hands its records and the new
 * source offsets here; they go out in one transaction, one transaction at a time (a transactional
 * producer has one open transaction), and the in-memory offsets move only after the commit.
 *
 * A step computed from an offset says so (`basedOn`): an operator request (re-snapshot, backfill
 * from a date) rewrites a resource's offset while its poll may be in flight, and that poll's next
 * step must not overwrite the request. The check runs inside the serial section, so no commit can
 * slip between it and the transaction.
 *
 * Webhook deliveries and polls publish through the same committer: the publication ledger
 * (publication-ledger.ts), consulted in the same serial section, leaves out a record whose entity
 * was published at that very version, or from a newer read, by a step that involved a webhook.
 */
import { ConnectError } from '../../common/errors.js';
import type { OutgoingRecord } from '../../kafka/records.js';
import type { TransactionalWriter } from '../../kafka/transactional-writer.js';
import type { OffsetStore, SourceOffset } from './offsets.js';
import type { LedgerFilter, PublicationLedger } from './publication-ledger.js';

export interface CommitStep {
  readonly records: readonly OutgoingRecord[];
  readonly offsets: ReadonlyArray<{ partition: string; offset: SourceOffset | null }>;
  /** Commit only while `partition`'s offset is still `offset` (the very object the step was computed from). */
  readonly basedOn?: { readonly partition: string; readonly offset: SourceOffset | undefined };
  /** When the reads behind the records began (performance.now), for the publication ledger. */
  readonly readAt?: number;
  /** The step publishes webhook deliveries. */
  readonly webhook?: boolean;
}

/** What a commit wrote: its latency, and the records the publication ledger left out. */
export interface CommitResult extends Pick<LedgerFilter, 'stale' | 'duplicate'> {
  readonly latencyMs: number;
}

/** The step's offset was replaced since the step read it: nothing of the step was written. */
export class OffsetReplacedError extends ConnectError {
  readonly partition: string;

  constructor(partition: string) {
    super(
      `the offset of ${partition} was replaced (re-snapshot or backfill request) during the poll; the next poll starts from it`,
      { retriable: true },
    );
    this.partition = partition;
  }
}

export interface Committer {
  commit(step: CommitStep): Promise<CommitResult>;
}

const NOTHING_LEFT_OUT: ReadonlySet<OutgoingRecord> = new Set();

/**
 * `ledger`: only where webhook deliveries publish through this committer too; without one, the
 * records of a poll go through untouched (no per-record bookkeeping on a backfill).
 */
export function createCommitter(
  writer: Pick<TransactionalWriter, 'commit'>,
  offsets: OffsetStore,
  onCommitted?: (step: CommitStep, latencyMs: number) => void,
  ledger?: PublicationLedger,
): Committer {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    commit(step) {
      const run = async (): Promise<CommitResult> => {
        if (step.basedOn !== undefined && offsets.get(step.basedOn.partition) !== step.basedOn.offset)
          throw new OffsetReplacedError(step.basedOn.partition);
        const { kept, stale, duplicate } = ledger?.filter(step) ?? {
          kept: step.records,
          stale: NOTHING_LEFT_OUT,
          duplicate: NOTHING_LEFT_OUT,
        };
        // Everything the step had was published already: no empty transaction.
        if (step.records.length > 0 && kept.length === 0 && step.offsets.length === 0)
          return { latencyMs: 0, stale, duplicate };
        const offsetRecords = step.offsets.map(({ partition, offset }) => offsets.record(partition, offset));
        const result = await writer.commit([...kept, ...offsetRecords]);
        offsets.applied(step.offsets);
        ledger?.remember(step, kept);
        onCommitted?.(step, result.latencyMs);
        return { latencyMs: result.latencyMs, stale, duplicate };
      };
      // Chain on the previous commit whatever its outcome: a failed step must not wedge the others.
      const next = tail.then(run, run);
      tail = next.catch(() => undefined);
      return next;
    },
  };
}
