import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeSeen,
  encodeSeen,
  isNewOrChanged,
  lookbackHorizon,
  rememberEmitted,
} from '../../connector/source/dedupe.js';
import { planWindows } from '../../bookeo/catalog/windows.js';

describe('boundary dedupe', () => {
  it('treats unknown ids and new versions as new/changed, equal versions as unchanged', () => {
    const seen = new Map([['1', { version: 'h1', at: 100 }]]);
    assert.equal(isNewOrChanged(seen, '2', 'x'), true);
    assert.equal(isNewOrChanged(seen, '1', 'h2'), true);
    assert.equal(isNewOrChanged(seen, '1', 'h1'), false);
  });

  it('remembers only what the next look-back can re-read', () => {
    const cursor = 1000;
    const horizon = lookbackHorizon(cursor, 300);
    assert.equal(horizon, 701);
    const seen = rememberEmitted(
      new Map([
        ['old', { version: 'a', at: 500 }],
        ['keep', { version: 'b', at: 800 }],
      ]),
      [
        { id: 'new', version: 'c', at: 990 },
        { id: 'keep', version: 'b2', at: 950 },
        { id: 'moved-early', version: 'd', at: 100 },
      ],
      horizon,
    );
    assert.deepEqual([...seen.keys()].sort(), ['keep', 'new']);
    assert.equal(seen.get('keep')?.version, 'b2');
  });

  it('round-trips through a source offset string and survives garbage', () => {
    const seen = new Map([
      ['b', { version: 'h2', at: 2 }],
      ['a', { version: 'h1', at: 1 }],
    ]);
    const text = encodeSeen(seen);
    assert.equal(text, '[["a","h1",1],["b","h2",2]]');
    assert.deepEqual(decodeSeen(text), seen);
    assert.equal(decodeSeen('not json').size, 0);
    assert.equal(decodeSeen(undefined).size, 0);
    assert.equal(decodeSeen('[[1,2,3],["ok","v",5]]').size, 1);
  });

  it('emits an unchanged booking at the window boundary once across two polls', () => {
    // Poll 1 reads up to cursor 1000 and emits booking 7 (changed at 990).
    const lookback = 300;
    const emitted: string[] = [];
    let seen = new Map<string, { version: string; at: number }>();
    const bookeo = new Map([['7', { version: 'v1', at: 990 }]]);
    const poll = (cursor: number | undefined, now: number): number | undefined => {
      const windows = planWindows({
        cursor,
        backfillFrom: 0,
        now,
        safetyLagSeconds: 0,
        lookbackSeconds: lookback,
        maxWindowSeconds: 10_000,
      });
      if (windows.length === 0) return cursor;
      const batch: Array<{ id: string; version: string; at: number }> = [];
      for (const window of windows) {
        for (const [id, entity] of bookeo) {
          if (entity.at < window.start || entity.at > window.end) continue;
          if (!isNewOrChanged(seen, id, entity.version)) continue;
          emitted.push(`${id}:${entity.version}`);
          batch.push({ id, ...entity });
        }
      }
      const next = windows.at(-1)?.end ?? cursor;
      seen = rememberEmitted(seen, batch, lookbackHorizon(next ?? 0, lookback));
      return next;
    };
    let cursor = poll(undefined, 1000);
    cursor = poll(cursor, 1100); // re-reads 701..1000: booking 7 is unchanged, not re-emitted
    bookeo.set('7', { version: 'v2', at: 1050 });
    cursor = poll(cursor, 1200);
    cursor = poll(cursor, 1200); // nothing new: no window at all
    assert.equal(cursor, 1200);
    assert.deepEqual(emitted, ['7:v1', '7:v2']);
  });
});
