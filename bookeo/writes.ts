/**
 * What the client needs for writes (POST/DELETE, webhook management) beyond its reads: which
 * failures prove Bookeo did nothing (so the write may be repeated), a wrapper that carries any
 * other failure through the retry module unrepeated, and the answer of a write.
 */
import { ConnectError } from '../common/errors.js';
import { BookeoNetworkError, BookeoRateLimitError } from './errors.js';
import type { RawResponse } from './transport.js';

/** What a write answered: its status, its JSON body (undefined when empty or not JSON) and its Location header. */
export interface WriteResult {
  readonly status: number;
  readonly body: unknown;
  readonly location: string | undefined;
}

/** Connection failures before a request could be sent: Bookeo cannot have acted on it. */
const NOT_SENT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);

export function provesNothingDone(error: unknown): boolean {
  return (
    error instanceof BookeoRateLimitError || (error instanceof BookeoNetworkError && NOT_SENT_CODES.has(error.code))
  );
}

/** Carries a write's failure through the retry module untouched (not retriable there), then is unwrapped. */
export class NotRepeated extends ConnectError {
  readonly failure: unknown;
  constructor(failure: unknown) {
    super('not repeated');
    this.failure = failure;
  }
}

/** A write's answer: an empty or non-JSON body is no failure (the write was done). */
export function writeResult(response: RawResponse): WriteResult {
  let body: unknown;
  try {
    body = response.text === '' ? undefined : JSON.parse(response.text);
  } catch {
    body = undefined;
  }
  const location = response.headers.location;
  return { status: response.status, body, location: Array.isArray(location) ? location[0] : location };
}
