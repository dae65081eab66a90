/**
 * Typed failures of the Bookeo HTTP boundary, classified by one table (status → class and
 * retriable flag), never by message text. Every message names the endpoint (path and safe query,
 * never credentials: keys travel in headers only) and quotes Bookeo's `errorId` and `message` so an
 * operator can quote them to Bookeo support.
 *
 * Public API:
 *   BookeoApiError           any non-2xx answer; `status`, `errorId`, `endpoint`, `retriable`
 *   BookeoAuthError          401/403: bad or revoked keys, missing permission; never retriable
 *   BookeoRateLimitError     429; retriable, carries `retryAfterMs` for the retry module
 *   PageTokenError           400/404/410 on a continuation request (token + pageNumber only):
 *                            the pageNavigationToken expired or is unknown; the paginator restarts
 *   MalformedResponseError   2xx whose body is not JSON or not the expected envelope; retriable
 *   BookeoNetworkError       reset, refused, timeouts; retriable
 *   errorFromResponse()      the classification table
 *   networkErrorFrom()       wraps an undici/socket error, or returns undefined for other errors
 */
import { ConnectError } from '../common/errors.js';

/** The error body Bookeo sends with every non-2xx answer: `{httpStatus, message, errorId}`. */
export interface BookeoErrorBody {
  readonly message?: string;
  readonly errorId?: string;
}

export interface BookeoApiErrorFields {
  readonly status: number;
  /** `GET /path?safe=query`: credentials never appear here. */
  readonly endpoint: string;
  readonly errorId: string | undefined;
  readonly bookeoMessage: string | undefined;
  readonly retriable: boolean;
  readonly retryAfterMs?: number;
}

function describe(prefix: string, fields: BookeoApiErrorFields): string {
  const id = fields.errorId === undefined ? '' : ` (errorId ${fields.errorId})`;
  const text = fields.bookeoMessage === undefined ? '' : `: ${fields.bookeoMessage}`;
  return `${prefix} ${fields.status} on ${fields.endpoint}${text}${id}`;
}

export class BookeoApiError extends ConnectError {
  readonly status: number;
  readonly endpoint: string;
  readonly errorId: string | undefined;
  readonly bookeoMessage: string | undefined;

  constructor(fields: BookeoApiErrorFields, prefix = 'Bookeo API error') {
    super(describe(prefix, fields), {
      retriable: fields.retriable,
      ...(fields.retryAfterMs === undefined ? {} : { retryAfterMs: fields.retryAfterMs }),
    });
    this.status = fields.status;
    this.endpoint = fields.endpoint;
    this.errorId = fields.errorId;
    this.bookeoMessage = fields.bookeoMessage;
  }
}

/** Keys rejected or lacking permission. Retrying cannot help; an operator must act. */
export class BookeoAuthError extends BookeoApiError {
  constructor(fields: Omit<BookeoApiErrorFields, 'retriable'>) {
    super(
      { ...fields, retriable: false },
      "Bookeo rejected the credentials (check the account's apiKey, the secretKey and the installation's permissions):",
    );
  }
}

export class BookeoRateLimitError extends BookeoApiError {
  constructor(fields: Omit<BookeoApiErrorFields, 'retriable'>) {
    super({ ...fields, retriable: true }, 'Bookeo throttled the request:');
  }
}

/**
 * The page token is no longer usable. Not retriable as such (the same request fails again): the
 * paginator catches it and restarts the query from page 1.
 */
export class PageTokenError extends BookeoApiError {
  constructor(fields: Omit<BookeoApiErrorFields, 'retriable'>) {
    super({ ...fields, retriable: false }, 'Bookeo refused the pageNavigationToken:');
  }
}

export class MalformedResponseError extends ConnectError {
  readonly endpoint: string;
  readonly reason: string;

  /** Retriable by default: a proxy or Bookeo itself can serve a truncated or HTML page now and then; the client turns the flag off after a few repeats. */
  constructor(endpoint: string, reason: string, retriable = true) {
    super(`malformed Bookeo response from ${endpoint}: ${reason}`, { retriable });
    this.endpoint = endpoint;
    this.reason = reason;
  }
}

export class BookeoNetworkError extends ConnectError {
  readonly endpoint: string;
  readonly code: string;

  constructor(endpoint: string, code: string, detail: string) {
    super(`network error on ${endpoint}: ${code} (${detail})`, { retriable: true });
    this.endpoint = endpoint;
    this.code = code;
  }
}

type ErrorKind = 'auth' | 'rateLimit' | 'retriable' | 'fatal';

/** The one classification table. 404 is fatal here: a catalog definition decides if a missing parent is fine. */
const STATUS_TABLE: ReadonlyArray<{ readonly match: (status: number) => boolean; readonly kind: ErrorKind }> = [
  { match: (s) => s === 401 || s === 403, kind: 'auth' },
  { match: (s) => s === 429, kind: 'rateLimit' },
  { match: (s) => s === 408 || s === 425 || s >= 500, kind: 'retriable' },
  { match: () => true, kind: 'fatal' },
];

export function classifyStatus(status: number): ErrorKind {
  return STATUS_TABLE.find((row) => row.match(status))?.kind ?? 'fatal';
}

export interface ResponseErrorInput {
  readonly status: number;
  readonly endpoint: string;
  readonly body: BookeoErrorBody | undefined;
  readonly retryAfterMs: number | undefined;
  /** True when the request carried only pageNavigationToken + pageNumber. */
  readonly continuation: boolean;
}

export function errorFromResponse(input: ResponseErrorInput): BookeoApiError {
  const fields = {
    status: input.status,
    endpoint: input.endpoint,
    errorId: input.body?.errorId,
    bookeoMessage: input.body?.message,
    ...(input.retryAfterMs === undefined ? {} : { retryAfterMs: input.retryAfterMs }),
  };
  // A continuation request carries nothing but the token and a page number, so a client error on
  // it can only be about the token (or a page past the end, which a restart also fixes).
  if (input.continuation && (input.status === 400 || input.status === 404 || input.status === 410)) {
    return new PageTokenError(fields);
  }
  switch (classifyStatus(input.status)) {
    case 'auth':
      return new BookeoAuthError(fields);
    case 'rateLimit':
      return new BookeoRateLimitError(fields);
    case 'retriable':
      return new BookeoApiError({ ...fields, retriable: true });
    case 'fatal':
      return new BookeoApiError({ ...fields, retriable: false });
  }
}

/** Socket-level failures worth another attempt (undici codes and Node's errno codes). */
const RETRIABLE_NETWORK_CODES: ReadonlySet<string> = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);

/** A retriable BookeoNetworkError for transport failures; undefined when `error` is something else (e.g. an abort). */
export function networkErrorFrom(error: unknown, endpoint: string): BookeoNetworkError | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !RETRIABLE_NETWORK_CODES.has(code)) return undefined;
  // Only the code and the library's message: the original error is not kept as `cause`, because
  // some transport errors hold request options, and those hold the key headers.
  const detail = error instanceof Error ? error.message : code;
  return new BookeoNetworkError(endpoint, code, detail);
}
