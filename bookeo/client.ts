/**
 * The Bookeo client: authenticated, rate-budgeted, retried JSON GETs and paged listings.
 *
 * Credentials go in the `X-Bookeo-secretKey` / `X-Bookeo-apiKey` headers only, never in a URL, a
 * log line or an error (Bookeo's own error text is scrubbed of them too, in case it echoes one).
 * One client serves every account of a deployment (one keep-alive pool per base URL); each account
 * gets one RateBudget shared by all its resources, created on first use.
 *
 * Writes (POST/DELETE, webhook management only) go through the same budget and transport, but the
 * retry repeats them only after a failure that proves nothing was done (a 429, a connection never
 * made); any other failure is thrown as classified and the caller re-reads before trying again.
 *
 * Every request runs: retry (common/retry.ts: back-off with jitter, Retry-After honoured)
 *   → account budget (token bucket + concurrency; a 429 pauses and slows the whole account)
 *   → transport (undici) → status classification (errors.ts) → JSON + envelope validation.
 * A malformed 2xx body is retried up to `malformedRetries` times per call, then fails for good.
 *
 * Public API:
 *   createBookeoClient(options): BookeoClient
 *   BookeoClient.forAccount({id, apiKey}): BookeoAccountClient   (same id → same budget)
 *   BookeoClient.close()
 *   BookeoAccountClient.getJson(path, query?, {signal}?): Promise<unknown>
 *   BookeoAccountClient.list(request, options?): AsyncGenerator<Page>   (see pagination.ts)
 *   BookeoClient.writerFor({id, apiKey}): BookeoAccountWriter   (the same account's budget)
 *   BookeoAccountWriter.send(method, path, body?, {signal, label}?): Promise<WriteResult>
 */
import type { AppConfig } from '../common/config/schema.js';
import { ConnectError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { DEFAULT_RETRY_POLICY, createRetry, type RetryPolicy } from '../common/retry.js';
import { MASK } from '../common/secrets.js';
import { BookeoRateLimitError, MalformedResponseError, errorFromResponse, type BookeoErrorBody } from './errors.js';
import {
  paginate,
  parseDataEnvelope,
  parsePagedEnvelope,
  type Envelope,
  type Page,
  type PaginateOptions,
  type Query,
} from './pagination.js';
import { NotRepeated, provesNothingDone, writeResult, type WriteResult } from './writes.js';
import { createRateBudget, type RateBudget, type RateBudgetOptions } from './rate-budget.js';
import { parseRetryAfter } from './retry-after.js';
import { createTransport, describeEndpoint, type RawResponse, type Transport, type WriteMethod } from './transport.js';

export interface BookeoClientOptions {
  readonly baseUrl: string;
  readonly secretKey: string;
  readonly requestsPerSecond: number;
  readonly maxConcurrency: number;
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /** Attempts after the first (config `bookeo.retries`); ignored when `retryPolicy` is given. */
  readonly retries?: number;
  readonly retryPolicy?: RetryPolicy;
  /** Extra attempts for a malformed 2xx body within one call (default 2). */
  readonly malformedRetries?: number;
  readonly logger: Logger;
  /** Adaptive knobs and an injectable clock for the per-account budgets. */
  readonly budget?: Omit<RateBudgetOptions, 'requestsPerSecond' | 'maxConcurrency'>;
  readonly transport?: Transport;
  readonly random?: () => number;
  /** Told of every HTTP answer (status 0: no answer) and every retry, for metrics. */
  readonly observer?: BookeoRequestObserver;
}

export interface BookeoRequestEvent {
  readonly account: string;
  /** The caller's label (a resource name), else the path. */
  readonly label: string;
  readonly status: number;
}

export interface BookeoRequestObserver {
  response(event: BookeoRequestEvent): void;
  retry(event: Omit<BookeoRequestEvent, 'status'>): void;
}

export type { WriteResult } from './writes.js';

export interface BookeoAccount {
  readonly id: string;
  readonly apiKey: string;
}

export interface RequestOptions {
  readonly signal?: AbortSignal;
  /** Metrics label, e.g. the resource name (paths may hold ids). */
  readonly label?: string;
}

export interface ListRequest {
  /** Relative to the base URL, already expanded (e.g. `/customers/abc/linkedpeople`). */
  readonly path: string;
  readonly query?: Query;
  /** `pages`: `{info, data}` with page tokens; `none`: `{data}` in one answer (e.g. /settings/languages). */
  readonly pagination: 'pages' | 'none';
  /** Metrics label, e.g. the resource name (paths may hold ids). */
  readonly label?: string;
}

/** Pagination options (see pagination.ts); prefetch defaults to maxConcurrency - 1. */
export type ListOptions = PaginateOptions;

export interface BookeoAccountClient {
  readonly accountId: string;
  readonly budget: RateBudget;
  getJson(path: string, query?: Query, options?: RequestOptions): Promise<unknown>;
  list(request: ListRequest, options?: ListOptions): AsyncGenerator<Page>;
}

/** Writes of one account (webhook management), apart from the reads the source's tasks are given. */
export interface BookeoAccountWriter {
  readonly accountId: string;
  /** A POST or DELETE; repeated only when its failure proves Bookeo did nothing (see the file head). */
  send(method: WriteMethod, path: string, body?: unknown, options?: RequestOptions): Promise<WriteResult>;
}

function jsonBody(response: RawResponse, endpoint: string): unknown {
  try {
    return JSON.parse(response.text);
  } catch {
    throw new MalformedResponseError(endpoint, `body is not JSON (${response.text.length} bytes)`);
  }
}

export interface BookeoClient {
  forAccount(account: BookeoAccount): BookeoAccountClient;
  writerFor(account: BookeoAccount): BookeoAccountWriter;
  close(): Promise<void>;
}

function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret !== '') out = out.split(secret).join(MASK);
  return out;
}

