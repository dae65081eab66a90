/**
 * The one place that touches undici: a keep-alive Pool per base URL origin, connect and overall
 * request timeouts, and the body always read (an unread body pins the socket). Returns raw
 * status/headers/text; classification, retries and budgets live in client.ts.
 *
 * Public API:
 *   createTransport(options): Transport
 *   Transport.get(path, query, headers, signal?) → RawResponse   (path is relative to the base URL)
 *   Transport.send(method, path, headers, body?, signal?) → RawResponse   (POST/DELETE; body is sent as JSON)
 *   Transport.close()
 * Transport failures come back as BookeoNetworkError (retriable) or the caller's AbortError.
 */
import { Pool, type Dispatcher } from 'undici';
import { BookeoNetworkError, networkErrorFrom } from './errors.js';
import type { Query } from './pagination.js';

export interface TransportOptions {
  /** e.g. https://api.bookeo.com/v2; the path part is prefixed to every request. */
  readonly baseUrl: string;
  readonly connectTimeoutMs: number;
  /** Whole request, headers and body included. */
  readonly requestTimeoutMs: number;
  /** Sockets kept per origin (default 16; the rate budgets bound real concurrency). */
  readonly connections?: number;
  /** Tests may pass an undici MockAgent or similar; otherwise a Pool is created per origin. */
  readonly dispatcher?: Dispatcher;
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
}

export interface Transport {
  get(
    path: string,
    query: Query,
    headers: Readonly<Record<string, string>>,
    signal?: AbortSignal,
  ): Promise<RawResponse>;
  /** A write (webhook management): the body, when given, is sent as JSON. */
  send(
    method: WriteMethod,
    path: string,
    headers: Readonly<Record<string, string>>,
    body?: unknown,
    signal?: AbortSignal,
  ): Promise<RawResponse>;
  close(): Promise<void>;
}

export type WriteMethod = 'POST' | 'DELETE';
export type HttpMethod = 'GET' | WriteMethod;

/** `GET /path?query` relative to the base URL, for messages and logs (queries never hold credentials). */
export function describeEndpoint(path: string, query: Query, method: HttpMethod = 'GET'): string {
  const search = toSearch(query);
  return `${method} ${path}${search}`;
}

function toSearch(query: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) params.append(key, String(value));
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

export function createTransport(options: TransportOptions): Transport {
  const base = new URL(options.baseUrl);
  const basePath = base.pathname.replace(/\/+$/, '');
  const pools = new Map<string, Dispatcher>();
  const ownsDispatcher = options.dispatcher === undefined;

  function dispatcherFor(origin: string): Dispatcher {
    if (options.dispatcher !== undefined) return options.dispatcher;
    let pool = pools.get(origin);
    if (pool === undefined) {
      pool = new Pool(origin, {
        connections: options.connections ?? 16,
        connect: { timeout: options.connectTimeoutMs },
        headersTimeout: options.requestTimeoutMs,
        bodyTimeout: options.requestTimeoutMs,
        keepAliveTimeout: 30_000,
      });
      pools.set(origin, pool);
    }
    return pool;
  }

  async function request(
    method: HttpMethod,
    path: string,
    query: Query,
    headers: Readonly<Record<string, string>>,
    body: unknown,
    signal: AbortSignal | undefined,
  ): Promise<RawResponse> {
    const endpoint = describeEndpoint(path, query, method);
    const timeout = AbortSignal.timeout(options.requestTimeoutMs);
    const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
    try {
      const response = await dispatcherFor(base.origin).request({
        origin: base.origin,
        method,
        path: `${basePath}${path}${toSearch(query)}`,
        headers: { accept: 'application/json', 'content-type': 'application/json', ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: combined,
      });
      const text = await response.body.text();
      return { status: response.statusCode, headers: response.headers, text };
    } catch (error) {
      // The caller's own abort (shutdown) passes through untouched; everything else is classified.
      if (signal?.aborted === true) throw signal.reason;
      if (timeout.aborted)
        throw new BookeoNetworkError(endpoint, 'ETIMEDOUT', `no complete answer within ${options.requestTimeoutMs} ms`);
      const network =
        networkErrorFrom(error, endpoint) ?? networkErrorFrom((error as { cause?: unknown }).cause, endpoint);
      if (network !== undefined) throw network;
      throw error;
    }
  }

  return {
    get: (path, query, headers, signal) => request('GET', path, query, headers, undefined, signal),
    send: (method, path, headers, body, signal) => request(method, path, {}, headers, body, signal),

    async close() {
      if (!ownsDispatcher) return;
      await Promise.all([...pools.values()].map((pool) => pool.close()));
      pools.clear();
    },
  };
}
