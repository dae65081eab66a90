/**
 * Time as the simulator keeps and shows it. Internally every instant is whole epoch seconds in
 * a typed array; on the wire it is RFC 3339 with the account's local UTC offset (Bookeo sends
 * venue-local offsets such as `2015-03-30T17:02:00+11:00`), computed per IANA zone with DST.
 */

export const DAY = 86_400;
export const HOUR = 3_600;

/** One IANA time zone with a cache of offsets per hour (transitions fall on hour boundaries in practice). */
export class Zone {
  private readonly format: Intl.DateTimeFormat;
  private readonly cache = new Map<number, number>();

  readonly name: string;

  constructor(name: string) {
    this.name = name;
    this.format = new Intl.DateTimeFormat('en-US', { timeZone: name, timeZoneName: 'longOffset', year: 'numeric' });
  }

  /** Offset from UTC in seconds at the given instant. */
  offset(epochSeconds: number): number {
    const bucket = Math.floor(epochSeconds / HOUR);
    const cached = this.cache.get(bucket);
    if (cached !== undefined) return cached;
    const part =
      this.format.formatToParts(new Date(bucket * HOUR * 1000)).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
    const match = /GMT([+-])(\d{2}):(\d{2})/.exec(part);
    const offset = match === null ? 0 : (match[1] === '-' ? -1 : 1) * (Number(match[2]) * HOUR + Number(match[3]) * 60);
    if (this.cache.size > 200_000) this.cache.clear(); // bounded: a few years of hours fit easily
    this.cache.set(bucket, offset);
    return offset;
  }

  /** `2026-06-01T09:30:00-04:00`: Bookeo's shape, no fraction. */
  iso(epochSeconds: number): string {
    const offset = this.offset(epochSeconds);
    const local = new Date((epochSeconds + offset) * 1000).toISOString().slice(0, 19);
    if (offset === 0) return `${local}+00:00`;
    const abs = Math.abs(offset);
    const hh = String(Math.floor(abs / HOUR)).padStart(2, '0');
    const mm = String(Math.floor((abs % HOUR) / 60)).padStart(2, '0');
    return `${local}${offset < 0 ? '-' : '+'}${hh}:${mm}`;
  }

  /** The local calendar date `YYYY-MM-DD` of an instant. */
  date(epochSeconds: number): string {
    return new Date((epochSeconds + this.offset(epochSeconds)) * 1000).toISOString().slice(0, 10);
  }

  /** The instant of a local wall-clock time given as seconds since 1970 "as if UTC". */
  fromWallClock(wallSeconds: number): number {
    const guess = wallSeconds - this.offset(wallSeconds);
    return wallSeconds - this.offset(guess);
  }

  /** Local midnight of the day that contains the instant. */
  midnight(epochSeconds: number): number {
    const wall = epochSeconds + this.offset(epochSeconds);
    return this.fromWallClock(wall - (((wall % DAY) + DAY) % DAY));
  }
}

const QUERY_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * Parses a query-parameter date-time. Clients send `Z`, offsets or milliseconds; an offset of
 * `-00:00` means "the account's local time" (S14). Returns seconds (may be fractional) or
 * undefined when the text is not a date-time.
 */
export function parseQueryTime(text: string, zone: Zone): number | undefined {
  const match = QUERY_TIME.exec(text);
  if (match === null) return undefined;
  const [, y, mo, d, h, mi, s, fraction, offset] = match as unknown as string[];
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s ?? '0');
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return undefined;
  const wall = Date.UTC(Number(y), month - 1, day, hour, minute, second) / 1000;
  if (new Date(wall * 1000).getUTCDate() !== day) return undefined; // 2026-02-30 and the like
  const frac = fraction === undefined ? 0 : Number(fraction);
  if (offset === '-00:00' || offset === '-0000') return zone.fromWallClock(wall) + frac;
  if (offset === 'Z') return wall + frac;
  const sign = offset?.startsWith('-') ? -1 : 1;
  const digits = (offset ?? '+0000').replace(':', '').slice(1);
  return wall - sign * (Number(digits.slice(0, 2)) * HOUR + Number(digits.slice(2)) * 60) + frac;
}
