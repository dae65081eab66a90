import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resourceByName } from '../../bookeo/catalog/catalog.js';
import { planSnapshot } from '../../connector/source/snapshot-plan.js';
import {
  canonicalJson,
  contentHash,
  diffIncrement,
  diffSnapshot,
  groupByParent,
} from '../../connector/source/snapshot-diff.js';

type Item = { id: string; name: string; tags?: string[] };
const idOf = (item: Item): string => item.id;

describe('content hash', () => {
  it('is stable under key order, drops undefined like JSON, keeps array order', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [2, 1], c: undefined } }), '{"a":{"d":[2,1]},"b":1}');
    assert.equal(contentHash({ x: 1, y: 2 }), contentHash({ y: 2, x: 1 }));
    assert.notEqual(contentHash({ d: [1, 2] }), contentHash({ d: [2, 1] }));
    // A fixed value, so state rebuilt from the topic by another version still matches.
    assert.equal(contentHash({ id: '1' }), '83c5c7d03ba6e4232c238ddac7ad49ddafd08394');
  });
});

describe('diffSnapshot', () => {
  it('finds new, changed and deleted entities and counts unchanged ones', () => {
    const previous = new Map([
      ['1', contentHash({ id: '1', name: 'a' })],
      ['2', contentHash({ id: '2', name: 'b' })],
      ['3', contentHash({ id: '3', name: 'c' })],
    ]);
    const listing: Item[] = [
      { id: '1', name: 'a' },
      { id: '2', name: 'B' },
      { id: '4', name: 'd' },
    ];
    const diff = diffSnapshot(previous, listing, idOf);
    assert.deepEqual(
      diff.upserts.map((entry) => entry.id),
      ['2', '4'],
    );
    assert.deepEqual(diff.deletedIds, ['3']);
    assert.equal(diff.unchanged, 1);
    assert.equal(diff.upserts[0]?.hash, contentHash({ id: '2', name: 'B' }));
  });

  it('yields a repeated id once with its last content', () => {
    const diff = diffSnapshot(
      new Map(),
      [
        { id: '1', name: 'a' },
        { id: '1', name: 'b' },
      ],
      idOf,
    );
    assert.deepEqual(
      diff.upserts.map((entry) => entry.item.name),
      ['b'],
    );
  });

  it('an empty listing deletes everything; an increment never deletes', () => {
    const previous = new Map([['1', 'h']]);
    assert.deepEqual(diffSnapshot(previous, [], idOf).deletedIds, ['1']);
    const increment = diffIncrement(previous, [{ id: '2', name: 'x' }], idOf);
    assert.deepEqual(
      increment.upserts.map((entry) => entry.id),
      ['2'],
    );
    assert.equal('deletedIds' in increment, false);
  });

  it('groups child state by parent so one parent diff finds its removed children', () => {
    const groups = groupByParent(
      new Map([
        ['C1/P1', 'h1'],
        ['C1/P2', 'h2'],
        ['C2/P3', 'h3'],
        ['orphan', 'h4'],
      ]),
    );
    assert.deepEqual([...groups.keys()], ['C1', 'C2']);
    const diff = diffSnapshot(groups.get('C1') ?? new Map(), [{ id: 'C1/P1', name: 'x' }], idOf);
    assert.deepEqual(diff.deletedIds, ['C1/P2']);
  });
});

describe('planSnapshot', () => {
  const customers = resourceByName('customers');
  const languages = resourceByName('settings_languages');
  const base = { now: 10_000, snapshotIntervalSeconds: 3600, safetyLagSeconds: 60, lookbackSeconds: 300 };

  it('lists fully the first time and after the interval', () => {
    assert.deepEqual(
      planSnapshot({ ...base, definition: customers, lastFullAt: undefined, createdCursor: undefined }),
      {
        kind: 'full',
        query: {},
        createdCursorAfter: 9940,
      },
    );
    assert.equal(
      planSnapshot({ ...base, definition: languages, lastFullAt: 10_000 - 3600, createdCursor: undefined }).kind,
      'full',
    );
  });

  it('pulls created-since between full listings, only where the definition has the filter', () => {
    const step = planSnapshot({ ...base, definition: customers, lastFullAt: 9000, createdCursor: 9500 });
    assert.deepEqual(step, {
      kind: 'createdSince',
      query: { createdSince: '1970-01-01T02:33:20Z' },
      since: 9200,
      createdCursorAfter: 9940,
    });
    assert.deepEqual(planSnapshot({ ...base, definition: languages, lastFullAt: 9000, createdCursor: 9500 }), {
      kind: 'none',
    });
  });

  it('refuses definitions that are not snapshots', () => {
    assert.throws(
      () =>
        planSnapshot({
          ...base,
          definition: resourceByName('bookings'),
          lastFullAt: undefined,
          createdCursor: undefined,
        }),
      RangeError,
    );
  });
});
