/** Small HTTP helpers for the simulator contract tests: authenticated GET/POST with Bookeo's headers. */
import type { RunningSimulator } from '../../simulator/index.js';

export interface Answer<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

export interface Page<T = Record<string, unknown>> {
  info: { totalItems: number; totalPages: number; currentPage: number; pageNavigationToken?: string };
  data: T[];
}

export function authHeaders(sim: RunningSimulator, apiKey = sim.apiKeys[0] ?? ''): Record<string, string> {
  return { 'X-Bookeo-secretKey': sim.secretKey, 'X-Bookeo-apiKey': apiKey };
}

export async function get<T = Record<string, unknown>>(
  sim: RunningSimulator,
  path: string,
  options: { apiKey?: string; headers?: Record<string, string> } = {},
): Promise<Answer<T>> {
  const response = await fetch(`${sim.url}${path}`, { headers: options.headers ?? authHeaders(sim, options.apiKey) });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: (text === '' ? undefined : JSON.parse(text)) as T,
  };
}

export async function post<T = Record<string, unknown>>(
  sim: RunningSimulator,
  path: string,
  body: unknown,
  apiKey?: string,
): Promise<Answer<T>> {
  const response = await fetch(`${sim.url}${path}`, {
    method: 'POST',
    headers: { ...authHeaders(sim, apiKey), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as T };
}

/** Every page of a list: page 1 with the query, then pages 2..N with the page-1 token (in the given order). */
export async function allPages<T = Record<string, unknown>>(
  sim: RunningSimulator,
  path: string,
  order?: (pages: number[]) => number[],
): Promise<{ first: Page<T>; items: T[] }> {
  const first = await get<Page<T>>(sim, path);
  if (first.status !== 200) throw new Error(`${path} → ${first.status} ${JSON.stringify(first.body)}`);
  const rest = Array.from({ length: Math.max(0, first.body.info.totalPages - 1) }, (_, i) => i + 2);
  const byPage = new Map<number, T[]>([[1, first.body.data]]);
  for (const n of order === undefined ? rest : order(rest)) {
    const page = await get<Page<T>>(
      sim,
      `/bookings?pageNavigationToken=${first.body.info.pageNavigationToken ?? ''}&pageNumber=${n}`.replace(
        '/bookings',
        path.split('?')[0] ?? '',
      ),
    );
    if (page.status !== 200) throw new Error(`page ${n} → ${page.status} ${JSON.stringify(page.body)}`);
    byPage.set(n, page.body.data);
  }
  const items = [...byPage.keys()].sort((a, b) => a - b).flatMap((n) => byPage.get(n) ?? []);
  return { first: first.body, items };
}

export async function collect(iterable: AsyncIterable<Record<string, unknown>>): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** RFC 3339 with an explicit offset and no fraction, as Bookeo sends. */
export const BOOKEO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/;

export const iso = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, 'Z');
export const daysAfter = (date: Date, days: number): Date => new Date(date.getTime() + days * 86_400_000);

export async function del(
  sim: RunningSimulator,
  path: string,
  apiKey?: string,
): Promise<{ status: number; text: string }> {
  const response = await fetch(`${sim.url}${path}`, { method: 'DELETE', headers: authHeaders(sim, apiKey) });
  return { status: response.status, text: await response.text() };
}
