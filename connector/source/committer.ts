/**
 * The single door to Kafka for a task. Every step of every resource hands its records and the new
 * source offsets here; they go out in one transaction, one transaction at a time (a transactional
 * producer has one open transaction), and the in-memory offsets move only after the commit.
 */
import type { OffsetStore, SourceOffset } from '../kafka/offsets.js';
import type { OutgoingRecord, TransactionalWriter } from '../kafka/transactional-writer.js';

export interface CommitStep {
  readonly records: readonly OutgoingRecord[];
  readonly offsets: ReadonlyArray<{ partition: string; offset: SourceOffset | null }>;
}

export interface Committer {
  commit(step: CommitStep): Promise<{ latencyMs: number }>;
}

export function createCommitter(writer: TransactionalWriter, offsets: OffsetStore, onCommitted?: (step: CommitStep, latencyMs: number) => void): Committer {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    commit(step) {
      const run = async (): Promise<{ latencyMs: number }> => {
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
