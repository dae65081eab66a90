/**
 * A task's session with Kafka: its transactional producer, its offsets, and the committer over both.
 *
 * A commit that failed for any reason but being fenced leaves the producer's transaction in doubt:
 * the broker may have committed it or not, and kafkajs may refuse every later transaction on that
 * producer (after a Kafka restart it stays in its COMMITTING state). So the session is renewed
 * before the next poll (commits are serial, and none follows a failed one): a new producer with
 * the same transactional id makes the coordinator finish the open transaction, and the offsets and
 * the published state are read back from Kafka, which holds the truth either way. A poll that began
 * before the renewal keeps the committer it was given, and that committer refuses to commit
 * (retriable): nothing reaches the old producer once the new one has fenced it. While Kafka is
 * still away the renewal fails and the poll with it; the next poll tries again.
 *
 * Public API: openTaskSession(options): Promise<TaskSession>, SessionRenewedError
 */
import { ConnectError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { ProducerFencedError, type TransactionalWriter } from '../../kafka/transactional-writer.js';
import type { OffsetStore } from './offsets.js';
import { createPublicationLedger } from './publication-ledger.js';
import { createCommitter, type CommitStep, type Committer } from './committer.js';

/** The committer belongs to a session renewed since: the step was not written (the next poll recomputes it). */
export class SessionRenewedError extends ConnectError {
  constructor() {
    super(
      'the Kafka session of this task was renewed after a failed commit; this step was not written and the next poll recomputes it',
      { retriable: true },
    );
  }
}

export interface TaskSession {
  /** The current committer and offsets: a poll takes both when it starts. */
  readonly committer: Committer;
  readonly offsets: OffsetStore;
  /** Renews the session if a commit failed since it was opened (one renewal for all concurrent callers). */
  ready(): Promise<void>;
  /** Where the current producer last committed into `topic` (see TransactionalWriter.committedAt). */
  committedAt(topic: string): ReadonlyMap<number, number>;
  close(): Promise<void>;
}

export interface TaskSessionOptions {
  /** A new transactional producer (fencing any older one) and the offsets read after it. */
  open(): Promise<{ readonly writer: TransactionalWriter; readonly offsets: OffsetStore }>;
  /** Reads the published state back from Kafka; after every open, so that what an older instance committed before the fence counts. */
  reloadState(): Promise<void>;
  onCommitted?(step: CommitStep, latencyMs: number): void;
  /** Webhook deliveries publish through this session too: each generation's committer keeps a publication ledger. */
  readonly webhooks?: boolean;
  readonly logger: Logger;
}

interface Generation {
  readonly writer: TransactionalWriter;
  readonly offsets: OffsetStore;
  readonly committer: Committer;
  /** A commit failed: nothing more is committed through this generation (so none is in flight once it is set). */
  failed: boolean;
}

export async function openTaskSession(options: TaskSessionOptions): Promise<TaskSession> {
  let current: Generation = await open();
  await options.reloadState();
  let renewing: Promise<void> | undefined;

  async function open(): Promise<Generation> {
    const { writer, offsets } = await options.open();
    const generation: Generation = {
      writer,
      offsets,
      failed: false,
      committer: createCommitter(
        {
          commit(records) {
            if (generation !== current || generation.failed) return Promise.reject(new SessionRenewedError());
            return writer.commit(records).catch((error: unknown) => {
              if (!(error instanceof ProducerFencedError)) generation.failed = true;
              throw error;
            });
          },
        },
        offsets,
        options.onCommitted,
        options.webhooks === true ? createPublicationLedger() : undefined,
      ),
    };
    return generation;
  }

  async function renew(): Promise<void> {
    await current.writer
      .close()
      .catch((error: unknown) => options.logger.debug({ err: error }, 'closing the producer of a failed session'));
    const next = await open();
    try {
      await options.reloadState();
    } catch (error) {
      await next.writer.close().catch(() => undefined);
      throw error;
    }
    // Only now: until the state is read back, the failed session stays current and refuses commits.
    current = next;
    options.logger.info(
      { offsets: next.offsets.entries().size },
      'Kafka session renewed after a failed commit: producer, offsets and published state read back from Kafka',
    );
  }

  return {
    get committer() {
      return current.committer;
    },
    get offsets() {
      return current.offsets;
    },
    committedAt: (topic) => current.writer.committedAt(topic),
    ready() {
      if (!current.failed) return Promise.resolve();
      renewing ??= renew().finally(() => {
        renewing = undefined;
      });
      return renewing;
    },
    close: () => current.writer.close(),
  };
}
