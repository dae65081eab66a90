/**
 * The text input form of each column type (what PostgreSQL's type input functions read), one
 * encoder per column compiled once per table spec, and COPY text's cell escaping. The destination
 * sends binary COPY (copy-binary.ts) and uses these forms for jsonb values; the bench's COPY limit
 * sends the text format:
 *
 *   timestamp (epoch ms)  → ISO-8601 UTC `2026-01-01T00:12:00.123Z` (exact, no float arithmetic)
 *   date (days)           → `YYYY-MM-DD`         decimal (exact text) → as is
 *   bytes (base64, rows.ts) → bytea hex `\x0a0b`    boolean → t/f    numbers → JS text (round-trips)
 *   array of scalars      → array literal `{"a",NULL,"b"}`, every item quoted
 *   jsonb (records, maps, nested arrays, unions) → JSON text; inside it timestamps and dates become
 *     the same ISO text (castable with `::timestamptz`/`::date`), decimals stay exact strings,
 *     bytes stay base64
 */
import type { ColumnType } from '../columns.js';
import { scalarArrayItems, scalarType, withoutNull } from './types.js';

type Encode = (value: unknown) => string;

const COPY_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const NEEDS_COPY_ESCAPE = /[\\\n\r\t]/;

/** Escapes text for one COPY cell (the data must not end a line, a cell or start an escape). */
export function copyEscape(text: string): string {
  return NEEDS_COPY_ESCAPE.test(text) ? text.replace(/[\\\n\r\t]/g, (char) => COPY_ESCAPES[char] as string) : text;
}

const DAY_MS = 86_400_000;
const PAD2 = Array.from({ length: 100 }, (_, n) => String(n).padStart(2, '0'));
const PAD3 = Array.from({ length: 1000 }, (_, n) => String(n).padStart(3, '0'));
/** Day number → `YYYY-MM-DD`. Batches span few days, so each is formatted once; bounded so a long run cannot grow it. */
const dayTexts = new Map<number, string>();
const MAX_DAY_TEXTS = 100_000;

export function isoDate(days: unknown): string {
  let text = dayTexts.get(days as number);
  if (text === undefined) {
    const iso = new Date((days as number) * DAY_MS).toISOString();
    text = iso.slice(0, iso.indexOf('T'));
    if (dayTexts.size >= MAX_DAY_TEXTS) dayTexts.clear();
    dayTexts.set(days as number, text);
  }
  return text;
}

/** Same text as Date#toISOString, by arithmetic and the day cache: toISOString dominated the encoding (measured). */
export function isoTimestamp(epochMs: unknown): string {
  const ms = epochMs as number;
  const days = Math.floor(ms / DAY_MS);
  const rest = ms - days * DAY_MS;
  const seconds = Math.floor(rest / 1000);
  return `${isoDate(days)}T${PAD2[Math.floor(seconds / 3600)]}:${PAD2[Math.floor(seconds / 60) % 60]}:${PAD2[seconds % 60]}.${PAD3[rest % 1000]}Z`;
}

function byteaHex(base64: unknown): string {
  return `\\x${Buffer.from(base64 as string, 'base64').toString('hex')}`;
}

/** The text input form of one scalar of this type (before COPY escaping). */
function scalarText(type: ColumnType): Encode {
  switch (withoutNull(type).kind) {
    case 'timestamp':
      return isoTimestamp;
    case 'date':
      return isoDate;
    case 'bytes':
      return byteaHex;
    case 'boolean':
      return (value) => (value ? 't' : 'f');
    default:
      return String;
  }
}

/** Array literal of scalars: every item double-quoted, so no item text can be taken for syntax. */
function arrayLiteral(items: ColumnType): Encode {
  const item = scalarText(items);
  return (value) =>
    `{${(value as unknown[]).map((entry) => (entry === null || entry === undefined ? 'NULL' : `"${item(entry).replace(/["\\]/g, '\\$&')}"`)).join(',')}}`;
}

const nothing = (value: unknown): boolean => value === null || value === undefined;

/**
 * JSON text of a value of this type, written directly (no rewritten copy of the value to
 * stringify): timestamps and dates as ISO strings, everything else as JSON.stringify would write
 * it, a record's or map's undefined entries left out as JSON.stringify leaves them.
 */
function jsonText(type: ColumnType): Encode {
  const inner = withoutNull(type);
  switch (inner.kind) {
    case 'timestamp':
      return (value) => `"${isoTimestamp(value)}"`;
    case 'date':
      return (value) => `"${isoDate(value)}"`;
    case 'boolean':
      return (value) => (value ? 'true' : 'false');
    case 'array': {
      const items = jsonText(inner.items);
      return (value) => {
        let out = '[';
        const entries = value as unknown[];
        for (let i = 0; i < entries.length; i++) {
          const entry = entries[i];
          out += `${i === 0 ? '' : ','}${nothing(entry) ? 'null' : items(entry)}`;
        }
        return `${out}]`;
      };
    }
    case 'map': {
      const values = jsonText(inner.values);
      return (value) => {
        let out = '';
        for (const [key, entry] of Object.entries(value as Record<string, unknown>)) {
          if (entry === undefined) continue;
          out += `${out === '' ? '' : ','}${JSON.stringify(key)}:${entry === null ? 'null' : values(entry)}`;
        }
        return `{${out}}`;
      };
    }
    case 'struct': {
      const fields = inner.fields.map((field) => ({
        name: field.name,
        label: `${JSON.stringify(field.name)}:`,
        text: jsonText(field.type),
      }));
      return (value) => {
        const source = value as Record<string, unknown>;
        let out = '';
        for (const field of fields) {
          const entry = source[field.name];
          if (entry === undefined) continue;
          out += `${out === '' ? '' : ','}${field.label}${entry === null ? 'null' : field.text(entry)}`;
        }
        return `{${out}}`;
      };
    }
    default:
      // Strings, enums, decimal text, base64 bytes, JSON text of unions (a string inside jsonb), numbers.
      return (value) => JSON.stringify(value) as string;
  }
}

/** The text input form of a value of this column type (before COPY escaping). */
export function columnText(type: ColumnType): Encode {
  if (withoutNull(type).kind === 'json') return String; // already JSON text (rows.ts)
  if (scalarType(type) !== undefined) return scalarText(type);
  const items = scalarArrayItems(type);
  if (items !== undefined) return arrayLiteral(items);
  return jsonText(type);
}
