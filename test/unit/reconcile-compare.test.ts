import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compare, type CompareInput } from '../../reconcile/compare.js';

const input = (overrides: Partial<CompareInput>): CompareInput => ({
  bookeo: new Map(),
  topic: new Map(),
  table: new Map(),
  committed: new Map([[0, 100]]),
  graceFrom: 1_000,
  ...overrides,
});

describe('reconcile: compare Bookeo, topic and table', () => {
  it('finds nothing when all three agree', () => {
    const result = compare(
      input({
        bookeo: new Map([['a', { hash: 'h1', at: 10 }]]),
        topic: new Map([['a', { partition: 0, offset: 5, hash: 'h1' }]]),
        table: new Map([['a', 5]]),
      }),
    );
    assert.deepEqual(result, { bookeo: 1, topic: 1, table: 1, inFlight: 0, differences: [] });
  });

  it('names missing, stale and extra entities in the topic', () => {
    const result = compare(
      input({
        bookeo: new Map([
          ['new', { hash: 'h', at: 10 }],
          ['changed', { hash: 'h2', at: 10 }],
          ['deleted-then-back', { hash: 'h', at: undefined }],
        ]),
        topic: new Map([
          ['changed', { partition: 0, offset: 1, hash: 'h1' }],
          ['deleted-then-back', { partition: 0, offset: 2, hash: null }],
          ['gone', { partition: 0, offset: 3, hash: 'h' }],
        ]),
        table: undefined,
      }),
    );
    assert.deepEqual(result.differences, [
      { layer: 'topic', kind: 'missing', id: 'new' },
      { layer: 'topic', kind: 'stale', id: 'changed' },
      { layer: 'topic', kind: 'missing', id: 'deleted-then-back' },
      { layer: 'topic', kind: 'extra', id: 'gone' },
    ]);
  });

  it('counts changes newer than the grace bound as in flight, not as differences', () => {
    const result = compare(
      input({
        bookeo: new Map([['fresh', { hash: 'h2', at: 2_000 }]]),
        topic: new Map([['fresh', { partition: 0, offset: 1, hash: 'h1' }]]),
        table: new Map([['fresh', 1]]),
      }),
    );
    assert.deepEqual(result.differences, []);
    assert.equal(result.inFlight, 1);
  });

  it('judges the table only up to what the sink committed', () => {
    const result = compare(
      input({
        bookeo: undefined,
        topic: new Map([
          ['written', { partition: 0, offset: 10, hash: 'h' }],
          ['lost', { partition: 0, offset: 11, hash: 'h' }],
          ['old-version', { partition: 0, offset: 12, hash: 'h' }],
          ['deleted', { partition: 0, offset: 13, hash: null }],
          ['not-yet-committed', { partition: 0, offset: 150, hash: 'h' }],
          ['other-partition', { partition: 1, offset: 0, hash: 'h' }],
        ]),
        table: new Map([
          ['written', 10],
          ['old-version', 4],
          ['deleted', 8],
          ['stray', 3],
        ]),
      }),
    );
    assert.deepEqual(result.differences, [
      { layer: 'table', kind: 'missing', id: 'lost' },
      { layer: 'table', kind: 'stale', id: 'old-version' },
      { layer: 'table', kind: 'extra', id: 'deleted' },
      { layer: 'table', kind: 'extra', id: 'stray' },
    ]);
    assert.equal(result.inFlight, 2, 'offset 150 is beyond the commit, partition 1 has no commit yet');
  });
});
