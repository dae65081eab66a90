/**
 * The windowed backfill's scheduler: fetch ahead, commit in order, split units in place, and never
 * hold more than `limit` fetched units, whatever the units split into.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { runOrderedUnits, type FetchOutcome } from '../../connector/source/ordered-units.js';

/** Units are strings; "a" splits into "a.1", "a.2" … per `splits`; a fetch takes `delays[unit]` ms (default 1). */
function harness(limit: number, splits: Record<string, number>, delays: Record<string, number> = {}, failing?: string) {
  const committed: string[] = [];
  const fetchedUnits: string[] = [];
  let held = 0;
  let peakHeld = 0;
  let inFetch = 0;
  let peakInFetch = 0;
  const fetch = async (unit: string): Promise<FetchOutcome<string, string>> => {
    held++;
    inFetch++;
    peakHeld = Math.max(peakHeld, held);
    peakInFetch = Math.max(peakInFetch, inFetch);
    fetchedUnits.push(unit);
    await delay(delays[unit] ?? 1);
    inFetch--;
    if (unit === failing) {
      held--;
      throw new Error(`fetch of ${unit} failed`);
    }
    const parts = splits[unit];
    if (parts !== undefined) {
      held--; // a split holds nothing
      return { kind: 'split', parts: Array.from({ length: parts }, (_, index) => `${unit}.${index + 1}`) };
    }
    return { kind: 'fetched', result: `records of ${unit}` };
  };
  const commit = async (unit: string, result: string): Promise<void> => {
    assert.equal(result, `records of ${unit}`);
    await delay(1);
    committed.push(unit);
    held--;
  };
  return {
    run: (units: string[]) => runOrderedUnits(units, { limit, fetch, commit }),
    committed,
    fetchedUnits,
    peakHeld: () => peakHeld,
    peakInFetch: () => peakInFetch,
  };
}

describe('runOrderedUnits', () => {
  it('commits in unit order even when later units are fetched first', async () => {
    const h = harness(3, {}, { a: 30, b: 10, c: 1, d: 1 });
    await h.run(['a', 'b', 'c', 'd']);
    assert.deepEqual(h.committed, ['a', 'b', 'c', 'd']);
    assert.equal(h.peakHeld(), 3);
  });

  it('puts the parts of a split unit in its place, in order, split again when need be', async () => {
    const h = harness(2, { b: 3, 'b.2': 2 }, { a: 20 });
    await h.run(['a', 'b', 'c']);
    assert.deepEqual(h.committed, ['a', 'b.1', 'b.2.1', 'b.2.2', 'b.3', 'c']);
  });

  it('holds at most `limit` fetched units however many parts the units split into', async () => {
    const h = harness(4, { a: 16, b: 16, c: 16, d: 16, e: 16 }, { 'a.1': 15 });
    await h.run(['a', 'b', 'c', 'd', 'e']);
    assert.equal(h.committed.length, 80);
    assert.deepEqual(h.committed.slice(0, 17), [...Array.from({ length: 16 }, (_, i) => `a.${i + 1}`), 'b.1']);
    assert.ok(h.peakHeld() <= 4, `held ${h.peakHeld()} units at once`);
    assert.equal(h.peakInFetch(), 4, 'parts are fetched `limit` at a time, not one by one');
  });

  it('with limit 1 fetches strictly one unit after the other', async () => {
    const h = harness(1, { b: 2 });
    await h.run(['a', 'b', 'c']);
    assert.deepEqual(h.committed, ['a', 'b.1', 'b.2', 'c']);
    assert.equal(h.peakInFetch(), 1);
  });

  it('throws a failed fetch in its turn: earlier units committed, nothing after it, no fetch started later', async () => {
    const h = harness(2, { c: 4 }, { a: 20 }, 'b');
    await assert.rejects(h.run(['a', 'b', 'c', 'd', 'e']), /fetch of b failed/);
    assert.deepEqual(h.committed, ['a']);
    const startedAtFailure = h.fetchedUnits.length;
    await delay(30);
    assert.equal(h.fetchedUnits.length, startedAtFailure, 'a split resolving after the failure starts nothing');
  });

  it('does nothing for no units and refuses a limit below 1', async () => {
    const h = harness(2, {});
    await h.run([]);
    assert.deepEqual(h.fetchedUnits, []);
    await assert.rejects(
      runOrderedUnits(['a'], {
        limit: 0,
        fetch: async () => ({ kind: 'fetched', result: 1 }),
        commit: async () => undefined,
      }),
      RangeError,
    );
  });
});