function readErrorBody(text: string, secrets: readonly string[]): BookeoErrorBody | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { message, errorId } = parsed as Record<string, unknown>;
    return {
      ...(typeof message === 'string' ? { message: scrub(message, secrets) } : {}),
      ...(typeof errorId === 'string' ? { errorId: scrub(errorId, secrets) } : {}),
    };
  } catch {
    return undefined;
  }
}

export function createBookeoClient(options: BookeoClientOptions): BookeoClient {
  const transport =
    options.transport ??
    createTransport({
      baseUrl: options.baseUrl,
      connectTimeoutMs: options.connectTimeoutMs,
      requestTimeoutMs: options.requestTimeoutMs,
    });
  const retry = createRetry(
    options.retryPolicy ?? { ...DEFAULT_RETRY_POLICY, retries: options.retries ?? DEFAULT_RETRY_POLICY.retries },
  );
  const malformedRetries = options.malformedRetries ?? 2;
  const accounts = new Map<string, BookeoAccountClient & BookeoAccountWriter>();
  const log = options.logger.child({ component: 'bookeo-client' });

  function createAccountClient(account: BookeoAccount): BookeoAccountClient & BookeoAccountWriter {
    const secrets = [options.secretKey, account.apiKey];
    const headers = { 'X-Bookeo-secretKey': options.secretKey, 'X-Bookeo-apiKey': account.apiKey };
    const budget = createRateBudget({
      ...options.budget,
      requestsPerSecond: options.requestsPerSecond,
      maxConcurrency: options.maxConcurrency,
    });
    const accountLog = log.child({ account: account.id });

    /**
     * One retried call; `parse` runs inside the retry so a malformed body is retried too. Its waits
     * (budget, back-off) listen on a signal derived from the caller's, never on the caller's own:
     * many calls share one caller signal, and listeners on it would pile up while they wait.
     */
    async function call<T>(
      path: string,
      query: Query,
      parse: (response: RawResponse, endpoint: string) => T,
      continuation: boolean,
      callerSignal?: AbortSignal,
      label = path,
      write?: { readonly method: WriteMethod; readonly body?: unknown },
    ): Promise<T> {
      const signal = callerSignal === undefined ? undefined : AbortSignal.any([callerSignal]);
      const endpoint = describeEndpoint(path, query, write?.method);
      const exchange = (): Promise<RawResponse> =>
        write === undefined
          ? transport.get(path, query, headers, signal)
          : transport.send(write.method, path, headers, write.body, signal);
      const observed = { account: account.id, label };
      // A write's failure that does not prove nothing was done leaves the retry as it is.
      const repeatable = (error: unknown): unknown =>
        write === undefined || provesNothingDone(error) ? error : new NotRepeated(error);
      let malformed = 0;
      try {
        return await retry(
          async () => {
            const started = performance.now();
            const response = await budget.run(exchange, signal).catch((error: unknown) => {
              if (signal?.aborted !== true) options.observer?.response({ ...observed, status: 0 });
              throw repeatable(error);
            });
            options.observer?.response({ ...observed, status: response.status });
            accountLog.debug(
              { endpoint, status: response.status, ms: Math.round(performance.now() - started) },
              'bookeo request',
            );
            if (response.status < 200 || response.status >= 300) {
              const retryAfterMs = parseRetryAfter(response.headers['retry-after']);
              const error = errorFromResponse({
                status: response.status,
                endpoint,
                body: readErrorBody(response.text, secrets),
                retryAfterMs,
                continuation,
              });
              if (error instanceof BookeoRateLimitError) budget.throttled(retryAfterMs);
              throw repeatable(error);
            }
            try {
              return parse(response, endpoint);
            } catch (error) {
              if (error instanceof MalformedResponseError && ++malformed > malformedRetries) {
                throw new MalformedResponseError(
                  endpoint,
                  `${error.reason} (still after ${malformed} attempts)`,
                  false,
                );
              }
              throw error;
            }
          },
          {
            operation: endpoint,
            ...(signal === undefined ? {} : { signal }),
            ...(options.random === undefined ? {} : { random: options.random }),
            onRetry: ({ attempt, error, delayMs }) => {
              options.observer?.retry(observed);
              accountLog.warn(
                {
                  endpoint,
                  attempt,
                  delayMs,
                  error: error instanceof Error ? scrub(error.message, secrets) : 'unknown',
                },
                'bookeo request failed, retrying',
              );
            },
          },
        );
      } catch (error) {
        throw sanitize(error instanceof NotRepeated ? error.failure : error, secrets);
      }
    }

    return {
      accountId: account.id,
      budget,
      getJson(path, query = {}, requestOptions = {}) {
        return call(path, query, jsonBody, false, requestOptions.signal, requestOptions.label);
      },
      send(method, path, body, requestOptions = {}) {
        return call(path, {}, writeResult, false, requestOptions.signal, requestOptions.label, {
          method,
          ...(body === undefined ? {} : { body }),
        });
      },
      list(request, listOptions = {}) {
        const query = request.query ?? {};
        const fetchPage = (
          pageQuery: Query,
          context: { continuation: boolean; pageNumber: number; signal: AbortSignal },
        ): Promise<Envelope> =>
          request.pagination === 'none'
            ? call(
                request.path,
                pageQuery,
                (response, endpoint) => parseDataEnvelope(jsonBody(response, endpoint), endpoint),
                false,
                context.signal,
                request.label,
              )
            : call(
                request.path,
                pageQuery,
                (response, endpoint) => parsePagedEnvelope(jsonBody(response, endpoint), endpoint, context.pageNumber),
                context.continuation,
                context.signal,
                request.label,
              );
        return paginate(fetchPage, query, {
          prefetch: listOptions.prefetch ?? Math.max(0, options.maxConcurrency - 1),
          ...listOptions,
          onRestart: (error, restarts) => {
            accountLog.warn(
              { endpoint: describeEndpoint(request.path, query), restarts, errorId: error.errorId },
              'page token refused, restarting the query from page 1',
            );
            listOptions.onRestart?.(error, restarts);
          },
        });
      },
    };
  }

  const accountClient = (account: BookeoAccount): BookeoAccountClient & BookeoAccountWriter => {
    let client = accounts.get(account.id);
    if (client === undefined) {
      client = createAccountClient(account);
      accounts.set(account.id, client);
    }
    return client;
  };
  return {
    forAccount: accountClient,
    writerFor: accountClient,
    close: () => transport.close(),
  };
}

