/**
 * Bookeo JSON entity → Avro binary, for one value schema, written directly (binary-output.ts):
 * no intermediate value is built for avsc to encode, and the bytes are the ones avsc would write
 * for that value.
 *
 * The schema is compiled once into a tree of small functions (no schema walking per record). A
 * field Bookeo left out, or sent as null, becomes null when the field is nullable and an error
 * otherwise. Values are checked strictly: a JSON string where the schema says long is a conflict,
 * never a guess. Two lossless widenings are allowed: a JSON number into a string field (ids such
 * as bookingNumber are sometimes numeric) and an integer into a double.
 *
 * Keys the schema does not know are not written; they are reported through `ConvertContext.drift`
 * so the caller can evolve the schema (drift.ts) and write again, instead of dropping data.
 */
import { BinaryOutput } from './binary-output.js';
import { AvroRecordError } from './errors.js';
import { integerToBytes, isSmallInteger, parseDateDays, parseTimestampMillis, unscaledAmount } from './logical.js';
import {
  indexRecords,
  isArrayType,
  isRecord,
  namespaceOf,
  nullableInner,
  qualify,
  recordFullName,
  sourceKeyOf,
  type AvroRecord,
  type AvroType,
} from './schema-json.js';
import { HEADER_SIZE, MAGIC_BYTE } from './wire.js';

export interface ConvertContext {
  /** Set when the entity carries a non-empty value under a key the schema does not have. */
  drift: boolean;
}

/** The largest long avsc writes and reads back (it refuses the two safe integers beyond). */
const MAX_AVRO_LONG = 2 ** 53 - 2;

/** Writes a value of an entity into `out`, or throws FieldProblem. */
type Write = (value: unknown, context: ConvertContext | undefined, out: BinaryOutput) => void;

export interface ValueWriter {
  /** The entity in the Confluent wire format: magic byte, `schemaId`, then its Avro binary. */
  encode(entity: unknown, schemaId: number, context?: ConvertContext): Buffer;
}

/** Thrown inside the tree; collects path segments while unwinding, so the happy path builds no strings. */
class FieldProblem extends Error {
  readonly segments: string[] = [];
}

function fail(problem: string): never {
  throw new FieldProblem(problem);
}

