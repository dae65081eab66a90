/**
 * The jsonb field of a column, written straight from the Avro bytes by the generated COPY reader
 * (copy-transcoder.ts): the same JSON text copy-text.ts writes for the decoded value (records in
 * field order, timestamps and dates as ISO strings, decimals as exact strings, bytes as base64),
 * without decoding the value into objects first. A string's UTF-8 bytes are copied as they are
 * when they need no JSON escape and are valid UTF-8; any other string goes through the decoded
 * text, as before. Maps and multi-branch unions are left to the decoding path: JavaScript orders
 * an object's integer-like keys first, which a byte copy would not.
 */
import { isUtf8 } from 'node:buffer';
import type avsc from 'avsc';
import { decimalText } from '../../avro/logical.js';
import type { AvroReaderSource } from '../avro-reader-source.js';
import { nullableBranch } from '../avro-reader-source.js';
import type { ColumnType } from '../columns.js';
import type { CopyChunks } from './copy-binary.js';
import { isoDate, isoTimestamp } from './copy-text.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const JSONB_VERSION = 1;

/** The JSON text of one value being written; reused from field to field. */
export class JsonText {
  private buffer = Buffer.allocUnsafe(4096);
  private at = 0;

  private room(bytes: number): Buffer {
    if (this.at + bytes > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.at + bytes));
      this.buffer.copy(grown, 0, 0, this.at);
      this.buffer = grown;
    }
    return this.buffer;
  }

  start(): void {
    this.at = 0;
  }

  /** Text of ASCII characters only (punctuation, numbers, ISO dates, base64, field labels). */
  ascii(text: string): void {
    const buffer = this.room(text.length);
    for (let i = 0; i < text.length; i++) buffer[this.at + i] = text.charCodeAt(i);
    this.at += text.length;
  }

  /** Any text, as UTF-8. */
  utf8(text: string): void {
    this.at += this.room(text.length * 3).write(text, this.at, 'utf8');
  }

  /** Bytes as they are (a constant's JSON text). */
  raw(bytes: Buffer): void {
    this.room(bytes.length).set(bytes, this.at);
    this.at += bytes.length;
  }

  /** The Avro string buf[start, end) as a JSON string, as JSON.stringify writes it for the decoded text. */
  string(buf: Buffer, start: number, end: number): void {
    let ascii = true;
    for (let i = start; i < end; i++) {
      const byte = buf[i] as number;
      if (byte < 0x20 || byte === QUOTE || byte === BACKSLASH)
        return this.utf8(JSON.stringify(buf.toString('utf8', start, end)));
      if (byte >= 0x80) ascii = false;
    }
    // Bytes that are not UTF-8 decode to replacement characters: that text, as the decoding path writes it.
    if (!ascii && !isUtf8(buf.subarray(start, end))) return this.utf8(JSON.stringify(buf.toString('utf8', start, end)));
    const buffer = this.room(end - start + 2);
    buffer[this.at] = QUOTE;
    buf.copy(buffer, this.at + 1, start, end);
    buffer[this.at + 1 + end - start] = QUOTE;
    this.at += end - start + 2;
  }

  /** The jsonb field: its length, the version byte, then the text. */
  field(out: CopyChunks): void {
    out.int32(this.at + 1);
    out.uint8(JSONB_VERSION);
    out.raw(this.buffer.subarray(0, this.at));
  }
}

/** What the generated JSON code calls, besides the reader's own helpers. */
export const JSON_HELPERS = Object.freeze({
  json: new JsonText(),
  /** JSON.stringify's text of a number (null when it is not finite). */
  jsonNumber: (value: number): string => (Number.isFinite(value) ? String(value) : 'null'),
  jsonTimestamp: (ms: number): string => `"${isoTimestamp(ms)}"`,
  jsonDate: (days: number): string => `"${isoDate(days)}"`,
  jsonDecimal: (buf: Buffer, start: number, end: number, scale: number): string =>
    `"${decimalText(buf.subarray(start, end), scale)}"`,
});

