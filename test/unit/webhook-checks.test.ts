/**
 * The webhook receiver's pure parts: the signature (a vector computed here with node:crypto, hex in
 * either case, a changed byte anywhere refused), the path of an account under the public URL, each
 * request check in its order (signature before JSON, timestamp against the given clock, domain and
 * type from the query), group commit (what arrives during a batch goes out as the next one) and the
 * publication ledger (a version published by a webhook is not published again by a poll, an older
 * read never replaces a newer one, polls among themselves are left alone), also inside the committer.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { accountUrl, registeredUrl } from '../../connector/source/webhooks/delivery.js';
import { createGroupCommit } from '../../connector/source/webhooks/group-commit.js';
import { accountOfPath, checkDelivery } from '../../connector/source/webhooks/request-checks.js';
import { signatureMatches, webhookSignature } from '../../connector/source/webhooks/signature.js';
import { createCommitter } from '../../connector/source/committer.js';
import { createPublicationLedger } from '../../connector/source/publication-ledger.js';
import type { OutgoingRecord } from '../../kafka/records.js';
import { memoryOffsets } from '../helpers/source-fakes.js';

const SECRET = 'sk-unit-SECRET-0123';
const PUBLIC_URL = 'https://hooks.example.net/bookeo/';
const NOW = 1_760_000_000_000;

function signed(options: { search?: string; body?: string; timestamp?: number; secret?: string } = {}) {
  const search = options.search ?? '?domain=bookings&type=updated';
  const body = Buffer.from(options.body ?? JSON.stringify({ itemId: '1234' }));
  const timestamp = String(options.timestamp ?? NOW);
  const messageId = '5f0c8a1e-2b7d-4c39-9e64-0d2f6a9b7c11';
  const url = `https://hooks.example.net/bookeo/acme${search}`;
  const signature = createHmac('sha256', options.secret ?? SECRET)
    .update(timestamp + messageId + url)
    .update(body)
    .digest('hex');
  return {
    request: {
      account: 'acme',
      search,
      body,
      headers: {
        'x-bookeo-timestamp': timestamp,
        'x-bookeo-messageid': messageId,
        'x-bookeo-signature': signature,
      } as Record<string, string>,
    },
    settings: { publicUrl: PUBLIC_URL, secretKey: SECRET, now: NOW, skewSeconds: 120 },
  };
}

describe('webhook signature', () => {
  it('matches an HMAC-SHA256 computed independently, in either hex case, and nothing else', () => {
    const parts = {
      timestamp: '1700000000000',
      messageId: 'm-1',
      url: 'https://x.test/a?b=c',
      body: Buffer.from('{"a":1}'),
    };
    const vector = createHmac('sha256', SECRET).update('1700000000000m-1https://x.test/a?b=c{"a":1}').digest('hex');
    assert.equal(webhookSignature(SECRET, parts), vector);
    assert.ok(signatureMatches(SECRET, parts, vector));
    assert.ok(signatureMatches(SECRET, parts, vector.toUpperCase()));
    assert.ok(!signatureMatches(SECRET, { ...parts, body: Buffer.from('{"a":2}') }, vector));
    assert.ok(!signatureMatches(SECRET, { ...parts, url: 'https://x.test/a?b=d' }, vector));
    assert.ok(!signatureMatches('another-secret', parts, vector));
    assert.ok(!signatureMatches(SECRET, parts, vector.slice(2)));
    assert.ok(!signatureMatches(SECRET, parts, `zz${vector.slice(2)}`));
    assert.ok(!signatureMatches(SECRET, parts, ''));
  });
});

describe('webhook paths and URLs', () => {
  it('addresses one path per account under the public URL path, and the registered URL is the one signed', () => {
    assert.equal(accountOfPath(PUBLIC_URL, '/bookeo/acme'), 'acme');
    assert.equal(accountOfPath('https://h.test', '/acme'), 'acme');
    assert.equal(accountOfPath(PUBLIC_URL, '/other/acme'), undefined);
    assert.equal(accountOfPath(PUBLIC_URL, '/bookeo/'), undefined);
    assert.equal(accountOfPath(PUBLIC_URL, '/bookeo/acme/x'), undefined);
    assert.equal(accountUrl(PUBLIC_URL, 'acme'), 'https://hooks.example.net/bookeo/acme');
    assert.equal(
      registeredUrl(PUBLIC_URL, 'acme', 'customers', 'deleted'),
      'https://hooks.example.net/bookeo/acme?domain=customers&type=deleted',
    );
  });
});

describe('webhook request checks', () => {
  it('accepts a signed, fresh delivery with domain and type from the query', () => {
    const { request, settings } = signed();
    const check = checkDelivery(
      { ...request, headers: { ...request.headers, 'x-bookeo-previousmessagelost': 'true' } },
      settings,
    );
    assert.ok(check.ok);
    assert.deepEqual(check.delivery, {
      account: 'acme',
      domain: 'bookings',
      type: 'updated',
      itemId: '1234',
      messageId: '5f0c8a1e-2b7d-4c39-9e64-0d2f6a9b7c11',
      previousMessageLost: true,
    });
  });

  it('takes domain and type from the body when the URL has no query', () => {
    const { request, settings } = signed({
      search: '',
      body: JSON.stringify({ domain: 'payments', type: 'created', itemId: 'P1' }),
    });
    const check = checkDelivery(request, settings);
    assert.ok(check.ok && check.delivery.domain === 'payments' && check.delivery.itemId === 'P1');
  });

  it("keeps the body's item when it is a JSON object, and only then", () => {
    const item = { id: 'P1', amount: { amount: '4.00', currency: 'EUR' } };
    const kept = signed({ search: '?domain=payments&type=created', body: JSON.stringify({ itemId: 'P1', item }) });
    const check = checkDelivery(kept.request, kept.settings);
    assert.ok(check.ok);
    assert.deepEqual(check.delivery.item, item);
    for (const other of [null, 'P1', [item]]) {
      const { request, settings } = signed({ body: JSON.stringify({ itemId: 'P1', item: other }) });
      const result = checkDelivery(request, settings);
      assert.ok(result.ok && !('item' in result.delivery), `item ${JSON.stringify(other)} left out`);
    }
  });

  it('refuses missing or wrong signatures (401) before reading the body', () => {
    const { request, settings } = signed({ body: 'not json' });
    const missing = checkDelivery(
      { ...request, headers: { ...request.headers, 'x-bookeo-signature': undefined as unknown as string } },
      settings,
    );
    assert.deepEqual(
      [missing.ok, !missing.ok && missing.status, !missing.ok && missing.outcome],
      [false, 401, 'bad_signature'],
    );
    const wrongKey = signed({ secret: 'not-the-secret' });
    const refused = checkDelivery(wrongKey.request, settings);
    assert.ok(!refused.ok && refused.status === 401 && refused.outcome === 'bad_signature');
    assert.ok(!refused.ok && !refused.reason.includes(SECRET));
    // The query is part of what is signed: another webhook's query does not pass.
    const moved = checkDelivery({ ...request, search: '?domain=bookings&type=deleted' }, settings);
    assert.ok(!moved.ok && moved.outcome === 'bad_signature');
  });

  it('refuses a timestamp outside the skew of the given clock (401), and takes one inside it', () => {
    const stale = signed({ timestamp: NOW - 121_000 });
    const check = checkDelivery(stale.request, stale.settings);
    assert.ok(!check.ok && check.status === 401 && check.outcome === 'stale_timestamp');
    const future = signed({ timestamp: NOW + 121_000 });
    assert.ok(!checkDelivery(future.request, future.settings).ok);
    const inside = signed({ timestamp: NOW - 119_000 });
    assert.ok(checkDelivery(inside.request, inside.settings).ok);
  });

  it('refuses bad JSON (400) and bodies without an item or with an unknown domain (400)', () => {
    for (const [body, outcome] of [
      ['{"itemId":', 'bad_json'],
      ['[1,2]', 'bad_json'],
      ['{}', 'bad_request'],
    ] as const) {
      const { request, settings } = signed({ body });
      const check = checkDelivery(request, settings);
      assert.ok(!check.ok && check.status === 400 && check.outcome === outcome, body);
    }
    const unknown = signed({ search: '?domain=seatblocks&type=created' });
    const check = checkDelivery(unknown.request, unknown.settings);
    assert.ok(!check.ok && check.outcome === 'bad_request');
  });
});

describe('group commit', () => {
  it('sends what arrives during a batch as the next batch, each item settling with its own outcome', async () => {
    const batches: number[][] = [];
    let release: () => void = () => undefined;
    const first = new Promise<void>((resolve) => (release = resolve));
    const group = createGroupCommit<number, string>(async (items) => {
      batches.push([...items]);
      if (batches.length === 1) await first;
      return new Map(items.map((item) => [item, item === 3 ? new Error('three failed') : `done ${item}`]));
    });
    const one = group.submit(1);
    const others = [group.submit(2), group.submit(3), group.submit(4)];
    release();
    assert.equal(await one, 'done 1');
    const settled = await Promise.allSettled(others);
    assert.deepEqual(batches, [[1], [2, 3, 4]]);
    assert.deepEqual(
      settled.map((result) => (result.status === 'fulfilled' ? result.value : (result.reason as Error).message)),
      ['done 2', 'three failed', 'done 4'],
    );
    assert.equal(await group.submit(5), 'done 5');
  });
});

describe('publication ledger', () => {
  const record = (id: string, version: string): OutgoingRecord => ({
    topic: 't',
    key: id,
    value: version,
    headers: { 'bookeo.idempotency-key': `acme/bookings/${id}@${version}` },
  });

  it('leaves out a version a webhook published, and an older read than a webhook published', () => {
    const ledger = createPublicationLedger();
    const webhookStep = { records: [record('1', 'h2')], readAt: 100, webhook: true };
    ledger.remember(webhookStep, webhookStep.records);
    const same = ledger.filter({ records: [record('1', 'h2')], readAt: 200 });
    assert.equal(same.kept.length, 0);
    assert.equal(same.duplicate.size, 1);
    const older = ledger.filter({ records: [record('1', 'h1'), record('2', 'h1')], readAt: 50 });
    assert.deepEqual(
      older.kept.map((kept) => kept.key),
      ['2'],
    );
    assert.equal(older.stale.size, 1);
    assert.equal(ledger.filter({ records: [record('1', 'h3')], readAt: 150 }).kept.length, 1);
  });

  it('leaves out a webhook read older than what a poll published, and leaves polls among themselves alone', () => {
    const ledger = createPublicationLedger();
    const poll = { records: [record('1', 'h2')], readAt: 300 };
    ledger.remember(poll, poll.records);
    assert.equal(ledger.filter({ records: [record('1', 'h1')], readAt: 200, webhook: true }).stale.size, 1);
    assert.equal(ledger.filter({ records: [record('1', 'h2')], readAt: 400, webhook: true }).duplicate.size, 1);
    assert.equal(ledger.filter({ records: [record('1', 'h2')], readAt: 100 }).kept.length, 1);
  });

  it('applies in the committer: a poll that read before a delivery committed leaves the entity out, a replayed delivery writes no transaction', async () => {
    const transactions: Array<readonly OutgoingRecord[]> = [];
    const committer = createCommitter(
      {
        async commit(records) {
          transactions.push(records);
          return { latencyMs: 0 };
        },
      },
      memoryOffsets(),
      undefined,
      createPublicationLedger(),
    );
    await committer.commit({ records: [record('1', 'h2')], offsets: [], readAt: 200, webhook: true });
    const poll = await committer.commit({
      records: [record('1', 'h1'), record('2', 'h1')],
      offsets: [{ partition: 'bookings', offset: { cursor: 1 } }],
      readAt: 100,
    });
    assert.equal(poll.stale.size, 1);
    const replay = await committer.commit({ records: [record('1', 'h2')], offsets: [], readAt: 300, webhook: true });
    assert.equal(replay.duplicate.size, 1);
    assert.deepEqual(
      transactions.map((records) => records.map((written) => `${written.key}@${String(written.value)}`)),
      [['1@h2'], ['2@h1', 'bookings@{"cursor":1}']],
    );
  });

  it('forgets entries after the retention', () => {
    let clock = 0;
    const ledger = createPublicationLedger({ retainMs: 1000, clock: () => clock });
    const step = { records: [record('1', 'h1')], readAt: 10, webhook: true };
    ledger.remember(step, step.records);
    clock = 2000;
    ledger.remember({ records: [record('2', 'h1')] }, [record('2', 'h1')]);
    assert.equal(ledger.filter({ records: [record('1', 'h1')], readAt: 20 }).kept.length, 1);
  });
});
