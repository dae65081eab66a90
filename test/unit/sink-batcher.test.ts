import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PartitionBatcher, dedupToken, needsIntent, type Batch, type BatchLimits } from '../../sinks/runner/batcher.js';

const LIMITS: BatchLimits = { maxRows: 3, maxBytes: 1_000, maxAgeMs: 5_000 };

/** Feeds (offset, bytes) pairs and returns the closed batches as `first-last:cut`. */
function feed(batcher: PartitionBatcher<number>, records: ReadonlyArray<[number, number]>, now = 0): string[] {
  return records.flatMap(([offset, bytes]) => batcher.add(offset, bytes, offset, now)).map(label);
}

function label(batch: Batch<number>): string {
  return `${batch.firstOffset}-${batch.lastOffset}:${batch.cutBy}`;
}

describe('sink batcher', () => {
  it('cuts by rows, counted from the first record after the previous cut', () => {
    const batcher = new PartitionBatcher<number>('t', 0, LIMITS);
    assert.deepEqual(
      feed(batcher, [
        [0, 1],
        [1, 1],
        [2, 1],
        [3, 1],
        [5, 1],
        [8, 1],
        [9, 1],
      ]),
      ['0-2:rows', '3-8:rows'],
    );
    assert.equal(batcher.rows, 1);
  });

  it('cuts by bytes, including the record that crosses the limit', () => {
    const batcher = new PartitionBatcher<number>('t', 0, { ...LIMITS, maxRows: 100 });
    assert.deepEqual(
      feed(batcher, [
        [0, 400],
        [1, 400],
        [2, 400],
        [3, 2_000],
        [4, 10],
      ]),
      ['0-2:bytes', '3-3:bytes'],
    );
    assert.equal(batcher.pendingBytes, 10);
  });

  it('produces the same boundaries when a partition is re-read from a committed position', () => {
    const log: Array<[number, number]> = [
      [10, 5],
      [11, 5],
      [13, 5],
      [14, 5],
      [15, 5],
      [17, 5],
      [18, 5],
    ];
    const first = feed(new PartitionBatcher<number>('t', 0, LIMITS), log);
    // Crash after the first batch was committed: the re-read starts at 14 (= 13 + 1).
    const again = feed(new PartitionBatcher<number>('t', 0, LIMITS), log.slice(3));
    assert.deepEqual(first, ['10-13:rows', '14-17:rows']);
    assert.deepEqual(again, ['14-17:rows']);
  });

  it('cuts by age only when the first record waited maxAgeMs, and such a cut needs an intent', () => {
    const batcher = new PartitionBatcher<number>('t', 0, LIMITS);
    batcher.add(0, 1, 0, 1_000);
    batcher.add(1, 1, 1, 5_000);
    assert.equal(batcher.cutIfOlderThanLimit(5_999), undefined);
    const cut = batcher.cutIfOlderThanLimit(6_000);
    assert.ok(cut);
    assert.equal(label(cut), '0-1:age');
    assert.equal(needsIntent(cut), true);
    assert.equal(batcher.cutIfOlderThanLimit(60_000), undefined, 'nothing open, nothing cut');
    assert.equal(needsIntent({ cutBy: 'rows' }), false);
    assert.equal(needsIntent({ cutBy: 'intent' }), false);
  });

  it('repeats a recorded age cut on re-delivery, then goes back to row cuts', () => {
    // First run: 20, 21 then an age cut (intent recorded: cut at 21), crash before the commit.
    const replay = new PartitionBatcher<number>('t', 0, LIMITS, 21);
    assert.deepEqual(
      feed(replay, [
        [20, 1],
        [21, 1],
        [22, 1],
        [23, 1],
        [24, 1],
      ]),
      ['20-21:intent', '22-24:rows'],
    );
  });

  it('honours an intent whose last record was compacted away', () => {
    const replay = new PartitionBatcher<number>('t', 0, LIMITS, 21);
    assert.deepEqual(
      feed(replay, [
        [20, 1],
        [23, 1],
        [24, 1],
        [25, 1],
      ]),
      ['20-20:intent', '23-25:rows'],
    );
  });

  it('cuts at once when the partition is read to its end, such a cut needs an intent, and a re-delivery repeats it', () => {
    const batcher = new PartitionBatcher<number>('t', 0, LIMITS);
    assert.equal(batcher.cutIfCaughtUp(0), undefined, 'nothing open, nothing cut');
    batcher.add(0, 1, 0, 1_000);
    batcher.add(1, 1, 1, 1_000);
    const cut = batcher.cutIfCaughtUp(1_000);
    assert.ok(cut);
    assert.equal(label(cut), '0-1:caught-up');
    assert.equal(needsIntent(cut), true);
    // The intent recorded before the write (cut at 1) makes a re-read cut at the same place.
    assert.deepEqual(
      feed(new PartitionBatcher<number>('t', 0, LIMITS, 1), [
        [0, 1],
        [1, 1],
        [2, 1],
      ]),
      ['0-1:intent'],
    );
  });

  it('spaces caught-up cuts like age cuts, so a trickle of records is still batched', () => {
    const batcher = new PartitionBatcher<number>('t', 0, LIMITS);
    batcher.add(0, 1, 0, 0);
    assert.ok(batcher.cutIfCaughtUp(0));
    batcher.add(1, 1, 1, 100);
    assert.equal(batcher.cutIfCaughtUp(100), undefined, 'a second end-of-partition cut within maxAgeMs waits');
    assert.equal(label(batcher.cutIfOlderThanLimit(5_100) as Batch<number>), '1-1:age');
    batcher.add(2, 1, 2, 6_000);
    assert.equal(batcher.cutIfCaughtUp(6_000), undefined, 'an age cut counts as well');
    batcher.add(3, 1, 3, 10_100);
    assert.equal(label(batcher.cutIfCaughtUp(10_100) as Batch<number>), '2-3:caught-up');
  });

  it('cutNow closes the open batch for shutdown', () => {
    const batcher = new PartitionBatcher<number>('t', 0, LIMITS);
    assert.equal(batcher.cutNow(), undefined);
    batcher.add(7, 1, 7, 0);
    const cut = batcher.cutNow();
    assert.ok(cut);
    assert.equal(label(cut), '7-7:shutdown');
    assert.deepEqual(cut.entries, [7]);
  });

  it('refuses offsets that do not increase and builds the dedup token from the range', () => {
    const batcher = new PartitionBatcher<number>('bookeo.bookings', 2, LIMITS);
    batcher.add(5, 1, 5, 0);
    assert.throws(() => batcher.add(5, 1, 5, 0), RangeError);
    assert.equal(
      dedupToken({ topic: 'bookeo.bookings', partition: 2, firstOffset: 5, lastOffset: 9 }),
      'bookeo.bookings-2-5-9',
    );
  });
});
