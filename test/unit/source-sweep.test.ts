/**
 * The sweep of a windowed resource, with in-memory fakes of its Bookeo client and Kafka writer:
 * it republishes what changed within the range the windows already covered, and leaves to the
 * windows what changed after their cursor (Bookeo's pages past the first show an entity as it is
 * now, so a sweep meets bookings edited while it runs; published by both, one version would be
 * published twice).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateConfig } from '../../common/config/load.js';
import { createLogger } from '../../common/logger.js';
import { createMetricsRegistry } from '../../common/metrics.js';
import type { BookeoAccountClient } from '../../bookeo/client.js';
import { paginate } from '../../bookeo/pagination.js';
import { createRateBudget } from '../../bookeo/rate-budget.js';
import { resourceByName } from '../../bookeo/catalog/catalog.js';
import { contentHash } from '../../bookeo/catalog/content-hash.js';
import { formatBookeoTime } from '../../bookeo/catalog/windows.js';
import type { OutgoingRecord } from '../../kafka/records.js';
import { createCommitter } from '../../connector/source/committer.js';
import { createSourceMetrics } from '../../connector/source/metrics.js';
import { createRecordFactory } from '../../connector/source/record-factory.js';
import { RECORD_HEADER } from '../../contract/headers.js';
import { StatusBoard } from '../../connector/source/status.js';
import type { StreamContext } from '../../connector/source/stream-context.js';
import { sweepIfDue, sweepPartition } from '../../connector/source/windowed-sweep.js';
import { jsonSerializer, memoryOffsets } from '../helpers/source-fakes.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const CURSOR = NOW / 1000 - 60;

function booking(number: string, changedAt: number, title: string): Record<string, unknown> {
  return {
    bookingNumber: number,
    title,
    creationTime: formatBookeoTime(CURSOR - 86_400),
    lastChangeTime: formatBookeoTime(changedAt),
  };
}

/** Every window of the sweep lists the same bookings, as Bookeo renders them now. */
function sweepOver(bookings: Array<Record<string, unknown>>, published: Map<string, string>) {
  const written: OutgoingRecord[] = [];
  const offsets = memoryOffsets();
  offsets.applied([
    { partition: 'bookings', offset: { cursor: CURSOR, seen: '' } },
    { partition: sweepPartition('bookings'), offset: { lastSweepAt: NOW / 1000 - 3_600 } },
  ]);
  const client: BookeoAccountClient = {
    accountId: 'acme',
    budget: createRateBudget({ requestsPerSecond: 1000, maxConcurrency: 4 }),
    getJson: () => Promise.reject(new Error('no booking vanished')),
    list: (request, options = {}) =>
      paginate(
        async () => ({
          info: { totalItems: bookings.length, totalPages: 1, currentPage: 1, pageNavigationToken: undefined },
          data: bookings.map((item) => ({ ...item })),
        }),
        request.query ?? {},
        { prefetch: 0, ...options },
      ),
  };
  const status = new StatusBoard();
  status.task('acme', ['bookings']);
  const context: StreamContext = {
    account: 'acme',
    definition: resourceByName('bookings'),
    client,
    factory: createRecordFactory({
      account: 'acme',
      resource: 'bookings',
      serializer: jsonSerializer('t.bookings'),
      deadLetterTopic: 't.dlq',
    }),
    committer: createCommitter({ commit: async (records) => (written.push(...records), { latencyMs: 0 }) }, offsets),
    offsets,
    settings: validateConfig({ source: { backfillFrom: '2026-05-20', sweepIntervalSeconds: 60 } }).source,
    now: () => NOW,
    status,
    metrics: createSourceMetrics(createMetricsRegistry('sweeptest_')),
    logger: createLogger({ level: 'silent', format: 'json' }),
    signal: new AbortController().signal,
  };
  return {
    run: () => sweepIfDue(context, () => Promise.resolve(published)),
    publishedIds: () =>
      written
        .filter((record) => record.topic === 't.bookings')
        .map((record) => String(record.headers?.[RECORD_HEADER.idempotencyKey]).split('/')[2]?.split('@')[0]),
  };
}

describe('sweep of a windowed resource', () => {
  it('republishes a booking changed within the covered range, and leaves one changed after the cursor to the windows', async () => {
    const before = booking('B1', CURSOR - 600, 'before');
    const changedBefore = booking('B1', CURSOR - 300, 'renamed within the range');
    const changedAfter = booking('B2', CURSOR + 30, 'edited while the sweep ran');
    const published = new Map([
      ['B1', contentHash(before)],
      ['B2', contentHash(booking('B2', CURSOR - 900, 'as the windows last saw it'))],
    ]);
    const sweep = sweepOver([changedBefore, changedAfter], published);
    await sweep.run();
    assert.deepEqual(sweep.publishedIds(), ['B1']);
  });
});
