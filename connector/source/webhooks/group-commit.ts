/**
 * Group commit: deliveries that arrive while a batch is being read and committed wait together
 * and go out as the next batch, in one transaction, so a burst costs a few transactions, not one
 * each, and every delivery is answered within Bookeo's answer window. Each submitted item settles
 * with its own outcome from the batch (an item can fail alone, e.g. its re-read failed).
 *
 * Public API: createGroupCommit(process): GroupCommit
 */

export interface GroupCommit<T, R> {
  submit(item: T): Promise<R>;
  /** Resolves once no batch is running (pending items are processed first). */
  idle(): Promise<void>;
}

/** Processes a batch; per item, its result or the error it failed with (a missing item fails with the batch's error). */
export type BatchProcessor<T, R> = (items: readonly T[]) => Promise<ReadonlyMap<T, R | Error>>;

interface Pending<T, R> {
  readonly item: T;
  resolve(result: R): void;
  reject(error: unknown): void;
}

export function createGroupCommit<T, R>(process: BatchProcessor<T, R>): GroupCommit<T, R> {
  let pending: Pending<T, R>[] = [];
  let running: Promise<void> | undefined;

  async function runBatches(): Promise<void> {
    while (pending.length > 0) {
      const batch = pending;
      pending = [];
      try {
        const outcomes = await process(batch.map((entry) => entry.item));
        for (const entry of batch) {
          const outcome = outcomes.get(entry.item);
          if (outcome === undefined) entry.reject(new Error('the batch gave no outcome for this delivery'));
          else if (outcome instanceof Error) entry.reject(outcome);
          else entry.resolve(outcome);
        }
      } catch (error) {
        for (const entry of batch) entry.reject(error);
      }
    }
  }

  /** Starts the batch loop unless it runs (an item submitted as the loop ends starts it again). */
  function kick(): void {
    if (running !== undefined || pending.length === 0) return;
    running = runBatches().finally(() => {
      running = undefined;
      kick();
    });
  }

  return {
    submit(item) {
      const settled = new Promise<R>((resolve, reject) => pending.push({ item, resolve, reject }));
      kick();
      return settled;
    },
    async idle() {
      await running;
    },
  };
}
