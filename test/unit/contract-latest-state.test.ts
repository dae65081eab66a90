import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RECORD_HEADER } from '../../contract/headers.js';
import { DELETED, idempotencyKey } from '../../contract/idempotency-key.js';
import { createLatestStateBuilder } from '../../contract/latest-state.js';

const record = (account: string, id: string, version: string, offset: number) => ({
  headers: {
    [RECORD_HEADER.idempotencyKey]: Buffer.from(idempotencyKey({ account, resource: 'customers', id, version })),
  },
  value: version === DELETED ? null : Buffer.from('avro'),
  offset: String(offset),
});

describe('contract: latest state of a topic', () => {
  it('keeps the last record of each key per account, a tombstone as a null hash', () => {
    const builder = createLatestStateBuilder();
    builder.add(record('acme', 'C1', 'h1', 0), 0);
    builder.add(record('acme', 'C1', 'h2', 1), 0);
    builder.add(record('acme', 'C2', 'h1', 0), 1);
    builder.add(record('acme', 'C2', DELETED, 1), 1);
    builder.add(record('other', 'C1', 'h9', 2), 0);
    const { accounts, unattributed } = builder.state();
    assert.deepEqual(
      accounts.get('acme'),
      new Map([
        ['C1', { partition: 0, offset: 1, hash: 'h2' }],
        ['C2', { partition: 1, offset: 1, hash: null }],
      ]),
    );
    assert.deepEqual(accounts.get('other'), new Map([['C1', { partition: 0, offset: 2, hash: 'h9' }]]));
    assert.equal(unattributed, 0);
  });

  it('counts records without a readable idempotency key instead of attributing them', () => {
    const builder = createLatestStateBuilder();
    builder.add({ headers: {}, value: Buffer.from('x'), offset: '0' }, 0);
    builder.add({ headers: { [RECORD_HEADER.idempotencyKey]: 'not a key' }, value: Buffer.from('x'), offset: '1' }, 0);
    builder.add({ value: null, offset: '2' }, 0);
    assert.deepEqual(builder.state(), { accounts: new Map(), unattributed: 3 });
  });
});
