/**
 * The single door to Kafka for a task. Every step of every resource hands its records and the new
 * source offsets here; they go out in one transaction, one transaction at a time (a transactional
 * producer has one open transaction), and the in-memory offsets move only after the commit.
 *
 * A step computed from an offset says so (`basedOn`): an operator request (re-snapshot, backfill
 * from a date) rewrites a resource's offset while its poll may be in flight, and that poll's next
 * step must not overwrite the request. The check runs inside the serial section, so no commit can
 * slip between it and the transaction.
 */
import { ConnectError } from '../../common/errors.js';
import type { OutgoingRecord } from '../../kafka/records.js';
import type { TransactionalWriter } from '../../kafka/transactional-writer.js';
import type { OffsetStore, SourceOffset } from './offsets.js';

export interface CommitStep {
  readonly records: readonly OutgoingRecord[];
  readonly offsets: ReadonlyArray<{ partition: string; offset: SourceOffset | null }>;
  /** Commit only while `partition`'s offset is still `offset` (the very object the step was computed from). */
  readonly basedOn?: { readonly partition: string; readonly offset: SourceOffset | undefined };
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
  commit(step: CommitStep): Promise<{ latencyMs: number }>;
}

export function createCommitter(
  writer: Pick<TransactionalWriter, 'commit'>,
  offsets: OffsetStore,
  onCommitted?: (step: CommitStep, latencyMs: number) => void,
): Committer {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    commit(step) {
      const run = async (): Promise<{ latencyMs: number }> => {
        if (step.basedOn !== undefined && offsets.get(step.basedOn.partition) !== step.basedOn.offset)
          throw new OffsetReplacedError(step.basedOn.partition);
        const offsetRecords = step.offsets.map(({ partition, offset }) => offsets.record(partition, offset));
        const result = await writer.commit([...step.records, ...offsetRecords]);
        offsets.applied(step.offsets);
        onCommitted?.(step, result.latencyMs);
        return result;
      };
      // Chain on the previous commit whatever its outcome: a failed step must not wedge the others.
      const next = tail.then(run, run);
      tail = next.catch(() => undefined);
      return next;
    },
  };
}
