/**
 * The runner's offset commits. Commits are serialised; each sends what the tracker has pending
 * when its turn comes, so positions a failed commit did not carry go with the next one.
 *
 * A commit that fails because Kafka is briefly away (broker restart, coordinator move, the consumer
 * restarting after a crash) is retried with back-off until it goes through or the outage passes
 * its limit; the lane that asked waits meanwhile (its partition pauses once its queue is full), so
 * a batch boundary recorded as intent is stored before the batch is written. A rebalance's refusal
 * loses nothing: the group's new owner re-reads from the last commit and re-forms the same batches,
 * whose tokens the destination dedups.
 */
import type { Logger } from '../../common/logger.js';
import { describeError } from '../../common/errors.js';
import { createRetry, type RetryPolicy } from '../../common/retry.js';
import type { CommitPosition, CommitTracker } from './commit-tracker.js';
import type { GroupConsumer } from '../../kafka/consumer.js';
import { isRebalanceError } from '../../kafka/consumer-errors.js';
import type { KafkaOutage } from './kafka-outage.js';

/** Retries until the outage limit ends them (KafkaOutage turns the failure non-retriable). */
export const COMMIT_RETRY_POLICY: RetryPolicy = Object.freeze({
  retries: Number.MAX_SAFE_INTEGER,
  initialDelayMs: 200,
  maxDelayMs: 5_000,
  multiplier: 2,
});

export interface CommitterOptions {
  readonly consumer: Pick<GroupConsumer, 'commit'>;
  readonly tracker: CommitTracker;
  readonly outage: KafkaOutage;
  readonly logger: Logger;
  readonly onCommitted: (positions: readonly CommitPosition[]) => void;
  readonly retryPolicy?: RetryPolicy;
}

/** Sends the pending positions; resolves once they are committed (or refused by a rebalance), rejects when `signal` aborts or Kafka stays away too long. */
export type Commit = (signal: AbortSignal) => Promise<void>;

export function createCommitter(options: CommitterOptions): Commit {
  const { tracker, outage, logger } = options;
  const retry = createRetry(options.retryPolicy ?? COMMIT_RETRY_POLICY);
  let queue: Promise<void> = Promise.resolve();

  async function sendPending(): Promise<void> {
    const positions = tracker.pending();
    if (positions.length === 0) return;
    try {
      await options.consumer.commit(positions);
    } catch (error) {
      if (isRebalanceError(error)) {
        logger.info(
          { err: error },
          'commit refused during a rebalance; the batches will be re-delivered and deduplicated',
        );
        return;
      }
      throw outage.failed('offset commit', error);
    }
    outage.recovered();
    tracker.committed(positions);
    options.onCommitted(positions);
  }

  return (signal) => {
    const run = queue.then(() =>
      retry(sendPending, {
        operation: 'offset commit',
        signal,
        onRetry: ({ attempt, delayMs, error }) =>
          logger.warn(
            { attempt, delayMs, error: describeError(error) },
            'offset commit failed; positions stay pending and are retried',
          ),
      }),
    );
    queue = run.catch(() => undefined);
    return run;
  };
}
