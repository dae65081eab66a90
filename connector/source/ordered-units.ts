/**
 * Fetch ahead, commit in order: the scheduling core of windowed backfills, free of I/O so its
 * ordering and memory rules are unit-tested.
 *
 * Units (time windows) are fetched up to `limit` at once and committed strictly in their order, so
 * whatever a commit records (a cursor) only ever covers a contiguous prefix of committed units. A
 * fetch may answer "split" instead: the unit holds too much for one commit, and its parts take its
 * place in the order, each a unit of its own, fetched and committed like any other (and split again
 * if need be). A slot is taken when a fetch starts and given back when its unit is committed or
 * split (a split holds nothing), so at most `limit` fetched units are held at any time, however
 * large the original units turn out to be.
 *
 * Failures surface in unit order: a fetch that failed is thrown when its unit's turn to commit
 * comes (every unit before it is committed by then), a failed commit at once. Fetches still in
 * flight are then the caller's to abort (its signal); no new fetch starts after the run ended.
 *
 * Public API: runOrderedUnits(units, {limit, fetch, commit}), FetchOutcome
 */

export type FetchOutcome<U, R> =
  { readonly kind: 'fetched'; readonly result: R } | { readonly kind: 'split'; readonly parts: readonly U[] };

export interface OrderedUnitsOptions<U, R> {
  /** Units fetched or held (fetched, not yet committed) at once; >= 1. */
  readonly limit: number;
  fetch(unit: U): Promise<FetchOutcome<U, R>>;
  commit(unit: U, result: R): Promise<void>;
}

interface Slot<U, R> {
  readonly unit: U;
  /** Set when the fetch starts; resolves to undefined when the unit was split (its parts replaced it). */
  fetched?: Promise<{ readonly result: R } | undefined>;
}

export async function runOrderedUnits<U, R>(units: readonly U[], options: OrderedUnitsOptions<U, R>): Promise<void> {
  if (!Number.isInteger(options.limit) || options.limit < 1)
    throw new RangeError('runOrderedUnits: limit must be an integer >= 1');
  const queue: Slot<U, R>[] = units.map((unit) => ({ unit }));
  let held = 0;
  let ended = false;

  // Starts the first unstarted slots in order while slots are free. Every event that frees a slot
  // (a commit, a split) calls it, so the head of the queue is always started.
  const launch = (): void => {
    for (let index = 0; index < queue.length && held < options.limit && !ended; index++) {
      const slot = queue[index] as Slot<U, R>;
      if (slot.fetched !== undefined) continue;
      held++;
      slot.fetched = options.fetch(slot.unit).then((outcome) => {
        if (outcome.kind === 'fetched') return { result: outcome.result };
        held--;
        queue.splice(queue.indexOf(slot), 1, ...outcome.parts.map((unit) => ({ unit })));
        launch();
        return undefined;
      });
      slot.fetched.catch(() => undefined); // observed in order below; this only prevents an unhandled rejection meanwhile
    }
  };

  try {
    launch();
    while (queue.length > 0) {
      const head = queue[0] as Slot<U, R>;
      if (head.fetched === undefined) throw new Error('invariant: the head unit was not started');
      const fetched = await head.fetched;
      if (fetched === undefined) continue; // split: its parts now lead the queue, the first one started
      await options.commit(head.unit, fetched.result);
      queue.shift();
      held--;
      launch();
    }
  } finally {
    ended = true;
  }
}
