/**
 * The headers every resource record carries (UTF-8 strings), four and no more: every header costs
 * each producer and each consumer time per record (kafkajs encodes and decodes them one object at a
 * time), which at hundreds of thousands of records is a large share of both sides' work.
 *   bookeo.resource         the resource (as the topic says, kept for consumers of mixed streams)
 *   bookeo.fetched-at       when the page was fetched (ISO 8601, UTC)
 *   bookeo.request          the query that found it: a window `start/end`, `full`, `created-since:<t>`, `parent:<id>`
 *   bookeo.idempotency-key  `<account>/<resource>/<id>@<version>` (idempotency-key.ts)
 * Dead letters carry their own vocabulary (dead-letter-headers.ts).
 */
import type { RecordHeaders } from '../kafka/records.js';

export const RECORD_HEADER = Object.freeze({
  resource: 'bookeo.resource',
  fetchedAt: 'bookeo.fetched-at',
  request: 'bookeo.request',
  idempotencyKey: 'bookeo.idempotency-key',
});

export type { HeaderValue, RecordHeaders } from '../kafka/records.js';

/** A header's text (its first value when repeated), or undefined when the record has none. */
export function headerText(headers: RecordHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  const first = typeof value === 'string' || Buffer.isBuffer(value) ? value : value?.[0];
  return first === undefined ? undefined : first.toString();
}
