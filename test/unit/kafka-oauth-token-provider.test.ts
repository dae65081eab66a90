/**
 * The OAUTHBEARER token provider against a local HTTP server standing in for an OIDC token
 * endpoint: the client-credentials request it sends, one request for many callers, a refresh once
 * most of a token's lifetime has passed (by `expires_in` or the JWT's `exp`), the cached token kept
 * while a refresh fails, and typed errors (retriable or not) that carry neither secret nor token.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createOAuthTokenProvider, OAuthTokenError } from '../../kafka/oauth-token-provider.js';
import { capturingLogger } from '../helpers/source-fixture.js';

const CLIENT_SECRET = 'oidc-secret:DO-NOT-PRINT&55';
const FAST_RETRY = { retries: 2, initialDelayMs: 1, maxDelayMs: 5, multiplier: 2 };

interface Seen {
  readonly authorization: string | undefined;
  readonly contentType: string | undefined;
  readonly form: URLSearchParams;
}

type Reply = { status: number; body: Record<string, unknown> };

describe('OAuth client-credentials token provider', () => {
  let server: Server;
  let url: string;
  const seen: Seen[] = [];
  let replies: Array<(request: number) => Reply> = [];
  let issued = 0;

  const tokenReply =
    (extra: Record<string, unknown> = { expires_in: 100 }) =>
    (): Reply => ({ status: 200, body: { access_token: `token-${++issued}`, token_type: 'Bearer', ...extra } });

  before(async () => {
    server = createServer((request: IncomingMessage, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        seen.push({
          authorization: request.headers.authorization,
          contentType: request.headers['content-type'],
          form: new URLSearchParams(body),
        });
        const reply = (replies.shift() ?? tokenReply())(seen.length);
        response.writeHead(reply.status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(reply.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/realms/kafka/token`;
  });

  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  beforeEach(() => {
    seen.length = 0;
    replies = [];
  });

  const provider = (clock: { now: number }, extra: { scope?: string; extensions?: Record<string, string> } = {}) => {
    const { logger, lines } = capturingLogger();
    return {
      lines,
      tokens: createOAuthTokenProvider(
        { tokenEndpointUrl: url, clientId: 'bookeo connect', clientSecret: CLIENT_SECRET, ...extra },
        { logger, now: () => clock.now, retryPolicy: FAST_RETRY },
      ),
    };
  };

  it('asks with the client-credentials grant and Basic auth, and shares one request among concurrent callers', async () => {
    const { tokens } = provider({ now: 1_000_000 }, { scope: 'kafka read', extensions: { logicalCluster: 'lkc-1' } });
    const [first, second, third] = await Promise.all([tokens.token(), tokens.token(), tokens.token()]);
    assert.equal(seen.length, 1, 'one request for three callers');
    assert.deepEqual(first, { value: `token-${issued}`, extensions: { logicalCluster: 'lkc-1' } });
    assert.deepEqual(second, first);
    assert.deepEqual(third, first);
    const request = seen[0] as Seen;
    assert.equal(request.contentType, 'application/x-www-form-urlencoded');
    assert.equal(request.form.get('grant_type'), 'client_credentials');
    assert.equal(request.form.get('scope'), 'kafka read');
    const [id, secret] = Buffer.from((request.authorization ?? '').replace(/^Basic /, ''), 'base64')
      .toString()
      .split(':')
      .map(decodeURIComponent);
    assert.deepEqual([id, secret], ['bookeo connect', CLIENT_SECRET], 'id and secret form-encoded, then Basic');
  });

  it('reuses the token until most of its lifetime has passed, then fetches a new one before it expires', async () => {
    const clock = { now: 5_000_000 };
    const { tokens } = provider(clock);
    const first = await tokens.token();
    clock.now += 79_000;
    assert.equal((await tokens.token()).value, first.value, 'still cached at 79 % of 100 s');
    assert.equal(seen.length, 1);
    clock.now += 2_000;
    const second = await tokens.token();
    assert.notEqual(second.value, first.value, 'refreshed at 81 %, before the 100 s are up');
    assert.equal(seen.length, 2);
  });

  it("takes the lifetime from the JWT's exp claim when the endpoint sends no expires_in", async () => {
    const clock = { now: Date.UTC(2026, 0, 1) };
    const payload = Buffer.from(JSON.stringify({ sub: 'bookeo', exp: clock.now / 1000 + 50 })).toString('base64url');
    replies = [
      () => ({ status: 200, body: { access_token: `eyJhbGciOiJub25lIn0.${payload}.`, token_type: 'Bearer' } }),
    ];
    const { tokens } = provider(clock);
    await tokens.token();
    clock.now += 39_000;
    await tokens.token();
    assert.equal(seen.length, 1, 'cached within 80 % of the 50 s');
    clock.now += 2_000;
    await tokens.token();
    assert.equal(seen.length, 2, 'refreshed after it');
  });

  it('keeps the current token while a refresh fails, and fails once that token has expired', async () => {
    const clock = { now: 9_000_000 };
    const { tokens, lines } = provider(clock);
    const held = await tokens.token();
    const unavailable = (): Reply => ({ status: 503, body: { error: 'temporarily_unavailable' } });
    replies = [unavailable, unavailable, unavailable, unavailable, unavailable, unavailable];
    clock.now += 90_000;
    assert.equal((await tokens.token()).value, held.value, 'the still-valid token is used');
    assert.equal(seen.length, 1 + 3, 'the refresh was tried with retries');
    clock.now += 11_000;
    const error = await tokens.token().then(
      () => assert.fail('expected the expired token to be refused'),
      (failure: unknown) => failure,
    );
    assert.ok(error instanceof OAuthTokenError);
    assert.equal(error.retriable, true, 'a 503 may pass');
    assert.equal(error.status, 503);
    assert.match(
      error.message,
      /OAuth token endpoint http:\/\/127\.0\.0\.1:\d+\/realms\/kafka\/token: answered HTTP 503/,
    );
    const logged = lines.join('\n');
    assert.match(logged, /refresh failed; the current token is still valid/);
    assert.ok(!logged.includes(held.value) && !logged.includes(CLIENT_SECRET), 'no token and no secret logged');
  });

  it('fails at once, not retriable, on rejected credentials, naming the endpoint and the OAuth error only', async () => {
    replies = [
      () => ({
        status: 401,
        body: { error: 'invalid_client', error_description: `client secret ${CLIENT_SECRET} is wrong` },
      }),
    ];
    const { tokens, lines } = provider({ now: 0 });
    const error = await tokens.token().then(
      () => assert.fail('expected a rejection'),
      (failure: unknown) => failure,
    );
    assert.ok(error instanceof OAuthTokenError);
    assert.equal(error.retriable, false);
    assert.equal(seen.length, 1, 'no retry of a rejected credential');
    assert.match(error.message, /\/realms\/kafka\/token: answered HTTP 401 \(invalid_client\)$/);
    assert.ok(!`${error.message}${lines.join('')}`.includes(CLIENT_SECRET));
  });

  it('reports an unreachable endpoint as retriable, and a reply without a token as not', async () => {
    const { logger } = capturingLogger();
    const closed = createOAuthTokenProvider(
      { tokenEndpointUrl: 'http://user:pw@127.0.0.1:9/token?x=1', clientId: 'c', clientSecret: CLIENT_SECRET },
      { logger, retryPolicy: FAST_RETRY },
    );
    const unreachable = await closed.token().catch((failure: unknown) => failure);
    assert.ok(unreachable instanceof OAuthTokenError && unreachable.retriable);
    assert.match(
      unreachable.message,
      /^OAuth token endpoint http:\/\/127\.0\.0\.1:9\/token: request failed \(ECONNREFUSED\)$/,
    );
    replies = [() => ({ status: 200, body: { token_type: 'Bearer' } })];
    const empty = await provider({ now: 0 })
      .tokens.token()
      .catch((failure: unknown) => failure);
    assert.ok(empty instanceof OAuthTokenError && !empty.retriable);
    assert.match(empty.message, /answered without an access_token/);
  });
});
