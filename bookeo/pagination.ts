/**
 * Bookeo list pagination (bookeo-api.md §2) as an async iterator of pages, plus envelope checks.
 *
 * Page 1 is fetched with the query; its `info.pageNavigationToken` is kept and pages
 * 2..totalPages are fetched with only `pageNavigationToken` + `pageNumber` (the token carries the
 * search). Once the caller asks for page 2, later pages may be fetched ahead (`prefetch`, still
 * inside the account's rate budget) but are always yielded in order, so a caller can checkpoint
 * per page. When Bookeo refuses the token (PageTokenError: expired or unknown) the query restarts
 * from page 1; with `fingerprint` given, items already yielded unchanged are not yielded again, so
 * a consumer never handles an item twice while every page is fetched again (pages are cheap, the
 * work a consumer does per item may not be). A listing may outlive several tokens: only restarts
 * that make no progress (no page further than any page before them) count toward `maxRestarts`.
 *
 * The caller's signal gets no listener of ours: each query runs on a signal derived from it
 * (AbortSignal.any), so any number of listings may share one long-lived signal.
 *
 * Public API:
 *   paginate(fetchPage, query, options): AsyncGenerator<Page>
 *   parsePagedEnvelope(body, endpoint, expectedPage?) / parseDataEnvelope(body, endpoint)
 */
import { MalformedResponseError, PageTokenError } from './errors.js';

export type QueryValue = string | number | boolean;
export type Query = Readonly<Record<string, QueryValue>>;

export interface PageInfo {
  readonly totalItems: number;
  readonly totalPages: number;
  readonly currentPage: number;
  readonly pageNavigationToken: string | undefined;
}

export interface Envelope {
  readonly info: PageInfo;
  readonly data: readonly unknown[];
}

export interface Page<T = unknown> {
  readonly items: readonly T[];
  /** 1-based. After a restart numbering starts at 1 again. */
  readonly pageNumber: number;
  /** 0 when the query matched nothing (a single empty page is still yielded). */
  readonly totalPages: number;
  readonly totalItems: number;
  /** How many times the query was restarted from page 1 because the token was refused (progress or not). */
  readonly restarts: number;
}

export interface FetchPageContext {
  /** True for pages 2..n: the request carries only the token and the page number. */
  readonly continuation: boolean;
  readonly pageNumber: number;
  readonly signal: AbortSignal;
}

export type PageFetcher = (query: Query, context: FetchPageContext) => Promise<Envelope>;

export interface PaginateOptions {
  /** Pages fetched ahead of the one being consumed (default 2; 0 = strictly sequential). */
  readonly prefetch?: number;
  /** Restarts in a row without progress (no page further than before) before giving up (default 3). */
  readonly maxRestarts?: number;
  /** Identity + version of an item (e.g. `id@lastChangeTime`); used to skip repeats after a restart. */
  readonly fingerprint?: (item: unknown) => string;
  readonly onRestart?: (error: PageTokenError, restarts: number) => void;
  readonly signal?: AbortSignal;
}

