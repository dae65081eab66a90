/**
 * The snapshot stream (customers and their linked people) with in-memory fakes of its Bookeo
 * client, record factory and Kafka writer: a listing whose page token is refused mid-way reads
 * each parent's children once and publishes nothing twice; a parent changed across such a restart
 * is published again but its unchanged children are not; a listing outlives several tokens; a
 * parent whose children stay malformed costs only a dead letter, not the listing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateConfig } from '../../common/config/load.js';
import { createLogger } from '../../common/logger.js';
import { createMetricsRegistry } from '../../common/metrics.js';
import { createRateBudget } from '../../bookeo/rate-budget.js';
import type { BookeoAccountClient, ListRequest } from '../../bookeo/client.js';
import { MalformedResponseError, PageTokenError } from '../../bookeo/errors.js';
import { paginate, type Envelope, type FetchPageContext, type Query } from '../../bookeo/pagination.js';
import { resourceByName } from '../../bookeo/catalog/catalog.js';
import type { OutgoingRecord } from '../../kafka/records.js';
import { createCommitter } from '../../connector/source/committer.js';
import { createSourceMetrics } from '../../connector/source/metrics.js';
import { createRecordFactory } from '../../connector/source/record-factory.js';
import { DEAD_LETTER_HEADER } from '../../contract/dead-letter-headers.js';
import { RECORD_HEADER } from '../../contract/headers.js';
import { pollSnapshot, type ChildStream } from '../../connector/source/snapshot-stream.js';
import type { PublishedState } from '../../connector/source/snapshot-state.js';
import { StatusBoard } from '../../connector/source/status.js';
import type { StreamContext } from '../../connector/source/stream-context.js';
import { jsonSerializer, memoryOffsets } from '../helpers/source-fakes.js';

const PAGE_SIZE = 2;
const NOW = Date.parse('2026-06-01T00:00:00Z');

interface Customer {
  id: string;
  name: string;
}

/** A Bookeo account in memory: customers listed in pages with a token that can be refused, linked people per customer. */
function fakeBookeo(customers: Customer[], peopleOf: (customerId: string) => Array<Record<string, unknown>>) {
  let tokenVersion = 1;
  const childCalls = new Map<string, number>();
  const malformedParents = new Set<string>();
  let onPageServed: (page: number) => void = () => undefined;

  const fetchCustomers = async (query: Query, context: FetchPageContext): Promise<Envelope> => {
    await Promise.resolve();
    if (context.continuation && query.pageNavigationToken !== `token-${tokenVersion}`) {
      throw new PageTokenError({
        status: 400,
        endpoint: 'GET /customers',
        errorId: 'T',
        bookeoMessage: 'invalid or expired pageNavigationToken',
      });
    }
    const totalPages = Math.ceil(customers.length / PAGE_SIZE);
    const page = context.pageNumber;
    onPageServed(page);
    return {
      info: {
        totalItems: customers.length,
        totalPages,
        currentPage: page,
        pageNavigationToken: totalPages > 1 ? `token-${tokenVersion}` : undefined,
      },
      data: customers.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE).map((customer) => ({ ...customer })),
    };
  };

  const fetchPeople = (customerId: string) => async (): Promise<Envelope> => {
    await Promise.resolve();
    childCalls.set(customerId, (childCalls.get(customerId) ?? 0) + 1);
    if (malformedParents.has(customerId))
      throw new MalformedResponseError(
        `GET /customers/${customerId}/linkedpeople`,
        'body is not JSON (17 bytes) (still after 3 attempts)',
        false,
      );
    const data = peopleOf(customerId);
    return {
      info: {
        totalItems: data.length,
        totalPages: data.length === 0 ? 0 : 1,
        currentPage: 1,
        pageNavigationToken: undefined,
      },
      data,
    };
  };

  const client: BookeoAccountClient = {
    accountId: 'acme',
    budget: createRateBudget({ requestsPerSecond: 1000, maxConcurrency: 4 }),
    getJson: () => Promise.reject(new Error('not used')),
    list(request: ListRequest, options = {}) {
      const parent = /^\/customers\/([^/]+)\/linkedpeople$/.exec(request.path);
      const fetchPage = parent === null ? fetchCustomers : fetchPeople(decodeURIComponent(parent[1] as string));
      return paginate(fetchPage, request.query ?? {}, { prefetch: 0, ...options });
    },
  };
  return {
    client,
    childCalls,
    malformedParents,
    expireToken: () => void tokenVersion++,
    whenPageServed: (hook: (page: number) => void) => void (onPageServed = hook),
  };
}

