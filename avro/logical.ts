/**
 * Bookeo text → Avro logical-type values, and back for readers.
 *
 * - timestamp-millis: RFC 3339 with any offset (`Z`, `-05:00`, `+1100`) → epoch millis UTC.
 *   A time without an offset is refused (its instant is unknowable); digits below the millisecond
 *   are truncated, which is what timestamp-millis can hold.
 * - date: `YYYY-MM-DD` → days since 1970-01-01 (no time zone involved).
 * - decimal(precision, scale) as bytes: the unscaled value, two's-complement big-endian, minimal
 *   length (Avro spec). Computed with BigInt from the decimal text, so "0.10" stays 0.1000 exactly;
 *   JSON numbers go through their shortest round-trip text (12.5 → "12.5"), never through float
 *   arithmetic. Extra fractional digits that are not zero are refused, not rounded: silently
 *   changing money is worse than a dead-lettered record.
 */

const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const MS_PER_DAY = 86_400_000;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Runs for every timestamp of every entity: plain arithmetic, no Date object. */
function validCalendarDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (DAYS_IN_MONTH[month - 1] as number) + (leap ? 1 : 0);
}

/** The number of the two ASCII digits at `at`, or -1 when they are not both digits. */
function twoDigits(text: string, at: number): number {
  const tens = text.charCodeAt(at) - 48;
  const ones = text.charCodeAt(at + 1) - 48;
  return tens >= 0 && tens <= 9 && ones >= 0 && ones <= 9 ? tens * 10 + ones : -1;
}

/**
 * Bookeo's usual form, `YYYY-MM-DDTHH:MM:SS` then `Z` or `±HH:MM`, read by position; undefined
 * for any other text, which the general pattern then reads (or refuses).
 */
function parseCommonTimestamp(text: string): number | undefined {
  const length = text.length;
  if ((length !== 20 && length !== 25) || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) return undefined;
  if (text.charCodeAt(10) !== 84 || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return undefined;
  const century = twoDigits(text, 0);
  const yearInCentury = twoDigits(text, 2);
  const month = twoDigits(text, 5);
  const day = twoDigits(text, 8);
  const hour = twoDigits(text, 11);
  const minute = twoDigits(text, 14);
  const second = twoDigits(text, 17);
  if ((century | yearInCentury | month | day | hour | minute | second) < 0) return undefined;
  const year = century * 100 + yearInCentury;
  if (!validCalendarDate(year, month, day) || hour > 23 || minute > 59 || second > 60) return undefined;
  let offsetMinutes = 0;
  if (length === 20) {
    if (text.charCodeAt(19) !== 90) return undefined;
  } else {
    const sign = text.charCodeAt(19);
    const hours = twoDigits(text, 20);
    const minutes = twoDigits(text, 23);
    if ((sign !== 43 && sign !== 45) || text.charCodeAt(22) !== 58 || hours < 0 || minutes < 0) return undefined;
    if (hours > 23 || minutes > 59) return undefined;
    offsetMinutes = (sign === 45 ? -1 : 1) * (hours * 60 + minutes);
  }
  return Date.UTC(year, month - 1, day, hour, minute, second) - offsetMinutes * 60_000;
}

/** Epoch millis (UTC) of an RFC 3339 timestamp, or undefined when the text is not one. */
export function parseTimestampMillis(text: string): number | undefined {
  const common = parseCommonTimestamp(text);
  if (common !== undefined) return common;
  const m = TIMESTAMP.exec(text);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  if (!validCalendarDate(year, month, day) || hour > 23 || minute > 59 || second > 60) return undefined;
  const millis = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  let offsetMinutes = 0;
  if (m[8] === undefined) {
    const hours = Number(m[10]);
    const minutes = Number(m[11]);
    if (hours > 23 || minutes > 59) return undefined;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (hours * 60 + minutes);
  }
  return Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000;
}

/** Days since the epoch of a `YYYY-MM-DD` date, or undefined when the text is not a real date. */
export function parseDateDays(text: string): number | undefined {
  const m = DATE.exec(text);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (!validCalendarDate(year, month, day)) return undefined;
  return Date.UTC(year, month - 1, day) / MS_PER_DAY;
}

/**
 * Bookeo's usual amounts (`52.75`, `-3`: an optional minus, digits, an optional point), read by
 * character when the result is the exact small integer the general path gives too; undefined for
 * anything else, which that path then reads (or refuses).
 */
function plainUnscaled(text: string, precision: number, scale: number): number | undefined {
  const length = text.length;
  const negative = length > 0 && text.charCodeAt(0) === 45;
  let digits = 0;
  let point = -1;
  let value = 0;
  for (let i = negative ? 1 : 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 48 && code <= 57) {
      value = value * 10 + (code - 48);
      digits++;
    } else if (code === 46 && point < 0) point = digits;
    else return undefined;
  }
  const shift = scale - (point < 0 ? 0 : digits - point);
  if (digits === 0 || shift < 0 || digits + shift > Math.min(15, precision)) return undefined;
  return (negative ? -1 : 1) * value * 10 ** shift;
}

/**
 * The unscaled integer of a decimal text at `scale`, or a reason why it does not fit. A number is
 * returned only when it is below 10^15 and so exact; anything larger is a bigint.
 */
