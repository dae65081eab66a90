/**
 * Tokens for SASL/OAUTHBEARER from an OIDC provider, by the client-credentials grant (what Kafka's
 * own `OAuthBearerLoginCallbackHandler` does): the client id and secret go as HTTP Basic auth, the
 * token is cached and fetched anew once most of its lifetime has passed, so a connection that
 * (re)authenticates never presents one about to expire. Callers at the same moment share one
 * request. Neither the secret nor a token ever appears in an error or a log line.
 */
import { request, type Dispatcher } from 'undici';
import type { KafkaOAuthBearerConfig } from '../common/config/schema.js';
import { ConnectError, RetriesExhaustedError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { createRetry, type RetryPolicy } from '../common/retry.js';

/** What the SASL/OAUTHBEARER exchange sends: the token and the configured extensions. */
export interface OAuthBearerToken {
  readonly value: string;
  readonly extensions?: Readonly<Record<string, string>>;
}

export interface OAuthTokenProvider {
  /** A valid token: the cached one, or a new one once the cached one is due for refresh. */
  token(): Promise<OAuthBearerToken>;
}

/** The token endpoint failed or answered something that is not a token; never carries the secret or a token. */
export class OAuthTokenError extends ConnectError {
  /** The endpoint's address without query or credentials. */
  readonly endpoint: string;
  readonly status: number | undefined;

  constructor(endpoint: string, detail: string, options: { status?: number; retriable: boolean; cause?: unknown }) {
    super(`OAuth token endpoint ${endpoint}: ${detail}`, options);
    this.endpoint = endpoint;
    this.status = options.status;
  }
}

export interface OAuthTokenProviderOptions {
  readonly logger: Logger;
  /** Clock, injectable for tests. */
  readonly now?: () => number;
  readonly timeoutMs?: number;
  readonly retryPolicy?: RetryPolicy;
  /** Share of a token's lifetime after which it is refreshed (Kafka's `sasl.login.refresh.window.factor`). */
  readonly refreshWindowFactor?: number;
  /** Test seam: the undici dispatcher requests go through (default: undici's global one). */
  readonly dispatcher?: Dispatcher;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_REFRESH_WINDOW_FACTOR = 0.8;
const TOKEN_RETRY_POLICY: RetryPolicy = Object.freeze({
  retries: 3,
  initialDelayMs: 250,
  maxDelayMs: 2_000,
  multiplier: 2,
});

interface CachedToken {
  readonly value: string;
  readonly refreshAtMs: number;
  readonly expiresAtMs: number;
}

export function createOAuthTokenProvider(
  config: KafkaOAuthBearerConfig,
  options: OAuthTokenProviderOptions,
): OAuthTokenProvider {
  const now = options.now ?? Date.now;
  const factor = options.refreshWindowFactor ?? DEFAULT_REFRESH_WINDOW_FACTOR;
  const endpoint = printableEndpoint(config.tokenEndpointUrl);
  const retry = createRetry(options.retryPolicy ?? TOKEN_RETRY_POLICY);
  const extensions = config.extensions === undefined ? {} : { extensions: { ...config.extensions } };
  let cached: CachedToken | undefined;
  let inFlight: Promise<CachedToken> | undefined;

  const fetchToken = async (): Promise<CachedToken> => {
    const requestedAt = now();
    const value = await retry(() => requestToken(config, endpoint, options), {
      operation: `fetching a token from ${endpoint}`,
      onRetry: ({ attempt, error }) =>
        options.logger.warn(
          { endpoint, attempt, error: (error as Error).message },
          'OAuth token request failed; retrying',
        ),
    }).catch((error: unknown) => {
      // The last failure, still retriable: a later connection attempt (kafkajs's, the start-up wait) may succeed.
      throw error instanceof RetriesExhaustedError ? error.cause : error;
    });
    const lifetimeMs = value.lifetimeMs;
    if (lifetimeMs === undefined) return { value: value.token, refreshAtMs: requestedAt, expiresAtMs: requestedAt };
    return {
      value: value.token,
      refreshAtMs: requestedAt + Math.floor(lifetimeMs * factor),
      expiresAtMs: requestedAt + lifetimeMs,
    };
  };

  const refresh = (): Promise<CachedToken> => {
    inFlight ??= fetchToken().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };

  return {
    token: async () => {
      const current = cached;
      if (current !== undefined && now() < current.refreshAtMs) return { value: current.value, ...extensions };
      try {
        cached = await refresh();
      } catch (error) {
        // The endpoint is down but the token we hold is still valid: keep using it, try again next time.
        if (current === undefined || now() >= current.expiresAtMs) throw error;
        options.logger.warn(
          { endpoint, error: (error as Error).message, expiresInMs: current.expiresAtMs - now() },
          'OAuth token refresh failed; the current token is still valid and stays in use',
        );
        return { value: current.value, ...extensions };
      }
      return { value: cached.value, ...extensions };
    },
  };
}

/** The endpoint as printed in errors and logs: no user info, no query. */
function printableEndpoint(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
}

async function requestToken(
  config: KafkaOAuthBearerConfig,
  endpoint: string,
  options: OAuthTokenProviderOptions,
): Promise<{ token: string; lifetimeMs: number | undefined }> {
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (config.scope !== undefined) form.set('scope', config.scope);
  // RFC 6749 2.3.1: id and secret are form-urlencoded before they are joined for Basic auth.
  const basic = Buffer.from(
    `${encodeURIComponent(config.clientId)}:${encodeURIComponent(config.clientSecret)}`,
  ).toString('base64');
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let response: Dispatcher.ResponseData;
  try {
    response = await request(config.tokenEndpointUrl, {
      method: 'POST',
      headers: {
        authorization: `Basic ${basic}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: form.toString(),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new OAuthTokenError(endpoint, `request failed (${code ?? (error as Error).message})`, {
      retriable: true,
      cause: error,
    });
  }
  const text = await response.body.text();
  const status = response.statusCode;
  const body = parseJsonObject(text);
  if (status !== 200) {
    // The OAuth error code (e.g. invalid_client) is safe to show; the description might quote input.
    const reason = typeof body?.error === 'string' ? ` (${body.error})` : '';
    throw new OAuthTokenError(endpoint, `answered HTTP ${status}${reason}`, {
      status,
      retriable: status >= 500 || status === 429 || status === 408,
    });
  }
  const token = body?.access_token;
  if (typeof token !== 'string' || token === '')
    throw new OAuthTokenError(endpoint, 'answered without an access_token', { status, retriable: false });
  const expiresIn = typeof body?.expires_in === 'number' ? body.expires_in : Number(body?.expires_in);
  const lifetimeMs =
    Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn * 1000 : jwtLifetimeMs(token, (options.now ?? Date.now)());
  return { token, lifetimeMs };
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** A JWT's remaining lifetime from its `exp` claim, when the endpoint did not send `expires_in`; undefined for opaque tokens. */
function jwtLifetimeMs(token: string, nowMs: number): number | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) return undefined;
  const claims = parseJsonObject(Buffer.from(payload, 'base64url').toString('utf8'));
  const exp = claims?.exp;
  if (typeof exp !== 'number') return undefined;
  const remaining = exp * 1000 - nowMs;
  return remaining > 0 ? remaining : undefined;
}
