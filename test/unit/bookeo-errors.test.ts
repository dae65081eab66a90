import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRetriable } from '../../common/errors.js';
import {
  BookeoApiError,
  BookeoAuthError,
  BookeoNetworkError,
  BookeoRateLimitError,
  MalformedResponseError,
  PageTokenError,
  classifyStatus,
  errorFromResponse,
  networkErrorFrom,
} from '../../bookeo/errors.js';
import { MAX_RETRY_AFTER_MS, parseRetryAfter } from '../../bookeo/retry-after.js';

const input = {
  endpoint: 'GET /bookings',
  body: { message: 'nope', errorId: 'E-42' },
  retryAfterMs: undefined,
  continuation: false,
};

describe('Bookeo error classification', () => {
  it('maps statuses by table', () => {
    const table: Array<[number, string, boolean]> = [
      [400, 'fatal', false],
      [401, 'auth', false],
      [403, 'auth', false],
      [404, 'fatal', false],
      [408, 'retriable', true],
      [429, 'rateLimit', true],
      [500, 'retriable', true],
      [502, 'retriable', true],
      [503, 'retriable', true],
    ];
    for (const [status, kind, retriable] of table) {
      assert.equal(classifyStatus(status), kind, String(status));
      assert.equal(isRetriable(errorFromResponse({ ...input, status })), retriable, String(status));
    }
  });

  it('builds typed errors that quote errorId and message and carry Retry-After', () => {
    const auth = errorFromResponse({ ...input, status: 403 });
    assert.ok(auth instanceof BookeoAuthError && auth instanceof BookeoApiError);
    assert.equal(auth.errorId, 'E-42');
    assert.match(auth.message, /403 on GET \/bookings: nope \(errorId E-42\)/);
    const limited = errorFromResponse({ ...input, status: 429, retryAfterMs: 2000 });
    assert.ok(limited instanceof BookeoRateLimitError);
    assert.equal(limited.retryAfterMs, 2000);
    const noBody = errorFromResponse({ ...input, status: 502, body: undefined });
    assert.equal(noBody.message, 'Bookeo API error 502 on GET /bookings');
  });

  it('treats a client error on a continuation request as a refused page token', () => {
    for (const status of [400, 404, 410])
      assert.ok(errorFromResponse({ ...input, status, continuation: true }) instanceof PageTokenError);
    assert.ok(errorFromResponse({ ...input, status: 403, continuation: true }) instanceof BookeoAuthError);
    assert.ok(!(errorFromResponse({ ...input, status: 400 }) instanceof PageTokenError));
  });

  it('wraps transport errors by code, not by message', () => {
    const reset = networkErrorFrom(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'GET /x');
    assert.ok(reset instanceof BookeoNetworkError && reset.retriable && reset.code === 'ECONNRESET');
    assert.equal(reset.cause, undefined);
    assert.equal(
      networkErrorFrom(Object.assign(new Error('aborted'), { code: 'UND_ERR_ABORTED' }), 'GET /x'),
      undefined,
    );
    assert.equal(networkErrorFrom('boom', 'GET /x'), undefined);
  });

  it('malformed responses are retriable unless the client gave up', () => {
    assert.equal(new MalformedResponseError('GET /x', 'not JSON').retriable, true);
    assert.equal(new MalformedResponseError('GET /x', 'not JSON', false).retriable, false);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2024-06-01T12:00:00Z');
  it('reads delay-seconds and HTTP dates', () => {
    assert.equal(parseRetryAfter('3', now), 3000);
    assert.equal(parseRetryAfter(' 0 ', now), 0);
    assert.equal(parseRetryAfter('1.5', now), 1500);
    assert.equal(parseRetryAfter('Sat, 01 Jun 2024 12:00:10 GMT', now), 10_000);
    assert.equal(parseRetryAfter('Sat, 01 Jun 2024 11:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter(['2', '9'], now), 2000);
  });
  it('ignores absent or unreadable values and caps absurd ones', () => {
    assert.equal(parseRetryAfter(undefined, now), undefined);
    assert.equal(parseRetryAfter('', now), undefined);
    assert.equal(parseRetryAfter('-1', now), undefined);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter('99999999', now), MAX_RETRY_AFTER_MS);
  });
});
