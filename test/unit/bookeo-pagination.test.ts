import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MalformedResponseError, PageTokenError } from '../../bookeo/errors.js';
import {
  paginate,
  parseDataEnvelope,
  parsePagedEnvelope,
  type Envelope,
  type FetchPageContext,
  type Page,
  type Query,
} from '../../bookeo/pagination.js';

/** A fake list endpoint: `items` split into pages of `size`, with a token that can be invalidated. */
function fakeEndpoint(items: readonly string[], size: number, options: { delays?: (page: number) => number } = {}) {
  const calls: Array<{ query: Query; context: Omit<FetchPageContext, 'signal'> }> = [];
  let tokenVersion = 1;
  let inFlight = 0;
  let peak = 0;
  const totalPages = Math.ceil(items.length / size);
  const fetchPage = async (query: Query, context: FetchPageContext): Promise<Envelope> => {
    calls.push({ query, context: { continuation: context.continuation, pageNumber: context.pageNumber } });
    inFlight++;
    peak = Math.max(peak, inFlight);
    try {
      await new Promise((resolve) => setTimeout(resolve, options.delays?.(context.pageNumber) ?? 0));
      if (context.continuation && query.pageNavigationToken !== `token-${tokenVersion}`) {
        throw new PageTokenError({
          status: 400,
          endpoint: 'GET /x',
          errorId: 'T',
          bookeoMessage: 'invalid or expired pageNavigationToken',
        });
      }
      const page = context.pageNumber;
      return {
        info: {
          totalItems: items.length,
          totalPages,
          currentPage: page,
          pageNavigationToken: totalPages > 1 ? `token-${tokenVersion}` : undefined,
        },
        data: items.slice((page - 1) * size, page * size),
      };
    } finally {
      inFlight--;
    }
  };
  return { fetchPage, calls, expireToken: () => tokenVersion++, peak: () => peak };
}

