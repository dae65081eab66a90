/**
 * The limit the source is measured against: a plain undici client that reads every page of the
 * given /bookings windows (page 1, then 2..N with the token), `concurrency` windows at a time, and
 * does nothing with the items but count them. Its page count is also the minimum number of calls
 * a connector needs for the same data.
 */
import { Pool } from 'undici';

export interface RawReadOptions {
  /** Base URL ending in /v2. */
  readonly url: string;
  readonly secretKey: string;
  readonly apiKey: string;
  /** Query strings of page 1, e.g. `lastUpdatedStartTime=…&lastUpdatedEndTime=…`. */
  readonly windows: readonly string[];
  readonly concurrency: number;
  readonly itemsPerPage?: number;
}

export interface RawReadResult {
  readonly pages: number;
  readonly items: number;
  readonly bytes: number;
  readonly seconds: number;
}

export async function readWindows(options: RawReadOptions): Promise<RawReadResult> {
  const base = new URL(options.url);
  const pool = new Pool(base.origin, { connections: options.concurrency, pipelining: 1 });
  const headers = { 'x-bookeo-secretkey': options.secretKey, 'x-bookeo-apikey': options.apiKey };
  let pages = 0;
  let items = 0;
  let bytes = 0;
  const fetchPage = async (query: string): Promise<{ info: { totalPages: number; pageNavigationToken?: string }; data: unknown[] }> => {
    const path = `${base.pathname}/bookings?${query}`;
    const response = await pool.request({ method: 'GET', path, headers });
    const text = await response.body.text();
    if (response.statusCode !== 200) throw new Error(`${path} → ${response.statusCode} ${text.slice(0, 200)}`);
    const page = JSON.parse(text) as { info: { totalPages: number; pageNavigationToken?: string }; data: unknown[] };
    pages++;
    items += page.data.length;
    bytes += text.length;
    return page;
  };
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < options.windows.length; index = next++) {
      const first = await fetchPage(`${options.windows[index]}&includeCanceled=true&expandParticipants=true&itemsPerPage=${options.itemsPerPage ?? 100}`);
      for (let n = 2; n <= first.info.totalPages; n++) await fetchPage(`pageNavigationToken=${first.info.pageNavigationToken ?? ''}&pageNumber=${n}`);
    }
  };
  const started = performance.now();
  try {
    await Promise.all(Array.from({ length: options.concurrency }, worker));
  } finally {
    await pool.close();
  }
  return { pages, items, bytes, seconds: (performance.now() - started) / 1000 };
}