export async function* paginate(
  fetchPage: PageFetcher,
  query: Query,
  options: PaginateOptions = {},
): AsyncGenerator<Page> {
  const prefetch = Math.max(0, options.prefetch ?? 2);
  const maxRestarts = options.maxRestarts ?? 3;
  const yielded = new Set<string>();
  let restarts = 0;
  let fruitlessRestarts = 0;
  let furthestPage = 0;

  const toPage = (envelope: Envelope, pageNumber: number, first: Envelope): Page => {
    if (pageNumber > furthestPage) {
      furthestPage = pageNumber;
      fruitlessRestarts = 0;
    }
    let items = envelope.data;
    if (options.fingerprint !== undefined) {
      const fingerprint = options.fingerprint;
      if (restarts > 0) items = items.filter((item) => !yielded.has(fingerprint(item)));
      for (const item of items) yielded.add(fingerprint(item));
    }
    return { items, pageNumber, totalPages: first.info.totalPages, totalItems: first.info.totalItems, restarts };
  };

  for (;;) {
    const controller = new AbortController();
    const signal =
      options.signal === undefined ? controller.signal : AbortSignal.any([options.signal, controller.signal]);
    const inflight = new Map<number, Promise<Envelope>>();
    try {
      options.signal?.throwIfAborted();
      const first = await fetchPage(query, { continuation: false, pageNumber: 1, signal });
      const totalPages = first.info.totalPages;
      const token = first.info.pageNavigationToken;
      let next = 2;
      // Keeps up to `limit` pages in flight; pages are launched in order, so page n is in flight
      // (or done) whenever next > n.
      const launch = (limit: number): void => {
        while (token !== undefined && next <= totalPages && inflight.size < limit) {
          const pageNumber = next++;
          const pending = fetchPage(
            { pageNavigationToken: token, pageNumber },
            { continuation: true, pageNumber, signal },
          );
          // Observed later, in order; this only keeps an early failure from being "unhandled".
          pending.catch(() => undefined);
          inflight.set(pageNumber, pending);
        }
      };
      // Pages ahead are requested only once the consumer comes back for more: one that stops after
      // page 1 (e.g. a window split because page 1 reports too many items) pays for no page it never reads.
      yield toPage(first, 1, first);
      if (token === undefined) return;
      launch(prefetch);
      for (let pageNumber = 2; pageNumber <= totalPages; pageNumber++) {
        launch(Math.max(1, prefetch));
        const pending = inflight.get(pageNumber);
        if (pending === undefined) throw new Error(`invariant: page ${pageNumber} was not requested`);
        const envelope = await pending;
        inflight.delete(pageNumber);
        launch(prefetch);
        yield toPage(envelope, pageNumber, first);
      }
      return;
    } catch (error) {
      if (error instanceof PageTokenError && fruitlessRestarts < maxRestarts && options.signal?.aborted !== true) {
        restarts++;
        fruitlessRestarts++;
        options.onRestart?.(error, restarts);
        continue;
      }
      throw error;
    } finally {
      // Stop pages fetched ahead when the consumer stops early, fails or restarts.
      controller.abort();
    }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

/** Validates a paged list body `{info, data}`; anything else is a MalformedResponseError. */
export function parsePagedEnvelope(body: unknown, endpoint: string, expectedPage?: number): Envelope {
  if (!isObject(body)) throw new MalformedResponseError(endpoint, 'body is not a JSON object');
  const { info, data } = body;
  if (!Array.isArray(data)) throw new MalformedResponseError(endpoint, 'envelope has no `data` array');
  if (!isObject(info)) throw new MalformedResponseError(endpoint, 'envelope has no `info` object');
  const { totalItems, totalPages, currentPage, pageNavigationToken } = info;
  if (!isCount(totalItems) || !isCount(totalPages)) {
    throw new MalformedResponseError(endpoint, '`info.totalItems`/`info.totalPages` are not non-negative integers');
  }
  const page = isCount(currentPage) ? currentPage : 1;
  if (expectedPage !== undefined && isCount(currentPage) && currentPage !== expectedPage) {
    throw new MalformedResponseError(endpoint, `asked for page ${expectedPage}, got page ${currentPage}`);
  }
  if (pageNavigationToken !== undefined && typeof pageNavigationToken !== 'string') {
    throw new MalformedResponseError(endpoint, '`info.pageNavigationToken` is not a string');
  }
  if (totalPages > 1 && pageNavigationToken === undefined && page === 1) {
    throw new MalformedResponseError(endpoint, `${totalPages} pages but no pageNavigationToken`);
  }
  return { info: { totalItems, totalPages, currentPage: page, pageNavigationToken }, data };
}

/** Validates an unpaged list body `{data}` (e.g. /settings/languages); `info`, when present, is ignored. */
export function parseDataEnvelope(body: unknown, endpoint: string): Envelope {
  if (!isObject(body)) throw new MalformedResponseError(endpoint, 'body is not a JSON object');
  if (!Array.isArray(body.data)) throw new MalformedResponseError(endpoint, 'envelope has no `data` array');
  const count = body.data.length;
  return {
    info: { totalItems: count, totalPages: count === 0 ? 0 : 1, currentPage: 1, pageNavigationToken: undefined },
    data: body.data,
  };
}
