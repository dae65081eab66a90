/**
 * Bookeo pagination. A multi-page result gets a `pageNavigationToken`: a snapshot of the matching
 * ids taken when page 1 was served (so items never shift between pages while data changes), kept
 * for a time to live measured on the simulator clock. Pages are then fetched with the token and
 * any `pageNumber`, in any order. Items are materialised from their current state when served.
 *
 * Snapshots are Int32Arrays of internal indices (4 bytes per item) and their total size is capped;
 * the oldest are dropped first, which a client sees as an expired token, as it would on Bookeo.
 */
import { randomBytes } from 'node:crypto';
import { BookeoApiError, badRequest } from './http.js';
import { intParam } from './params.js';

export const DEFAULT_ITEMS_PER_PAGE = 50;

interface Snapshot {
  readonly kind: string;
  readonly apiKey: string;
  readonly ids: Int32Array;
  readonly itemsPerPage: number;
  readonly context: unknown;
  readonly expiresAt: number;
}

export class TokenStore {
  private readonly snapshots = new Map<string, Snapshot>();
  private heldIds = 0;

  private readonly maxIds: number;

  constructor(maxIds: number) {
    this.maxIds = maxIds;
  }

  create(snapshot: Snapshot): string {
    const token = randomBytes(18).toString('base64url');
    this.snapshots.set(token, snapshot);
    this.heldIds += snapshot.ids.length;
    for (const [oldest, held] of this.snapshots) {
      if (this.heldIds <= this.maxIds || oldest === token) break;
      this.drop(oldest, held);
    }
    return token;
  }

  find(token: string, kind: string, apiKey: string, now: number): Snapshot | undefined {
    const snapshot = this.snapshots.get(token);
    if (snapshot === undefined || snapshot.apiKey !== apiKey || snapshot.kind !== kind) return undefined;
    if (now >= snapshot.expiresAt) {
      this.drop(token, snapshot);
      return undefined;
    }
    return snapshot;
  }

  /** Drops every token of an account (the "tokens expire early" fault) or all of them. */
  expire(apiKey?: string): number {
    let dropped = 0;
    for (const [token, snapshot] of this.snapshots) {
      if (apiKey === undefined || snapshot.apiKey === apiKey) {
        this.drop(token, snapshot);
        dropped++;
      }
    }
    return dropped;
  }

  prune(now: number): void {
    for (const [token, snapshot] of this.snapshots) if (now >= snapshot.expiresAt) this.drop(token, snapshot);
  }

  stats(): { tokens: number; ids: number } {
    return { tokens: this.snapshots.size, ids: this.heldIds };
  }

  private drop(token: string, snapshot: Snapshot): void {
    this.snapshots.delete(token);
    this.heldIds -= snapshot.ids.length;
  }
}

export interface ListRequest<C> {
  readonly query: URLSearchParams;
  readonly kind: string;
  readonly apiKey: string;
  readonly now: number;
  readonly ttlSeconds: number;
  readonly maxItemsPerPage: number;
  /** Runs the search (only for page 1 without a token); `context` travels with the token. */
  readonly search: () => { ids: Int32Array; context: C };
  /** The item as served now, or undefined when it no longer exists (hard-deleted). */
  readonly render: (id: number, context: C) => Record<string, unknown> | undefined;
}

export interface ListPage {
  info: { totalItems: number; totalPages: number; currentPage: number; pageNavigationToken?: string };
  data: Record<string, unknown>[];
}

export function servePage<C>(tokens: TokenStore, request: ListRequest<C>): ListPage {
  const { query } = request;
  const token = query.get('pageNavigationToken');
  const pageNumber = intParam(query, 'pageNumber') ?? 1;
  if (pageNumber < 1) throw badRequest('pageNumber must be 1 or more');
  let ids: Int32Array;
  let context: C;
  let itemsPerPage: number;
  let tokenOut: string | undefined;
  if (token !== null && token !== '') {
    const snapshot = tokens.find(token, request.kind, request.apiKey, request.now);
    if (snapshot === undefined) throw new BookeoApiError(400, 'invalid or expired pageNavigationToken');
    ids = snapshot.ids;
    context = snapshot.context as C;
    itemsPerPage = snapshot.itemsPerPage;
    tokenOut = token;
  } else {
    itemsPerPage = intParam(query, 'itemsPerPage') ?? DEFAULT_ITEMS_PER_PAGE;
    if (itemsPerPage < 1 || itemsPerPage > request.maxItemsPerPage)
      throw badRequest(`itemsPerPage must be between 1 and ${request.maxItemsPerPage}, got ${itemsPerPage}`);
    if (pageNumber > 1) throw badRequest('pageNumber above 1 needs the pageNavigationToken of the search');
    ({ ids, context } = request.search());
    if (ids.length > itemsPerPage) {
      tokenOut = tokens.create({
        kind: request.kind,
        apiKey: request.apiKey,
        ids,
        itemsPerPage,
        context,
        expiresAt: request.now + request.ttlSeconds,
      });
    }
  }
  const totalPages = Math.ceil(ids.length / itemsPerPage);
  if (pageNumber > Math.max(1, totalPages))
    throw badRequest(`pageNumber ${pageNumber} is beyond the last page (${totalPages})`);
  const data: Record<string, unknown>[] = [];
  const end = Math.min(ids.length, pageNumber * itemsPerPage);
  for (let k = (pageNumber - 1) * itemsPerPage; k < end; k++) {
    const item = request.render(ids[k] as number, context);
    if (item !== undefined) data.push(item);
  }
  const info: ListPage['info'] = { totalItems: ids.length, totalPages, currentPage: pageNumber };
  if (tokenOut !== undefined) info.pageNavigationToken = tokenOut;
  return { info, data };
}
