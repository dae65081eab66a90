import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CommitTracker, encodeIntent, parseIntent } from '../../sinks/runner/commit-tracker.js';

const batch = (firstOffset: number, lastOffset: number, partition = 0) => ({
  topic: 't',
  partition,
  firstOffset,
  lastOffset,
});

describe('sink commit tracker', () => {
  it('commits lastOffset + 1 of the newest batch whose predecessors are all settled', () => {
    const tracker = new CommitTracker();
    const a = tracker.track(batch(0, 9), 0);
    const b = tracker.track(batch(10, 19), 0);
    tracker.written(b);
    assert.deepEqual(tracker.pending(), [], 'b is written but a is not: nothing may move');
    tracker.written(a);
    assert.deepEqual(tracker.pending(), [{ topic: 't', partition: 0, offset: 20, metadata: null }]);
    tracker.committed(tracker.pending());
    assert.deepEqual(tracker.pending(), []);
    assert.equal(tracker.idle(), true);
  });

  it('waits for every dead letter of a batch, even when the rows are written', () => {
    const tracker = new CommitTracker();
    const a = tracker.track(batch(0, 4), 2);
    tracker.written(a);
    tracker.deadLettered(a);
    assert.deepEqual(tracker.pending(), []);
    tracker.deadLettered(a);
    assert.deepEqual(tracker.pending(), [{ topic: 't', partition: 0, offset: 5, metadata: null }]);
    assert.throws(() => tracker.deadLettered(a), RangeError);
  });

  it('a batch made only of dead letters still advances the position once they are acknowledged', () => {
    const tracker = new CommitTracker();
    const a = tracker.track(batch(3, 3), 1);
    tracker.deadLettered(a);
    assert.deepEqual(tracker.pending(), []);
    tracker.written(a); // no rows to write: the runner marks it written at once
    assert.equal(tracker.pending()[0]?.offset, 4);
  });

  it('keeps partitions independent', () => {
    const tracker = new CommitTracker();
    const p0 = tracker.track(batch(0, 9, 0), 0);
    tracker.track(batch(0, 9, 1), 0);
    tracker.written(p0);
    assert.deepEqual(
      tracker.pending().map((p) => `${p.partition}@${p.offset}`),
      ['0@10'],
    );
  });

  it('records an intent on the first offset of the oldest open batch only', () => {
    const tracker = new CommitTracker();
    const a = tracker.track(batch(0, 9), 0);
    const b = tracker.track(batch(10, 12), 0);
    assert.throws(() => tracker.intent(b), RangeError, 'a is unsettled: committing 10 would skip it');
    tracker.written(a);
    tracker.committed(tracker.pending());
    tracker.intent(b);
    assert.deepEqual(tracker.pending(), [{ topic: 't', partition: 0, offset: 10, metadata: encodeIntent(12) }]);
    tracker.committed(tracker.pending());
    tracker.written(b);
    assert.deepEqual(
      tracker.pending(),
      [{ topic: 't', partition: 0, offset: 13, metadata: null }],
      'the real commit clears the intent',
    );
  });

  it('parses only its own intents that still lie ahead of the committed offset', () => {
    assert.equal(parseIntent(encodeIntent(12), 10), 12);
    assert.equal(parseIntent(encodeIntent(12), 13), undefined);
    assert.equal(parseIntent('', 10), undefined);
    assert.equal(parseIntent(null, 10), undefined);
    assert.equal(parseIntent('someone else', 10), undefined);
  });

  it('refuses overlapping batches and ignores tickets forgotten by a rebalance', () => {
    const tracker = new CommitTracker();
    const old = tracker.track(batch(0, 9), 0);
    assert.throws(() => tracker.track(batch(5, 12), 0), RangeError);
    tracker.forget();
    const fresh = tracker.track(batch(0, 9), 0);
    tracker.written(old);
    assert.deepEqual(tracker.pending(), [], 'a stale ticket does not settle the new generation');
    tracker.written(fresh);
    assert.equal(tracker.pending()[0]?.offset, 10);
  });
});