export function unscaledDecimal(text: string, precision: number, scale: number): bigint | number | string {
  const plain = plainUnscaled(text, precision, scale);
  if (plain !== undefined) return plain;
  const m = DECIMAL.exec(text.trim());
  const intDigits = m?.[2] ?? '';
  const fracDigits = m?.[3] ?? '';
  if (!m || intDigits.length + fracDigits.length === 0) return 'not a decimal number';
  const exponent = m[4] === undefined ? 0 : Number(m[4]);
  // value = digits × 10^(exponent − fracDigits.length); we want value × 10^scale.
  const digits = `${intDigits}${fracDigits}`;
  const shift = exponent - fracDigits.length + scale;
  let unscaled: bigint;
  if (shift >= 0 && digits.length + shift <= Math.min(15, precision)) {
    // Fast path for everyday amounts: below 10^15 a double holds every integer exactly.
    return (m[1] === '-' ? -1 : 1) * Number(digits) * 10 ** shift;
  }
  if (shift >= 0) {
    unscaled = BigInt(digits) * 10n ** BigInt(shift);
  } else {
    const cut = Math.min(-shift, digits.length);
    const dropped = digits.slice(digits.length - cut);
    if (/[^0]/.test(dropped)) return `more than ${scale} decimal places (refused rather than rounded)`;
    unscaled = BigInt(digits.slice(0, digits.length - cut) || '0');
  }
  if (unscaled >= 10n ** BigInt(precision))
    return `more than ${precision} significant digits (decimal(${precision},${scale}))`;
  return m[1] === '-' ? -unscaled : unscaled;
}

const SAFE_BYTES = 2 ** 47;

/** Whether `value` is an integer `writeSmallInteger` takes (below 2^47 in magnitude). */
export function isSmallInteger(value: bigint | number): value is number {
  return typeof value === 'number' && value < SAFE_BYTES && value >= -SAFE_BYTES;
}

/** 2^(8n - 1) for n = 1..6: the bound of an n-byte two's-complement integer. */
const BYTE_BOUNDS = [2 ** 7, 2 ** 15, 2 ** 23, 2 ** 31, 2 ** 39, 2 ** 47];

/** The length of the minimal two's-complement form of a small integer. */
export function smallIntegerLength(value: number): number {
  let length = 1;
  while (value >= (BYTE_BOUNDS[length - 1] as number) || value < -(BYTE_BOUNDS[length - 1] as number)) length++;
  return length;
}

/** Writes the `length` bytes of a small integer's two's-complement form into `bytes` at `at`. */
export function writeSmallInteger(value: number, length: number, bytes: Uint8Array, at: number): void {
  // Up to 6 bytes every intermediate (value + 2^48 included) is an exact double: no BigInt needed.
  let rest = value < 0 ? 2 ** (8 * length) + value : value;
  for (let i = at + length - 1; i >= at; i--) {
    bytes[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
}

/** Minimal two's-complement big-endian bytes of an integer, as Avro's decimal wants. */
export function integerToBytes(value: bigint | number): Buffer {
  if (isSmallInteger(value)) {
    const length = smallIntegerLength(value);
    const bytes = Buffer.allocUnsafe(length);
    writeSmallInteger(value, length, bytes, 0);
    return bytes;
  }
  return bigintToBytes(BigInt(value));
}

function bigintToBytes(value: bigint): Buffer {
  let length = 1;
  while (value >= 1n << BigInt(8 * length - 1) || value < -(1n << BigInt(8 * length - 1))) length++;
  let rest = value < 0n ? (1n << BigInt(8 * length)) + value : value;
  const bytes = Buffer.allocUnsafe(length);
  for (let i = length - 1; i >= 0; i--) {
    bytes[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return bytes;
}

/** The unscaled integer of Bookeo's string or number amount, or a reason. */
export function unscaledAmount(value: string | number, precision: number, scale: number): bigint | number | string {
  if (typeof value === 'number' && !Number.isFinite(value)) return 'not a finite number';
  return unscaledDecimal(typeof value === 'number' ? String(value) : value, precision, scale);
}

/** Decimal bytes, or a reason. Accepts Bookeo's string or number amounts. */
export function decimalBytes(value: string | number, precision: number, scale: number): Buffer | string {
  const unscaled = unscaledAmount(value, precision, scale);
  return typeof unscaled === 'string' ? unscaled : integerToBytes(unscaled);
}

/** Two's complement bytes that always hold a safe integer (48 bits). */
export const SAFE_DECIMAL_BYTES = 6;

/** The big-endian two's complement integer of buf[start, end), at most SAFE_DECIMAL_BYTES long. */
export function smallSignedInteger(buf: Uint8Array, start: number, end: number): number {
  let value = end > start && ((buf[start] as number) & 0x80) !== 0 ? -1 : 0;
  for (let i = start; i < end; i++) value = value * 256 + (buf[i] as number);
  return value;
}

/** For readers (sinks): decimal bytes → exact text with `scale` fractional digits, e.g. "-12.5000". */
export function decimalText(bytes: Buffer, scale: number): string {
  const negative = bytes.length > 0 && ((bytes[0] as number) & 0x80) !== 0;
  let magnitude: string;
  if (bytes.length <= SAFE_DECIMAL_BYTES) {
    const value = smallSignedInteger(bytes, 0, bytes.length);
    magnitude = String(negative ? -value : value);
  } else {
    let value = 0n;
    for (const byte of bytes) value = (value << 8n) | BigInt(byte);
    if (negative) value -= 1n << BigInt(8 * bytes.length);
    magnitude = (negative ? -value : value).toString();
  }
  const digits = magnitude.padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = scale > 0 ? `.${digits.slice(digits.length - scale)}` : '';
  return `${negative ? '-' : ''}${whole}${fraction}`;
}
