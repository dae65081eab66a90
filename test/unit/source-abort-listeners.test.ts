/**
 * No abort listener piles up on a long-lived signal (the task's, shared by every listing and call
 * of an account): many listings and calls at once, with restarts, retries, budget waits, early
 * stops and failures, leave none on it, during or after. Before, each listing and each waiting
 * call added one, and every source start warned "MaxListenersExceededWarning: 11 abort listeners".
 */
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, it } from 'node:test';
import { MockAgent } from 'undici';
import { createLogger } from '../../common/logger.js';
import { createBookeoClient } from '../../bookeo/client.js';
import { MalformedResponseError, PageTokenError } from '../../bookeo/errors.js';
import { paginate, type Envelope, type FetchPageContext, type Query } from '../../bookeo/pagination.js';
import { createTransport } from '../../bookeo/transport.js';

const ORIGIN = 'https://bookeo.test';

describe('abort listeners on a shared signal', () => {
  it('paginate adds none, whatever many listings share the signal and however they end', async () => {
    const shared = new AbortController().signal;
    let peak = 0;
    const listing = (index: number) => {
      let refused = false;
      return async (query: Query, context: FetchPageContext): Promise<Envelope> => {
        await new Promise((resolve) => setImmediate(resolve));
        peak = Math.max(peak, getEventListeners(shared, 'abort').length);
        if (index % 7 === 0 && context.pageNumber === 3) throw new MalformedResponseError('GET /x', 'bad', false);
        if (context.continuation && context.pageNumber === 2 && !refused) {
          refused = true;
          throw new PageTokenError({ status: 400, endpoint: 'GET /x', errorId: 'T', bookeoMessage: 'expired' });
        }
        return {
          info: { totalItems: 8, totalPages: 4, currentPage: context.pageNumber, pageNavigationToken: 't' },
          data: [`${index}-${context.pageNumber}-${String(query.pageNumber ?? 1)}`, 'b'],
        };
      };
    };
    const consume = async (index: number): Promise<void> => {
      for await (const page of paginate(listing(index), {}, { prefetch: 2, signal: shared, fingerprint: String }))
        if (index % 5 === 0 && page.pageNumber === 2) break;
    };
    const results = await Promise.allSettled(Array.from({ length: 40 }, (_, index) => consume(index)));
    assert.ok(
      results.some((result) => result.status === 'rejected'),
      'some listings failed',
    );
    assert.ok(
      results.some((result) => result.status === 'fulfilled'),
      'some listings completed',
    );
    assert.equal(peak, 0, 'no listener on the shared signal while listings ran');
    assert.equal(getEventListeners(shared, 'abort').length, 0, 'none left behind');
  });

  it('the Bookeo client adds none while calls wait for the budget and back off between retries', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    const shared = new AbortController().signal;
    let peak = 0;
    const calls = 30;
    agent
      .get(ORIGIN)
      .intercept({ path: () => true, method: 'GET' })
      .reply(() => {
        peak = Math.max(peak, getEventListeners(shared, 'abort').length);
        return { statusCode: 503, data: '{"message":"busy"}' };
      })
      .times(calls);
    agent
      .get(ORIGIN)
      .intercept({ path: () => true, method: 'GET' })
      .reply(() => {
        peak = Math.max(peak, getEventListeners(shared, 'abort').length);
        return { statusCode: 200, data: '{"ok":true}' };
      })
      .times(calls);
    const client = createBookeoClient({
      baseUrl: `${ORIGIN}/v2`,
      secretKey: 'secret',
      requestsPerSecond: 1000,
      maxConcurrency: 2,
      connectTimeoutMs: 1000,
      requestTimeoutMs: 2000,
      retryPolicy: { retries: 3, initialDelayMs: 5, maxDelayMs: 10, multiplier: 2 },
      logger: createLogger({ level: 'silent', format: 'json' }),
      transport: createTransport({
        baseUrl: `${ORIGIN}/v2`,
        connectTimeoutMs: 1000,
        requestTimeoutMs: 2000,
        dispatcher: agent,
      }),
    });
    const account = client.forAccount({ id: 'acme', apiKey: 'key' });
    const answers = await Promise.all(
      Array.from({ length: calls }, (_, index) => account.getJson(`/items/${index}`, {}, { signal: shared })),
    );
    assert.equal(answers.length, calls);
    assert.equal(peak, 0, 'no listener on the shared signal while calls waited and retried');
    assert.equal(getEventListeners(shared, 'abort').length, 0, 'none left behind');
    await agent.close();
  });
});
