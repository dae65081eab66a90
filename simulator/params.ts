/** Query-parameter parsing with Bookeo's rules; every violation is a 400 with a message saying which parameter and why. */
import { badRequest } from './http.js';
import { DAY, parseQueryTime, type Zone } from './time.js';

export const MAX_WINDOW_SECONDS = 31 * DAY;

export function boolParam(query: URLSearchParams, name: string, fallback: boolean): boolean {
  const value = query.get(name);
  if (value === null || value === '') return fallback;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw badRequest(`${name} must be true or false, got "${value}"`);
}

export function intParam(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  if (value === null || value === '') return undefined;
  if (!/^\d{1,9}$/.test(value)) throw badRequest(`${name} must be a positive integer, got "${value}"`);
  return Number(value);
}

export function timeParam(query: URLSearchParams, name: string, zone: Zone): number | undefined {
  const value = query.get(name);
  if (value === null || value === '') return undefined;
  const seconds = parseQueryTime(value, zone);
  if (seconds === undefined)
    throw badRequest(`${name} is not a valid date-time (RFC 3339 with offset, e.g. 2026-05-01T00:00:00Z): "${value}"`);
  return seconds;
}

/**
 * A (start, end) pair: both or neither (half a pair is a 400), end not before start, and at most
 * 31 days apart when `maxSeconds` is set. Returns [start, end] in seconds, both inclusive.
 */
export function windowParam(
  query: URLSearchParams,
  startName: string,
  endName: string,
  zone: Zone,
  maxSeconds: number | undefined,
): readonly [number, number] | undefined {
  const start = timeParam(query, startName, zone);
  const end = timeParam(query, endName, zone);
  if (start === undefined && end === undefined) return undefined;
  if (start === undefined || end === undefined)
    throw badRequest(
      `${startName} and ${endName} must be given together (got only ${start === undefined ? endName : startName})`,
    );
  if (end < start) throw badRequest(`${endName} is before ${startName}`);
  if (maxSeconds !== undefined && end - start > maxSeconds)
    throw badRequest(`${startName}..${endName} spans more than ${maxSeconds / DAY} days`);
  return [start, end];
}
