/**
 * Bookeo authentication: the application's secretKey and the installation's apiKey, either as
 * query parameters or as `X-Bookeo-secretKey` / `X-Bookeo-apiKey` headers (interchangeable; when
 * both forms are sent the header wins, a choice: Bookeo does not say). Failures are 403.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { BookeoApiError } from './http.js';
import type { SimulatorState } from './state.js';
import type { AccountData } from './store.js';

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function authenticate(state: SimulatorState, headers: IncomingHttpHeaders, query: URLSearchParams): AccountData {
  const secretKey = header(headers, 'x-bookeo-secretkey') ?? query.get('secretKey') ?? undefined;
  const apiKey = header(headers, 'x-bookeo-apikey') ?? query.get('apiKey') ?? undefined;
  if (secretKey === undefined || secretKey === '' || apiKey === undefined || apiKey === '') {
    throw new BookeoApiError(
      403,
      'missing secretKey or apiKey (send both as query parameters or as X-Bookeo-secretKey / X-Bookeo-apiKey headers)',
    );
  }
  if (!same(secretKey, state.secretKey)) throw new BookeoApiError(403, 'invalid secretKey');
  const account = state.accounts.get(apiKey);
  if (account === undefined)
    throw new BookeoApiError(403, 'invalid apiKey, or the application is not installed in this account');
  return account;
}

/** The apiKey a request claims, for counters, even when it fails authentication. */
export function claimedApiKey(headers: IncomingHttpHeaders, query: URLSearchParams): string {
  return header(headers, 'x-bookeo-apikey') ?? query.get('apiKey') ?? '-';
}