/** Whether the JSON of a value of `type` in a `column` can be written from its bytes (jsonText's forms, no map, no multi-branch union). */
function writable(type: avsc.Type, column: ColumnType): boolean {
  if (column.kind === 'nullable') {
    const union = nullableBranch(type);
    return writable(union?.inner ?? type, column.inner);
  }
  const avroType = type.typeName;
  switch (column.kind) {
    case 'string':
      return avroType === 'string';
    case 'enum':
      return avroType === 'enum';
    case 'bytes':
      return avroType === 'bytes' || avroType === 'fixed';
    case 'boolean':
      return avroType === 'boolean';
    case 'int32':
      return avroType === 'int';
    case 'int64':
    case 'timestamp':
      return avroType === 'long';
    case 'date':
      return avroType === 'int';
    case 'float32':
      return avroType === 'float';
    case 'float64':
      return avroType === 'double';
    case 'decimal': {
      if (!avroType.startsWith('logical')) return false;
      const underlying = (type as avsc.types.LogicalType).underlyingType.typeName;
      return underlying === 'bytes' || underlying === 'fixed';
    }
    case 'array':
      return avroType === 'array' && writable((type as avsc.types.ArrayType).itemsType, column.items);
    case 'struct': {
      if (avroType !== 'record') return false;
      const fields = (type as avsc.types.RecordType).fields;
      return (
        fields.length === column.fields.length &&
        fields.every((field, i) => {
          const target = column.fields[i];
          return target !== undefined && target.name === field.name && writable(field.type, target.type);
        })
      );
    }
    default:
      return false;
  }
}

/** Code writing the JSON of one value of `type` into `j` (a value `writable` accepted). */
function valueJson(src: AvroReaderSource, type: avsc.Type, column: ColumnType): void {
  if (column.kind === 'nullable') {
    const union = nullableBranch(type);
    if (union === undefined) return valueJson(src, type, column.inner);
    src.emit(`if (${src.branch()} === ${union.nullIndex}) j.ascii('null'); else {`);
    valueJson(src, union.inner, column.inner);
    return src.emit(`}`);
  }
  switch (column.kind) {
    case 'string':
      return src.emit(`j.string(buf, ${src.span()}, pos);`);
    case 'enum': {
      const symbols = src.constant(
        (type as avsc.types.EnumType).symbols.map((symbol) => Buffer.from(JSON.stringify(symbol), 'utf8')),
      );
      const index = src.long();
      src.emit(`if (${index} < 0 || ${index} >= ${symbols}.length) throw h.branchError(${index});`);
      return src.emit(`j.raw(${symbols}[${index}]);`);
    }
    case 'bytes': {
      const start = type.typeName === 'fixed' ? src.fixed((type as avsc.types.FixedType).size) : src.span();
      return src.emit(`j.ascii('"' + buf.toString('base64', ${start}, pos) + '"');`);
    }
    case 'boolean':
      return src.emit(`j.ascii(buf[${src.fixed(1)}] ? 'true' : 'false');`);
    case 'int32':
    case 'int64':
      return src.emit(`j.ascii(String(${src.long()}));`);
    case 'timestamp':
      return src.emit(`j.ascii(h.jsonTimestamp(${src.long()}));`);
    case 'date':
      return src.emit(`j.ascii(h.jsonDate(${src.long()}));`);
    case 'float32':
      return src.emit(`j.ascii(h.jsonNumber(buf.readFloatLE(${src.fixed(4)})));`);
    case 'float64':
      return src.emit(`j.ascii(h.jsonNumber(buf.readDoubleLE(${src.fixed(8)})));`);
    case 'decimal': {
      const underlying = (type as avsc.types.LogicalType).underlyingType;
      const start = underlying.typeName === 'fixed' ? src.fixed((underlying as avsc.types.FixedType).size) : src.span();
      return src.emit(`j.ascii(h.jsonDecimal(buf, ${start}, pos, ${column.scale}));`);
    }
    case 'array': {
      const items = (type as avsc.types.ArrayType).itemsType;
      const written = src.temp();
      src.emit(`j.ascii('['); let ${written} = 0;`);
      src.blocks(() => {
        src.emit(`if (${written}++ > 0) j.ascii(',');`);
        valueJson(src, items, column.items);
      });
      return src.emit(`j.ascii(']');`);
    }
    case 'struct': {
      const fields = (type as avsc.types.RecordType).fields;
      fields.forEach((field, i) => {
        const label = `${i === 0 ? '{' : ','}${JSON.stringify(field.name)}:`;
        src.emit(`j.raw(${src.constant(Buffer.from(label, 'utf8'))});`);
        valueJson(src, field.type, (column.fields[i] as { type: ColumnType }).type);
      });
      return src.emit(fields.length === 0 ? `j.ascii('{}');` : `j.ascii('}');`);
    }
    default:
      throw new Error(`no JSON is written from Avro for a ${column.kind} column`);
  }
}

/**
 * The code writing a jsonb column's field for a non-null value of `type`, or undefined when the
 * column's JSON is left to the decoding path. The generated code names the helpers `h` (with
 * JSON_HELPERS among them) and the JSON text `j` (`h.json`).
 */
export function jsonFieldEmit(type: avsc.Type, column: ColumnType): ((src: AvroReaderSource) => void) | undefined {
  if (!writable(type, column)) return undefined;
  return (src) => {
    src.emit(`j.start();`);
    valueJson(src, type, column);
    src.emit(`j.field(out);`);
  };
}