/** The source's snapshot stream over a fake account, with what it wrote to "Kafka". */
function harness(bookeo: ReturnType<typeof fakeBookeo>) {
  const written: OutgoingRecord[] = [];
  const transactions: OutgoingRecord[][] = [];
  const offsets = memoryOffsets();
  const committer = createCommitter(
    {
      commit: async (records) => {
        transactions.push([...records]);
        written.push(...records);
        return { latencyMs: 0 };
      },
    },
    offsets,
  );
  const registry = createMetricsRegistry('snaptest_');
  const metrics = createSourceMetrics(registry);
  const status = new StatusBoard();
  status.task('acme', ['customers', 'customers_people']);
  const customersState: PublishedState = new Map();
  const child: ChildStream = {
    definition: resourceByName('customers_people'),
    factory: createRecordFactory({
      account: 'acme',
      resource: 'customers_people',
      serializer: jsonSerializer('t.customers_people'),
      deadLetterTopic: 't.dlq',
    }),
    state: new Map(),
  };
  const settings = validateConfig({ source: { snapshotIntervalSeconds: 60 } }).source;
  const context: StreamContext = {
    account: 'acme',
    definition: resourceByName('customers'),
    client: bookeo.client,
    factory: createRecordFactory({
      account: 'acme',
      resource: 'customers',
      serializer: jsonSerializer('t.customers'),
      deadLetterTopic: 't.dlq',
    }),
    committer,
    offsets,
    settings,
    now: () => NOW,
    status,
    metrics,
    logger: createLogger({ level: 'silent', format: 'json' }),
    signal: new AbortController().signal,
  };
  const idempotencyKeys = (topic: string): string[] =>
    written
      .filter((record) => record.topic === topic)
      .map((record) => String(record.headers?.[RECORD_HEADER.idempotencyKey]));
  return {
    written,
    transactions,
    registry,
    customersState,
    child,
    /** One full listing (the offset forgets the previous one first). */
    fullListing: async (): Promise<void> => {
      offsets.applied([{ partition: 'customers', offset: null }]);
      await pollSnapshot(context, customersState, child);
    },
    idempotencyKeys,
    repeated: (topic: string): string[] =>
      idempotencyKeys(topic).filter((key, index, all) => all.indexOf(key) !== index),
  };
}

const customers = (count: number): Customer[] =>
  Array.from({ length: count }, (_, index) => ({ id: `C${index + 1}`, name: `customer ${index + 1}` }));
const twoPeople = (customerId: string): Array<Record<string, unknown>> => [
  { id: 'P1', firstName: `first of ${customerId}` },
  { id: 'P2', firstName: `second of ${customerId}` },
];

