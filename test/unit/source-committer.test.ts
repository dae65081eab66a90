/**
 * The source's committer and its `basedOn` rule, with an in-memory transactional writer and offset
 * store: a step commits only while the offset it was computed from is still the very object in the
 * store, checked in turn (after the commits queued before it), so an operator request that replaced
 * the offset during a poll is never overwritten by that poll; a refused step writes nothing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SourceOffset } from '../../connector/source/offsets.js';
import type { OutgoingRecord } from '../../kafka/records.js';
import type { TransactionalWriter } from '../../kafka/transactional-writer.js';
import { createCommitter, OffsetReplacedError, type CommitStep } from '../../connector/source/committer.js';
import { memoryOffsets } from '../helpers/source-fakes.js';

const record = (key: string): OutgoingRecord => ({ topic: 't.bookings', key, value: key });

/** Transactions go through at once, or wait while `hold` is set. */
function memoryWriter() {
  const transactions: Array<readonly OutgoingRecord[]> = [];
  const state = { hold: undefined as Promise<void> | undefined, transactions };
  const writer: Pick<TransactionalWriter, 'commit'> = {
    async commit(records) {
      await state.hold;
      transactions.push(records);
      return { latencyMs: 0 };
    },
  };
  return { writer, state };
}

const step = (key: string, offset: SourceOffset, basedOn?: SourceOffset): CommitStep => ({
  records: [record(key)],
  offsets: [{ partition: 'bookings', offset }],
  ...(basedOn === undefined ? {} : { basedOn: { partition: 'bookings', offset: basedOn } }),
});

describe('source committer: basedOn', () => {
  it('commits a step based on the current offset, records and offset in one transaction, and moves the offset after it', async () => {
    const offsets = memoryOffsets();
    const { writer, state } = memoryWriter();
    const committer = createCommitter(writer, offsets);
    const read = offsets.get('bookings');
    await committer.commit(step('b1', { cursor: 10 }, read));
    assert.equal(state.transactions.length, 1);
    assert.deepEqual(
      state.transactions[0]?.map((r) => r.key),
      ['b1', 'bookings'],
    );
    assert.deepEqual(offsets.get('bookings'), { cursor: 10 });
  });

  it('refuses a step whose offset was replaced since it was read (an operator request), and writes nothing of it', async () => {
    const offsets = memoryOffsets();
    offsets.applied([{ partition: 'bookings', offset: { cursor: 10 } }]);
    const { writer, state } = memoryWriter();
    const committer = createCommitter(writer, offsets);
    const read = offsets.get('bookings');
    await committer.commit(step('request', { cursor: 0 }));
    await assert.rejects(committer.commit(step('poll', { cursor: 20 }, read)), OffsetReplacedError);
    assert.deepEqual(
      state.transactions.map((records) => records[0]?.key),
      ['request'],
    );
    assert.deepEqual(offsets.get('bookings'), { cursor: 0 }, 'the request stands');
  });

  it('checks in turn: a step queued behind the commit that replaces its offset is refused', async () => {
    const offsets = memoryOffsets();
    offsets.applied([{ partition: 'bookings', offset: { cursor: 10 } }]);
    const { writer, state } = memoryWriter();
    const committer = createCommitter(writer, offsets);
    const read = offsets.get('bookings');
    let release!: () => void;
    state.hold = new Promise<void>((resolve) => (release = resolve));
    const request = committer.commit(step('request', { cursor: 0 }));
    // Computed from the offset before the request landed, sent while the request is in flight.
    const poll = committer.commit(step('poll', { cursor: 20 }, read));
    release();
    await request;
    await assert.rejects(poll, OffsetReplacedError);
    assert.deepEqual(offsets.get('bookings'), { cursor: 0 });
  });

  it('compares the very object the step read, not an equal copy', async () => {
    const offsets = memoryOffsets();
    offsets.applied([{ partition: 'bookings', offset: { cursor: 10 } }]);
    const { writer } = memoryWriter();
    const committer = createCommitter(writer, offsets);
    // A request that rewrote the offset to the same value is still a request the poll must not overwrite.
    await committer.commit(step('request', { cursor: 10 }));
    await assert.rejects(committer.commit(step('poll', { cursor: 20 }, { cursor: 10 })), OffsetReplacedError);
  });
});
