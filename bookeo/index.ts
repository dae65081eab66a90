/**
 * The Bookeo side of the source, for the task loop: one client per deployment, one account client
 * (with its rate budget) per Bookeo account, paged listings as async iterators, typed errors.
 *
 *   const bookeo = createBookeoClient({ ...config.bookeo, secretKey, logger });
 *   const account = bookeo.forAccount({ id, apiKey });
 *   for await (const page of account.list(listRequest(definition, { window }), { fingerprint: (i) => entityFingerprint(definition, i), signal })) { ... }
 *
 * Errors: BookeoAuthError (stop the account, tell the operator), RetriesExhaustedError (from
 * common/errors; the retriable cause kept failing), MalformedResponseError with retriable=false,
 * BookeoApiError (4xx). Everything retriable was already retried inside the client.
 */
export { createBookeoClient } from './client.js';
export type {
  BookeoAccount,
  BookeoAccountClient,
  BookeoAccountWriter,
  BookeoClient,
  BookeoClientOptions,
  ListOptions,
  ListRequest,
  RequestOptions,
  WriteResult,
} from './client.js';
export {
  BookeoApiError,
  BookeoAuthError,
  BookeoNetworkError,
  BookeoRateLimitError,
  MalformedResponseError,
  PageTokenError,
} from './errors.js';
export type { Page, Query, QueryValue } from './pagination.js';
export type { RateBudget, RateBudgetState } from './rate-budget.js';