describe('snapshot stream: page tokens refused mid-listing', () => {
  it("reads each parent's children once and publishes no version twice, parents or children", async () => {
    const bookeo = fakeBookeo(customers(8), twoPeople);
    const run = harness(bookeo);
    // The token is refused twice while the listing is at page 3: the restarts fetch pages 1-2 again.
    let refusals = 0;
    bookeo.whenPageServed((page) => {
      if (page === 3 && refusals < 2) {
        refusals++;
        bookeo.expireToken();
      }
    });
    await run.fullListing();
    assert.equal(refusals, 2);
    assert.deepEqual([...bookeo.childCalls.values()], Array(8).fill(1), "each customer's linked people were read once");
    assert.deepEqual(run.repeated('t.customers'), []);
    assert.deepEqual(run.repeated('t.customers_people'), []);
    assert.equal(run.idempotencyKeys('t.customers').length, 8);
    assert.equal(run.idempotencyKeys('t.customers_people').length, 16);
    assert.ok(
      !run.written.some((record) => record.value === null),
      'nothing is tombstoned: the ids skipped after a restart still count as listed',
    );
  });

  it('publishes a parent changed across a restart again, and not its unchanged children', async () => {
    const data = customers(6);
    const bookeo = fakeBookeo(data, twoPeople);
    const run = harness(bookeo);
    let refused = false;
    bookeo.whenPageServed((page) => {
      if (page === 2 && !refused) {
        refused = true;
        // C1 (on page 1, already handled) changes, then the token is refused: the restart hands C1 over again.
        (data[0] as Customer).name = 'renamed';
        bookeo.expireToken();
      }
    });
    await run.fullListing();
    assert.ok(refused);
    assert.equal(
      run.idempotencyKeys('t.customers').filter((key) => key.startsWith('acme/customers/C1@')).length,
      2,
      'C1: its first and its changed version',
    );
    assert.equal(bookeo.childCalls.get('C1'), 2, "C1's children were read again, as for any changed parent");
    assert.deepEqual(run.repeated('t.customers_people'), [], "C1's unchanged children compared as unchanged");
  });

  it('completes a listing that outlives more tokens than maxRestarts, as long as each restart gets further', async () => {
    const bookeo = fakeBookeo(customers(12), twoPeople);
    const run = harness(bookeo);
    const refusedAt = new Set<number>();
    // One refusal at each of pages 2..6: five restarts, each after a page more than the last.
    bookeo.whenPageServed((page) => {
      if (page >= 2 && !refusedAt.has(page)) {
        refusedAt.add(page);
        bookeo.expireToken();
      }
    });
    await run.fullListing();
    assert.equal(refusedAt.size, 5);
    assert.equal(run.idempotencyKeys('t.customers').length, 12);
    assert.deepEqual([...bookeo.childCalls.values()], Array(12).fill(1));
  });
});

describe('snapshot stream: children that stay malformed', () => {
  it('dead-letters that parent in the same transaction, keeps its children, and the next listing reads them again', async () => {
    const bookeo = fakeBookeo(customers(4), twoPeople);
    const run = harness(bookeo);
    await run.fullListing();
    const published = new Map(run.child.state);
    assert.equal(published.size, 8);

    bookeo.malformedParents.add('C2');
    run.written.length = 0;
    run.transactions.length = 0;
    run.customersState.clear(); // every customer is new again: the listing publishes them all and reads all their children
    run.child.state.clear();
    for (const [id, hash] of published) run.child.state.set(id, hash);
    await run.fullListing();

    const dead = run.written.filter((record) => record.topic === 't.dlq');
    assert.equal(dead.length, 1);
    const letter = dead[0] as OutgoingRecord;
    assert.equal(letter.key, 'acme/customers_people/C2/*');
    assert.match(
      String(letter.headers?.[DEAD_LETTER_HEADER.errorMessage]),
      /malformed Bookeo response from GET \/customers\/C2\/linkedpeople: body is not JSON/,
    );
    assert.equal(letter.headers?.[DEAD_LETTER_HEADER.errorClass], 'MalformedResponseError');
    assert.equal(letter.headers?.[DEAD_LETTER_HEADER.topic], 't.customers_people');
    const letterTransaction = run.transactions.find((records) => records.includes(letter)) ?? [];
    assert.ok(
      letterTransaction.some(
        (record) =>
          record.topic === 't.customers' &&
          record.headers?.[RECORD_HEADER.idempotencyKey]?.startsWith('acme/customers/C2@'),
      ),
      'in the transaction of its parent',
    );
    assert.ok(!run.written.some((record) => record.value === null), "C2's children are not tombstoned");
    assert.equal(run.child.state.get('C2/P1'), published.get('C2/P1'), "C2's children stay as published");
    assert.match(
      await run.registry.metrics(),
      /bookeo_connect_source_child_listings_failed_total\{account="acme",resource="customers_people"\} 1/,
    );

    bookeo.malformedParents.clear();
    const callsBefore = bookeo.childCalls.get('C2') ?? 0;
    await run.fullListing();
    assert.equal(bookeo.childCalls.get('C2'), callsBefore + 1, 'the next listing reads them again');
  });
});
