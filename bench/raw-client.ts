/**
 * The limit the source is measured against: a plain undici client that reads every page of the
 * source's own backfill plan for bookings (the windows `planWindows` makes, each queried exactly as
 * `listRequest` queries it: page 1 with the filter, then 2..N with the token), `concurrency`
 * windows at a time, and does nothing with the items but parse and count them. Its page count is
 * therefore the minimum number of calls the source's plan needs; the source may only add to it by
 * splitting windows that are too full for one transaction.
 */
import { Pool } from 'undici';
import { sourceSchema } from '../common/config/schema.js';
import type { ListRequest } from '../bookeo/client.js';
import { resourceByName, type WindowedStrategy } from '../bookeo/catalog/catalog.js';
import { listRequest } from '../bookeo/catalog/requests.js';
import { maxWindowSeconds, parseBackfillFrom, planWindows } from '../bookeo/catalog/windows.js';

export interface RawReadOptions {
  /** Base URL ending in /v2. */
  readonly url: string;
  readonly secretKey: string;
  readonly apiKey: string;
  readonly requests: readonly ListRequest[];
  readonly concurrency: number;
}

export interface RawReadResult {
  readonly pages: number;
  readonly items: number;
  readonly bytes: number;
  readonly seconds: number;
}

/** The bookings backfill the source plans for `backfillFrom` at `nowMs` (first poll, default safety lag), as list requests. */
export function bookingsBackfillPlan(backfillFrom: string, nowMs: number): ListRequest[] {
  const row = resourceByName('bookings');
  const windows = planWindows({
    cursor: undefined,
    backfillFrom: parseBackfillFrom(backfillFrom),
    now: nowMs / 1000,
    safetyLagSeconds: sourceSchema.parse({}).safetyLagSeconds,
    lookbackSeconds: 0,
    maxWindowSeconds: maxWindowSeconds(row.cursor as WindowedStrategy),
  });
  return windows.map((window) => listRequest(row, { window }));
}

interface PageBody {
  readonly info: { readonly totalPages: number; readonly pageNavigationToken?: string };
  readonly data: readonly unknown[];
}

function searchOf(query: ListRequest['query']): string {
  return new URLSearchParams(
    Object.entries(query ?? {}).map(([key, value]): [string, string] => [key, String(value)]),
  ).toString();
}

function pageReader(options: Pick<RawReadOptions, 'url' | 'secretKey' | 'apiKey' | 'concurrency'>) {
  const base = new URL(options.url);
  const pool = new Pool(base.origin, { connections: options.concurrency, pipelining: 1 });
  const headers = { 'x-bookeo-secretkey': options.secretKey, 'x-bookeo-apikey': options.apiKey };
  const totals = { pages: 0, items: 0, bytes: 0 };
  const fetchPage = async (path: string, search: string): Promise<PageBody> => {
    const target = `${base.pathname}${path}?${search}`;
    const response = await pool.request({ method: 'GET', path: target, headers });
    const text = await response.body.text();
    if (response.statusCode !== 200) throw new Error(`${target} → ${response.statusCode} ${text.slice(0, 200)}`);
    const page = JSON.parse(text) as PageBody;
    totals.pages++;
    totals.items += page.data.length;
    totals.bytes += text.length;
    return page;
  };
  return { fetchPage, totals, close: () => pool.close() };
}

/** `worker` over `requests`, `concurrency` at a time. */
async function eachRequest(
  requests: readonly ListRequest[],
  concurrency: number,
  worker: (request: ListRequest) => Promise<void>,
): Promise<void> {
  let next = 0;
  const run = async (): Promise<void> => {
    for (let index = next++; index < requests.length; index = next++) await worker(requests[index] as ListRequest);
  };
  await Promise.all(Array.from({ length: concurrency }, run));
}

/** Reads every page of every request. */
export async function readWindows(options: RawReadOptions): Promise<RawReadResult> {
  const reader = pageReader(options);
  const started = performance.now();
  try {
    await eachRequest(options.requests, options.concurrency, async (request) => {
      const first = await reader.fetchPage(request.path, searchOf(request.query));
      for (let n = 2; n <= first.info.totalPages; n++)
        await reader.fetchPage(
          request.path,
          searchOf({ pageNavigationToken: first.info.pageNavigationToken ?? '', pageNumber: n }),
        );
    });
  } finally {
    await reader.close();
  }
  return { ...reader.totals, seconds: (performance.now() - started) / 1000 };
}

/** The pages a full read of `requests` takes (an empty window still takes its one call), from page 1 of each. */
export async function countPages(options: RawReadOptions): Promise<number> {
  const reader = pageReader(options);
  let pages = 0;
  try {
    await eachRequest(options.requests, options.concurrency, async (request) => {
      const first = await reader.fetchPage(request.path, searchOf(request.query));
      pages += Math.max(1, first.info.totalPages);
    });
  } finally {
    await reader.close();
  }
  return pages;
}