async function collect(pages: AsyncIterable<Page>): Promise<Page[]> {
  const out: Page[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

const items = Array.from({ length: 23 }, (_, i) => `item-${i}`);

describe('paginate', () => {
  it('keeps the page-1 token and yields all pages in order even when later pages finish first', async () => {
    const endpoint = fakeEndpoint(items, 5, { delays: (page) => (page === 2 ? 20 : 1) });
    const pages = await collect(
      paginate(endpoint.fetchPage, { lastUpdatedStartTime: 'a', itemsPerPage: 5 }, { prefetch: 3 }),
    );
    assert.deepEqual(
      pages.map((p) => p.pageNumber),
      [1, 2, 3, 4, 5],
    );
    assert.deepEqual(
      pages.flatMap((p) => p.items),
      items,
    );
    assert.deepEqual(
      pages.map((p) => [p.totalPages, p.totalItems]),
      Array(5).fill([5, 23]),
    );
    assert.deepEqual(endpoint.calls[0]?.query, { lastUpdatedStartTime: 'a', itemsPerPage: 5 });
    for (const call of endpoint.calls.slice(1)) {
      assert.deepEqual(Object.keys(call.query).sort(), ['pageNavigationToken', 'pageNumber']);
      assert.equal(call.query.pageNavigationToken, 'token-1');
      assert.equal(call.context.continuation, true);
    }
    assert.ok(endpoint.peak() <= 3);
    assert.ok(endpoint.peak() >= 2, 'pages were fetched concurrently');
  });

  it('fetches strictly sequentially with prefetch 0', async () => {
    const endpoint = fakeEndpoint(items, 5);
    await collect(paginate(endpoint.fetchPage, {}, { prefetch: 0 }));
    assert.equal(endpoint.peak(), 1);
    assert.equal(endpoint.calls.length, 5);
  });

  it('yields one empty page for an empty result and one page without token', async () => {
    const empty = await collect(paginate(fakeEndpoint([], 5).fetchPage, {}));
    assert.deepEqual(
      empty.map((p) => [p.pageNumber, p.totalPages, p.items.length]),
      [[1, 0, 0]],
    );
    const single = fakeEndpoint(['a', 'b'], 5);
    assert.deepEqual(
      (await collect(paginate(single.fetchPage, {}))).flatMap((p) => p.items),
      ['a', 'b'],
    );
    assert.equal(single.calls.length, 1);
  });

  it('restarts from page 1 when the token is refused and skips items already yielded', async () => {
    const endpoint = fakeEndpoint(items, 5);
    const restarts: number[] = [];
    const seen: string[] = [];
    const generator = paginate(
      endpoint.fetchPage,
      { q: 1 },
      { prefetch: 0, fingerprint: (item) => String(item), onRestart: (_e, n) => restarts.push(n) },
    );
    for await (const page of generator) {
      seen.push(...(page.items as string[]));
      if (page.pageNumber === 2 && page.restarts === 0) endpoint.expireToken();
    }
    assert.deepEqual(restarts, [1]);
    assert.deepEqual(seen, items, 'every item exactly once');
    assert.deepEqual(
      endpoint.calls.filter((c) => !c.context.continuation).map((c) => c.query),
      [{ q: 1 }, { q: 1 }],
    );
  });

  it('gives up after maxRestarts with the token error', async () => {
    const endpoint = fakeEndpoint(items, 5);
    const generator = paginate(endpoint.fetchPage, {}, { prefetch: 0, maxRestarts: 2 });
    await assert.rejects(
      (async () => {
        for await (const page of generator) if (page.pageNumber === 1) endpoint.expireToken();
      })(),
      PageTokenError,
    );
    assert.equal(endpoint.calls.filter((c) => !c.context.continuation).length, 3);
  });

  it('outlives more tokens than maxRestarts when each restart gets further than the last', async () => {
    const endpoint = fakeEndpoint(items, 5);
    const seen: string[] = [];
    const refusedAfter = new Set<number>();
    const generator = paginate(endpoint.fetchPage, {}, { prefetch: 0, maxRestarts: 1, fingerprint: String });
    for await (const page of generator) {
      seen.push(...(page.items as string[]));
      // Refused once after each page: a restart after every page, each one after new ground.
      if (page.items.length > 0 && !refusedAfter.has(page.pageNumber)) {
        refusedAfter.add(page.pageNumber);
        endpoint.expireToken();
      }
    }
    assert.equal(refusedAfter.size, 5);
    assert.deepEqual(seen, items, 'every item exactly once');
  });

  it('requests no page ahead until the consumer asks for page 2 (stopping after page 1 costs one call)', async () => {
    const endpoint = fakeEndpoint(items, 5);
    for await (const page of paginate(endpoint.fetchPage, {}, { prefetch: 3 })) if (page.pageNumber === 1) break;
    assert.equal(endpoint.calls.length, 1);
  });

  it('aborts pages fetched ahead when the consumer stops early', async () => {
    const signals: AbortSignal[] = [];
    const endpoint = fakeEndpoint(items, 5, { delays: () => 5 });
    const spying = (query: Query, context: FetchPageContext): Promise<Envelope> => {
      signals.push(context.signal);
      return endpoint.fetchPage(query, context);
    };
    for await (const page of paginate(spying, {}, { prefetch: 3 })) if (page.pageNumber === 2) break;
    assert.ok(signals.length > 2, 'pages were fetched ahead');
    assert.ok(signals.every((signal) => signal.aborted));
  });

  it('propagates other errors without restarting', async () => {
    let calls = 0;
    const failing = async (): Promise<Envelope> => {
      calls++;
      throw new MalformedResponseError('GET /x', 'bad');
    };
    await assert.rejects(collect(paginate(failing, {})), MalformedResponseError);
    assert.equal(calls, 1);
  });
});

describe('envelopes', () => {
  const info = { totalItems: 3, totalPages: 2, currentPage: 1, pageNavigationToken: 't' };
  it('accepts a well-formed paged envelope', () => {
    assert.deepEqual(parsePagedEnvelope({ info, data: [1, 2] }, 'GET /x', 1).data, [1, 2]);
    assert.equal(
      parsePagedEnvelope({ info: { totalItems: 0, totalPages: 0, currentPage: 1 }, data: [] }, 'GET /x').info
        .pageNavigationToken,
      undefined,
    );
  });
  it('rejects broken envelopes with a MalformedResponseError naming the endpoint', () => {
    const broken: unknown[] = [
      null,
      [],
      'text',
      { info },
      { info, data: {} },
      { data: [] },
      { info: { ...info, totalPages: -1 }, data: [] },
      { info: { ...info, totalItems: '3' }, data: [] },
      { info: { ...info, pageNavigationToken: undefined }, data: [] },
      { info: { ...info, pageNavigationToken: 5 }, data: [] },
    ];
    for (const body of broken) {
      assert.throws(
        () => parsePagedEnvelope(body, 'GET /bookings'),
        (error: unknown) => error instanceof MalformedResponseError && error.message.includes('GET /bookings'),
        JSON.stringify(body),
      );
    }
    assert.throws(
      () => parsePagedEnvelope({ info: { ...info, currentPage: 1 }, data: [] }, 'GET /x', 2),
      /asked for page 2, got page 1/,
    );
  });
  it('reads an unpaged {data} body', () => {
    assert.deepEqual(parseDataEnvelope({ data: [{ tag: 'en-US' }] }, 'GET /settings/languages').info, {
      totalItems: 1,
      totalPages: 1,
      currentPage: 1,
      pageNavigationToken: undefined,
    });
    assert.throws(() => parseDataEnvelope({ items: [] }, 'GET /settings/languages'), MalformedResponseError);
  });
});
