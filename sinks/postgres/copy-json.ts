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
import { nullableBranch, type Emit } from '../avro-reader-source.js';
import { ByteWriter } from '../columnar/bytes.js';
import type { ColumnType } from '../columns.js';
import type { CopyChunks } from './copy-binary.js';
import { isoDate, isoTimestamp } from './copy-text.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const JSONB_VERSION = 1;

/** The JSON text of one value being written; reused from field to field. */
export class JsonText {
  private readonly bytes = new ByteWriter(4096);

  start(): void {
    this.bytes.at = 0;
  }

  /** Text of ASCII characters only (punctuation, numbers, ISO dates, base64, field labels). */
  ascii(text: string): void {
    const bytes = this.bytes;
    bytes.reserve(text.length);
    for (let i = 0; i < text.length; i++) bytes.buffer[bytes.at + i] = text.charCodeAt(i);
    bytes.at += text.length;
  }

  /** Any text, as UTF-8. */
  utf8(text: string): void {
    const bytes = this.bytes;
    bytes.reserve(text.length * 3);
    bytes.at += bytes.buffer.write(text, bytes.at, 'utf8');
  }

  /** Bytes as they are (a constant's JSON text). */
  raw(value: Buffer): void {
    const bytes = this.bytes;
    bytes.reserve(value.length);
    bytes.buffer.set(value, bytes.at);
    bytes.at += value.length;
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
    const bytes = this.bytes;
    bytes.reserve(end - start + 2);
    bytes.buffer[bytes.at] = QUOTE;
    buf.copy(bytes.buffer, bytes.at + 1, start, end);
    bytes.buffer[bytes.at + 1 + end - start] = QUOTE;
    bytes.at += end - start + 2;
  }

  /** The jsonb field: its length, the version byte, then the text. */
  field(out: CopyChunks): void {
    out.int32(this.bytes.at + 1);
    out.uint8(JSONB_VERSION);
    out.raw(this.bytes.view());
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

/**
 * The code writing the JSON of one value of `type` into `j` (jsonText's forms), or undefined when
 * some part of it is left to the decoding path (a map, a multi-branch union, a type the column
 * does not take as it is).
 */
function jsonEmit(type: avsc.Type, column: ColumnType): Emit | undefined {
  if (column.kind === 'nullable') {
    const union = nullableBranch(type);
    const inner = jsonEmit(union?.inner ?? type, column.inner);
    if (inner === undefined || union === undefined) return inner;
    return (src) => {
      src.emit(`if (${src.branch()} === ${union.nullIndex}) j.ascii('null'); else {`);
      inner(src);
      src.emit(`}`);
    };
  }
  const avroType = type.typeName;
  switch (column.kind) {
    case 'string':
      return avroType === 'string' ? (src) => src.emit(`j.string(buf, ${src.span()}, pos);`) : undefined;
    case 'enum': {
      if (avroType !== 'enum') return undefined;
      const symbols = (type as avsc.types.EnumType).symbols.map((symbol) =>
        Buffer.from(JSON.stringify(symbol), 'utf8'),
      );
      return (src) => {
        const texts = src.constant(symbols);
        const index = src.long();
        src.emit(`if (${index} < 0 || ${index} >= ${texts}.length) throw h.branchError(${index});`);
        src.emit(`j.raw(${texts}[${index}]);`);
      };
    }
    case 'bytes':
      if (avroType !== 'bytes' && avroType !== 'fixed') return undefined;
      return (src) => {
        const start = avroType === 'fixed' ? src.fixed((type as avsc.types.FixedType).size) : src.span();
        src.emit(`j.ascii('"' + buf.toString('base64', ${start}, pos) + '"');`);
      };
    case 'boolean':
      return avroType === 'boolean'
        ? (src) => src.emit(`j.ascii(buf[${src.fixed(1)}] ? 'true' : 'false');`)
        : undefined;
    case 'int32':
    case 'int64':
      return avroType === (column.kind === 'int32' ? 'int' : 'long')
        ? (src) => src.emit(`j.ascii(String(${src.long()}));`)
        : undefined;
    case 'timestamp':
      return avroType === 'long' ? (src) => src.emit(`j.ascii(h.jsonTimestamp(${src.long()}));`) : undefined;
    case 'date':
      return avroType === 'int' ? (src) => src.emit(`j.ascii(h.jsonDate(${src.long()}));`) : undefined;
    case 'float32':
    case 'float64': {
      const size = column.kind === 'float32' ? 4 : 8;
      if (avroType !== (size === 4 ? 'float' : 'double')) return undefined;
      const read = size === 4 ? 'readFloatLE' : 'readDoubleLE';
      return (src) => src.emit(`j.ascii(h.jsonNumber(buf.${read}(${src.fixed(size)})));`);
    }
    case 'decimal': {
      if (!avroType.startsWith('logical')) return undefined;
      const underlying = (type as avsc.types.LogicalType).underlyingType;
      if (underlying.typeName !== 'bytes' && underlying.typeName !== 'fixed') return undefined;
      return (src) => {
        const start =
          underlying.typeName === 'fixed' ? src.fixed((underlying as avsc.types.FixedType).size) : src.span();
        src.emit(`j.ascii(h.jsonDecimal(buf, ${start}, pos, ${column.scale}));`);
      };
    }
    case 'array': {
      const item = avroType === 'array' ? jsonEmit((type as avsc.types.ArrayType).itemsType, column.items) : undefined;
      if (item === undefined) return undefined;
      return (src) => {
        const written = src.temp();
        src.emit(`j.ascii('['); let ${written} = 0;`);
        src.blocks(() => {
          src.emit(`if (${written}++ > 0) j.ascii(',');`);
          item(src);
        });
        src.emit(`j.ascii(']');`);
      };
    }
    case 'struct': {
      if (avroType !== 'record') return undefined;
      const fields = (type as avsc.types.RecordType).fields;
      if (fields.length !== column.fields.length) return undefined;
      const values: Emit[] = [];
      for (const [i, field] of fields.entries()) {
        const target = column.fields[i];
        const value = target?.name === field.name ? jsonEmit(field.type, target.type) : undefined;
        if (value === undefined) return undefined;
        values.push(value);
      }
      const labels = fields.map((field, i) =>
        Buffer.from(`${i === 0 ? '{' : ','}${JSON.stringify(field.name)}:`, 'utf8'),
      );
      return (src) => {
        values.forEach((value, i) => {
          src.emit(`j.raw(${src.constant(labels[i])});`);
          value(src);
        });
        src.emit(fields.length === 0 ? `j.ascii('{}');` : `j.ascii('}');`);
      };
    }
    default:
      return undefined;
  }
}

/**
 * The code writing a jsonb column's field for a non-null value of `type`, or undefined when the
 * column's JSON is left to the decoding path. The generated code names the helpers `h` (with
 * JSON_HELPERS among them) and the JSON text `j` (`h.json`).
 */
export function jsonFieldEmit(type: avsc.Type, column: ColumnType): Emit | undefined {
  const value = jsonEmit(type, column);
  if (value === undefined) return undefined;
  return (src) => {
    src.emit(`j.start();`);
    value(src);
    src.emit(`j.field(out);`);
  };
}
