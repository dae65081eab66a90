/**
 * HTTP `Retry-After` (RFC 9110 §10.2.3): either delay-seconds or an HTTP-date. Returns the wait in
 * milliseconds, or undefined when the header is absent or unreadable (the caller then falls back
 * to its own back-off). A date in the past means "now" (0 ms).
 */

/** Bookeo never documented a ceiling; an absurd value must not park a task for days. */
export const MAX_RETRY_AFTER_MS = 15 * 60_000;

export function parseRetryAfter(
  value: string | readonly string[] | undefined,
  nowMs: number = Date.now(),
): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (typeof raw !== 'string') return undefined;
  const text = raw.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) {
    return Math.min(MAX_RETRY_AFTER_MS, Math.round(Number(text) * 1000));
  }
  // Only accept something that looks like a date: Date.parse is lenient with odd strings.
  if (!/[A-Za-z]{3}/.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, at - nowMs));
}