/** A short, safe rendering of an offending value for the reason line. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}..."` : text;
}

/** Whether a value says anything a type could be inferred from (null, [] and {} do not). */
export function carriesInformation(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (Array.isArray(value)) return value.some(carriesInformation);
  if (typeof value === 'object') return Object.values(value).some(carriesInformation);
  return true;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function compileLogical(type: {
  logicalType?: unknown;
  type: string;
  precision?: unknown;
  scale?: unknown;
}): Write | undefined {
  if (type.logicalType === 'timestamp-millis' && type.type === 'long') {
    return (value, _context, out) => {
      const millis = typeof value === 'string' ? parseTimestampMillis(value) : undefined;
      out.long(millis ?? fail(`expected timestamp (RFC 3339 with offset), found ${describeValue(value)}`));
    };
  }
  if (type.logicalType === 'date' && type.type === 'int') {
    return (value, _context, out) => {
      const days = typeof value === 'string' ? parseDateDays(value) : undefined;
      out.long(days ?? fail(`expected date (YYYY-MM-DD), found ${describeValue(value)}`));
    };
  }
  if (type.logicalType === 'decimal' && type.type === 'bytes') {
    const precision = Number(type.precision);
    const scale = Number(type.scale ?? 0);
    return (value, _context, out) => {
      if (typeof value !== 'string' && typeof value !== 'number')
        fail(`expected decimal, found ${describeValue(value)}`);
      const unscaled = unscaledAmount(value, precision, scale);
      if (typeof unscaled === 'string') fail(`expected decimal, found ${describeValue(value)}: ${unscaled}`);
      if (isSmallInteger(unscaled)) out.smallInteger(unscaled);
      else out.bytes(integerToBytes(unscaled));
    };
  }
  return undefined;
}

function compilePrimitive(name: string, jsonText: boolean): Write {
  switch (name) {
    case 'string':
      return (value, _context, out) => {
        if (typeof value === 'string') out.string(value);
        else if (jsonText) out.string(JSON.stringify(value));
        else if (typeof value === 'number' && Number.isFinite(value)) out.string(String(value));
        else fail(`expected string, found ${describeValue(value)}`);
      };
    case 'boolean':
      return (value, _context, out) =>
        typeof value === 'boolean' ? out.boolean(value) : fail(`expected boolean, found ${describeValue(value)}`);
    case 'long':
      return (value, _context, out) =>
        Number.isSafeInteger(value) && Math.abs(value as number) <= MAX_AVRO_LONG
          ? out.long(value as number)
          : fail(`expected long, found ${describeValue(value)}`);
    case 'int':
      return (value, _context, out) =>
        Number.isSafeInteger(value) && (value as number) >= -2147483648 && (value as number) <= 2147483647
          ? out.long(value as number)
          : fail(`expected int, found ${describeValue(value)}`);
    case 'double':
      return (value, _context, out) =>
        typeof value === 'number' && Number.isFinite(value)
          ? out.double(value)
          : fail(`expected ${name}, found ${describeValue(value)}`);
    case 'float':
      return (value, _context, out) =>
        typeof value === 'number' && Number.isFinite(value)
          ? out.float(value)
          : fail(`expected ${name}, found ${describeValue(value)}`);
    default:
      throw new Error(`avro/convert: schema type ${name} is not supported for Bookeo values`);
  }
}

/** Compiles the writer of a record schema; `rootPath` prefixes error paths, e.g. `bookings.value`. */
export function createValueWriter(schema: AvroRecord, rootPath: string): ValueWriter {
  const records = indexRecords(schema);
  const compiledRecords = new Map<string, Write>();

  const compile = (type: AvroType, ns: string | undefined, jsonText = false): Write => {
    const inner = nullableInner(type);
    if (inner !== undefined) {
      const writeInner = compile(inner, ns, jsonText);
      // Union branch index as avsc writes it: 0 for null, 1 (zigzag 2) for the value.
      return (value, context, out) => {
        if (value === null || value === undefined) out.byte(0);
        else {
          out.byte(2);
          writeInner(value, context, out);
        }
      };
    }
    const required = compileRequired(type, ns, jsonText);
    return (value, context, out) =>
      value === null || value === undefined ? fail('required field is missing') : required(value, context, out);
  };

  const compileRequired = (type: AvroType, ns: string | undefined, jsonText: boolean): Write => {
    if (Array.isArray(type)) throw new Error('avro/convert: only ["null", T] unions are supported');
    if (typeof type === 'string') {
      const full = qualify(type, ns);
      if (!records.has(full)) return compilePrimitive(type, jsonText);
      // Named reference: resolved lazily, so a record may be referenced before its compilation finishes.
      return (value, context, out) => (compiledRecords.get(full) as Write)(value, context, out);
    }
    if (isRecord(type)) return compileRecord(type, ns);
    if (isArrayType(type)) {
      const item = compile(type.items, ns);
      // One block with its count, then the end marker; an empty array is the end marker alone.
      return (value, context, out) => {
        if (!Array.isArray(value)) fail(`expected array, found ${describeValue(value)}`);
        if (value.length > 0) {
          out.long(value.length);
          for (let i = 0; i < value.length; i++) {
            try {
              item(value[i], context, out);
            } catch (error) {
              if (error instanceof FieldProblem) error.segments.push(`[${i}]`);
              throw error;
            }
          }
        }
        out.byte(0);
      };
    }
    return compileLogical(type as { type: string }) ?? compilePrimitive(type.type, jsonText);
  };

  const compileRecord = (record: AvroRecord, ns: string | undefined): Write => {
    const full = recordFullName(record, ns);
    const innerNs = namespaceOf(full);
    // A field drift renamed reads the JSON key it came from (sourceKeyOf), never a look-alike key.
    const fields = record.fields.map((field) => ({
      name: field.name,
      key: sourceKeyOf(field),
      write: compile(field.type, innerNs, field.jsonText === true),
    }));
    const known = new Set(fields.map((f) => f.key));
    const write: Write = (value, context, out) => {
      if (!isPlainObject(value)) fail(`expected record ${record.name}, found ${describeValue(value)}`);
      for (const field of fields) {
        try {
          field.write(value[field.key], context, out);
        } catch (error) {
          if (error instanceof FieldProblem) error.segments.push(`.${field.name}`);
          throw error;
        }
      }
      if (context !== undefined && !context.drift) {
        for (const key in value) {
          if (!known.has(key) && carriesInformation(value[key])) context.drift = true;
        }
      }
    };
    compiledRecords.set(full, write);
    return write;
  };

  const root = compileRecord(schema, undefined);
  const out = new BinaryOutput();
  return {
    encode(entity, schemaId, context) {
      try {
        for (;;) {
          out.pos = 0;
          out.byte(MAGIC_BYTE);
          out.buf.writeInt32BE(schemaId, 1);
          out.pos = HEADER_SIZE;
          root(entity, context, out);
          if (!out.overflowed()) return Buffer.from(out.buf.subarray(0, out.pos));
          out.grow(out.pos);
          // Drift seen by the pass that overflowed is seen again by the next.
          if (context !== undefined) context.drift = false;
        }
      } catch (error) {
        if (!(error instanceof FieldProblem)) throw error;
        throw new AvroRecordError(`${rootPath}${error.segments.reverse().join('')}`, error.message);
      }
    },
  };
}
