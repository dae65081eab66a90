/**
 * Bookeo's error shape and the response type route handlers return. Every failed call answers
 * `{httpStatus, message, errorId}` (the fields Bookeo clients read) with a non-2xx status.
 */
import { randomBytes } from 'node:crypto';
import { ConnectError } from '../common/errors.js';

export class BookeoApiError extends ConnectError {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, message: string, headers: Readonly<Record<string, string>> = {}) {
    super(message, { retriable: status === 429 || status >= 500 });
    this.status = status;
    this.headers = headers;
  }
}

export const badRequest = (message: string): BookeoApiError => new BookeoApiError(400, message);
export const notFound = (what: string): BookeoApiError => new BookeoApiError(404, `${what} not found`);

export interface ErrorBody {
  httpStatus: number;
  message: string;
  errorId: string;
}

export function errorBody(status: number, message: string): ErrorBody {
  // Opaque, unique per failure: what a user would quote to Bookeo support.
  return { httpStatus: status, message, errorId: randomBytes(8).toString('hex').toUpperCase() };
}

export interface ApiResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** A list page: subject to list-only faults (malformed JSON) and to schema drift per item. */
  records?: 'list' | 'single';
}

export const ok = (body: unknown, records?: 'list' | 'single'): ApiResponse =>
  records === undefined ? { status: 200, body } : { status: 200, body, records };
