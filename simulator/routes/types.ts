/** What a /v2 route handler gets and returns. Handlers are synchronous: all data is in memory. */
import type { ApiResponse } from '../http.js';
import { servePage, type ListPage } from '../pagination.js';
import type { SimulatorState } from '../state.js';
import type { AccountData } from '../store.js';

export interface ApiRequest {
  readonly state: SimulatorState;
  readonly account: AccountData;
  readonly apiKey: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly body: unknown;
  /** Clock time in epoch seconds, fixed for the whole request. */
  readonly now: number;
}

export interface ApiRoute {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** Template with `{name}` segments, e.g. `/bookings/{bookingNumber}`; also the counters' endpoint name. */
  readonly path: string;
  readonly handler: (request: ApiRequest) => ApiResponse;
}

/** A paged list answer (see pagination.ts) for one resource kind. */
export function listPage<C>(
  request: ApiRequest,
  kind: string,
  maxItemsPerPage: number,
  search: () => { ids: Int32Array; context: C },
  render: (id: number, context: C) => Record<string, unknown> | undefined,
): ListPage {
  return servePage(request.state.tokens, {
    query: request.query,
    kind,
    apiKey: request.apiKey,
    now: request.now,
    ttlSeconds: request.state.tokenTtl(request.apiKey),
    maxItemsPerPage,
    search,
    render,
  });
}

export function allIndices(count: number, keep: (index: number) => boolean): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < count; i++) if (keep(i)) out.push(i);
  return Int32Array.from(out);
}