/** Last line of defence: an error whose text somehow holds a key is replaced by a scrubbed copy. */
function sanitize(error: unknown, secrets: readonly string[]): unknown {
  if (!(error instanceof Error)) return error;
  const leaks = (text: string | undefined): boolean =>
    text !== undefined && secrets.some((secret) => secret !== '' && text.includes(secret));
  if (!leaks(error.message) && !leaks(error.stack) && !leaks(safeStringify(error))) return error;
  return new ConnectError(scrub(error.message, secrets), {
    retriable: error instanceof ConnectError ? error.retriable : false,
  });
}

function safeStringify(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

/** The client as the `bookeo` configuration section describes it (the source and reconcile share it). */
export function createBookeoClientFromConfig(
  config: Pick<
    AppConfig['bookeo'],
    | 'baseUrl'
    | 'secretKey'
    | 'requestsPerSecond'
    | 'maxConcurrency'
    | 'connectTimeoutMs'
    | 'requestTimeoutMs'
    | 'retries'
  >,
  logger: Logger,
  observer?: BookeoRequestObserver,
): BookeoClient {
  return createBookeoClient({
    baseUrl: config.baseUrl,
    secretKey: config.secretKey ?? '',
    requestsPerSecond: config.requestsPerSecond,
    maxConcurrency: config.maxConcurrency,
    connectTimeoutMs: config.connectTimeoutMs,
    requestTimeoutMs: config.requestTimeoutMs,
    retries: config.retries,
    logger,
    ...(observer === undefined ? {} : { observer }),
  });
}
