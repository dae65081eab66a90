/**
 * Boundary tests of the Bookeo client against a scripted undici MockAgent (no network): headers,
 * retries, Retry-After, malformed bodies, auth errors, token restarts, and no secret anywhere.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { MockAgent } from 'undici';
import { RetriesExhaustedError } from '../../common/errors.js';
import { createLogger } from '../../common/logger.js';
import { createBookeoClient, type BookeoClient } from '../../bookeo/client.js';
import { BookeoApiError, BookeoAuthError, MalformedResponseError } from '../../bookeo/errors.js';
import { createTransport } from '../../bookeo/transport.js';

const SECRET = 'sk_live_SUPERSECRET_0123456789';
const API_KEY = 'ak_ACCOUNTKEY_9876543210';
const ORIGIN = 'https://bookeo.test';

type Reply = { status: number; body?: unknown; headers?: Record<string, string> } | { error: Error };
interface Seen {
  path: string;
  headers: Record<string, string>;
}

function setup(options: { malformedRetries?: number } = {}) {
  const agent = new MockAgent();
  agent.disableNetConnect();
  const script: Reply[] = [];
  const seen: Seen[] = [];
  const pool = agent.get(ORIGIN);
  const push = (...replies: Reply[]): void => {
    for (const reply of replies) {
      const scope = pool.intercept({ path: () => true, method: 'GET' });
      if ('error' in reply) {
        scope.replyWithError(reply.error);
        continue;
      }
      scope.reply((request) => {
        seen.push({
          path: request.path,
          headers: Object.fromEntries(
            Object.entries(request.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
          ),
        });
        const data = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? {});
        return {
          statusCode: reply.status,
          data,
          responseOptions: { headers: { 'content-type': 'application/json', ...reply.headers } },
        };
      });
    }
  };
  const lines: string[] = [];
  const logger = createLogger({
    level: 'trace',
    format: 'json',
    destination: { write: (line: string) => void lines.push(line) },
  });
  const client = createBookeoClient({
    baseUrl: `${ORIGIN}/v2`,
    secretKey: SECRET,
    requestsPerSecond: 1000,
    maxConcurrency: 4,
    connectTimeoutMs: 1000,
    requestTimeoutMs: 2000,
    retryPolicy: { retries: 5, initialDelayMs: 1, maxDelayMs: 5, multiplier: 2 },
    ...(options.malformedRetries === undefined ? {} : { malformedRetries: options.malformedRetries }),
    logger,
    transport: createTransport({
      baseUrl: `${ORIGIN}/v2`,
      connectTimeoutMs: 1000,
      requestTimeoutMs: 2000,
      dispatcher: agent,
    }),
  });
  return { agent, client, push, seen, lines, account: client.forAccount({ id: 'acme', apiKey: API_KEY }), script };
}

function assertNoSecrets(...texts: string[]): void {
  for (const text of texts) {
    assert.ok(!text.includes(SECRET), `secretKey leaked: ${text.slice(0, 200)}`);
    assert.ok(!text.includes(API_KEY), `apiKey leaked: ${text.slice(0, 200)}`);
  }
}

function errorTexts(error: unknown): string[] {
  const texts = [String(error), JSON.stringify(error)];
  if (error instanceof Error) texts.push(error.message, error.stack ?? '');
  let cause = (error as { cause?: unknown }).cause;
  while (cause !== undefined) {
    texts.push(String(cause), JSON.stringify(cause));
    cause = (cause as { cause?: unknown }).cause;
  }
  return texts;
}

const page = (data: unknown[], currentPage = 1, totalPages = 1, token?: string) => ({
  info: {
    totalItems: data.length * totalPages,
    totalPages,
    currentPage,
    ...(token === undefined ? {} : { pageNavigationToken: token }),
  },
  data,
});

describe('Bookeo client (boundary)', () => {
  let ctx: ReturnType<typeof setup>;
  let client: BookeoClient;
  beforeEach(() => {
    ctx = setup();
    client = ctx.client;
  });
  afterEach(async () => {
    await client.close();
    await ctx.agent.close();
  });

  it('sends the keys as headers only, under the base path, and returns JSON', async () => {
    ctx.push({ status: 200, body: { accountId: 'A1' } });
    const body = await ctx.account.getJson('/settings/apikeyinfo', { lang: 'en-US' });
    assert.deepEqual(body, { accountId: 'A1' });
    const request = ctx.seen[0];
    assert.equal(request?.path, '/v2/settings/apikeyinfo?lang=en-US');
    assert.equal(request?.headers['x-bookeo-secretkey'], SECRET);
    assert.equal(request?.headers['x-bookeo-apikey'], API_KEY);
    assert.equal(request?.headers['content-type'], 'application/json');
    assertNoSecrets(request?.path ?? '', ...ctx.lines);
  });

  it('one budget per account id, shared by all its callers', () => {
    assert.equal(client.forAccount({ id: 'acme', apiKey: API_KEY }).budget, ctx.account.budget);
    assert.notEqual(client.forAccount({ id: 'other', apiKey: 'k2' }).budget, ctx.account.budget);
  });

  it('retries a 5xx burst and network resets, then succeeds', async () => {
    ctx.push(
      { status: 503 },
      { status: 500, body: { message: 'oops', errorId: 'E1' } },
      { error: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) },
      { status: 200, body: { ok: true } },
    );
    assert.deepEqual(await ctx.account.getJson('/x'), { ok: true });
    const warnings = ctx.lines
      .map((line) => JSON.parse(line) as { msg: string; attempt?: number })
      .filter((entry) => entry.msg === 'bookeo request failed, retrying');
    assert.deepEqual(
      warnings.map((entry) => entry.attempt),
      [1, 2, 3],
    );
    assertNoSecrets(...ctx.lines);
  });

  it('honours Retry-After on 429 and slows the account down', async () => {
    ctx.push(
      { status: 429, body: { message: 'slow down', errorId: 'R1' }, headers: { 'retry-after': '1' } },
      { status: 200, body: { ok: 1 } },
    );
    const started = Date.now();
    assert.deepEqual(await ctx.account.getJson('/x'), { ok: 1 });
    assert.ok(Date.now() - started >= 950, `waited ${Date.now() - started} ms`);
    assert.equal(ctx.account.budget.state().throttleCount, 1);
    assert.ok(ctx.account.budget.state().requestsPerSecond < 1000);
  });

  it('gives up with RetriesExhaustedError holding the last typed error', async () => {
    for (let i = 0; i < 6; i++) ctx.push({ status: 502 });
    await assert.rejects(
      ctx.account.getJson('/x'),
      (error: unknown) =>
        error instanceof RetriesExhaustedError && error.cause instanceof BookeoApiError && error.cause.status === 502,
    );
  });

  it('a 403 is a BookeoAuthError at once, quoting errorId and message but never the keys', async () => {
    // Even if Bookeo echoed a key in its message, it must not come out.
    ctx.push({ status: 403, body: { httpStatus: 403, message: `invalid apiKey ${API_KEY}`, errorId: 'AUTH-77' } });
    const error = await ctx.account
      .getJson('/bookings', { lastUpdatedStartTime: '2024-01-01T00:00:00Z' })
      .catch((e: unknown) => e);
    assert.ok(error instanceof BookeoAuthError, String(error));
    assert.equal(error.retriable, false);
    assert.equal(error.errorId, 'AUTH-77');
    assert.match(error.message, /AUTH-77/);
    assert.match(error.message, /GET \/bookings\?lastUpdatedStartTime=/);
    assert.equal(ctx.seen.length, 1);
    const logger = createLogger({
      level: 'trace',
      format: 'json',
      destination: { write: (line: string) => void ctx.lines.push(line) },
    });
    logger.error({ err: error }, 'source failed');
    assertNoSecrets(...errorTexts(error), ...ctx.lines);
  });

  it('retries a malformed body a few times, then fails for good with the endpoint', async () => {
    ctx.push(
      { status: 200, body: '<html>gateway</html>' },
      { status: 200, body: { info: {} } },
      { status: 200, body: page(['a']) },
    );
    const pages = [];
    for await (const p of ctx.account.list({ path: '/bookings', query: { itemsPerPage: 100 }, pagination: 'pages' }))
      pages.push(p);
    assert.deepEqual(
      pages.flatMap((p) => p.items),
      ['a'],
    );

    ctx.push({ status: 200, body: 'nope' }, { status: 200, body: 'nope' }, { status: 200, body: 'nope' });
    const error = await ctx.account.getJson('/x').catch((e: unknown) => e);
    assert.ok(error instanceof MalformedResponseError && !error.retriable, String(error));
    assert.match(error.message, /GET \/x: body is not JSON .*still after 3 attempts/);
  });

  it('lists pages with the page-1 token and restarts on a refused token', async () => {
    ctx.push(
      { status: 200, body: page(['a', 'b'], 1, 2, 'T1') },
      { status: 400, body: { message: 'invalid or expired pageNavigationToken', errorId: 'TOK' } },
      { status: 200, body: page(['a', 'b'], 1, 2, 'T2') },
      { status: 200, body: page(['c'], 2, 2, 'T2') },
    );
    const items: unknown[] = [];
    for await (const p of ctx.account.list(
      { path: '/bookings', query: { itemsPerPage: 2 }, pagination: 'pages' },
      { prefetch: 0, fingerprint: String },
    ))
      items.push(...p.items);
    assert.deepEqual(items, ['a', 'b', 'c']);
    assert.deepEqual(
      ctx.seen.map((s) => s.path),
      [
        '/v2/bookings?itemsPerPage=2',
        '/v2/bookings?pageNavigationToken=T1&pageNumber=2',
        '/v2/bookings?itemsPerPage=2',
        '/v2/bookings?pageNavigationToken=T2&pageNumber=2',
      ],
    );
    assert.ok(ctx.lines.some((line) => line.includes('restarting the query from page 1')));
  });

  it('reads unpaged {data} lists', async () => {
    ctx.push({ status: 200, body: { data: [{ tag: 'en-US' }] } });
    const pages = [];
    for await (const p of ctx.account.list({ path: '/settings/languages', pagination: 'none' })) pages.push(p);
    assert.deepEqual(pages, [{ items: [{ tag: 'en-US' }], pageNumber: 1, totalPages: 1, totalItems: 1, restarts: 0 }]);
  });
});
