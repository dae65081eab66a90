/**
 * Where the topic reader ends when its caller has just committed: a committed transaction becomes
 * visible to read_committed readers only once the coordinator has written its markers, which it
 * does after the commit returned; until then the last stable offset stays before it. The end is
 * taken once it has moved past, over an in-memory admin whose last stable offset moves late.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRetriable } from '../../common/errors.js';
import type { KafkaAdmin, PartitionRange } from '../../kafka/admin.js';
import { stableTopicOffsets, TransactionNotStableError } from '../../kafka/topic-reader.js';

/** Answers each topicOffsets call with the next of `answers` (the last one from then on). */
function admin(
  answers: ReadonlyArray<readonly PartitionRange[]>,
): Pick<KafkaAdmin, 'topicOffsets'> & { calls: number } {
  const fake = {
    calls: 0,
    topicOffsets: async () => [...(answers[Math.min(fake.calls++, answers.length - 1)] as readonly PartitionRange[])],
  };
  return fake;
}

const at = (...highs: number[]): PartitionRange[] => highs.map((high, partition) => ({ partition, low: 0, high }));

describe('topic reader: the end after the caller has committed', () => {
  it('takes the end at once when the caller committed nothing', async () => {
    const offsets = admin([at(5, 3)]);
    assert.deepEqual(await stableTopicOffsets(offsets, 't', new Map()), at(5, 3));
    assert.equal(offsets.calls, 1);
  });

  it('waits until the last stable offset has moved past every partition the caller committed into', async () => {
    // The caller's transaction holds offsets 5.. of partition 0 and 3.. of partition 1; its markers land late, one partition at a time.
    const offsets = admin([at(5, 3), at(9, 3), at(9, 6)]);
    assert.deepEqual(
      await stableTopicOffsets(
        offsets,
        't',
        new Map([
          [0, 5],
          [1, 3],
        ]),
      ),
      at(9, 6),
    );
    assert.equal(offsets.calls, 3);
  });

  it('gives up with a retriable error naming the partition when the markers do not come', async () => {
    const offsets = admin([at(5, 9)]);
    const failure = await stableTopicOffsets(
      offsets,
      't',
      new Map([
        [0, 5],
        [1, 2],
      ]),
      { policy: { retries: 3, initialDelayMs: 1, maxDelayMs: 1, multiplier: 1 } },
    ).then(
      () => assert.fail('resolved'),
      (error: unknown) => error,
    );
    assert.ok(failure instanceof TransactionNotStableError && isRetriable(failure), String(failure));
    assert.match(failure.message, /partitions 0\)/);
  });
});
