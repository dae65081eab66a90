/**
 * Bookeo JSON entity → the value avsc encodes, for one value schema.
 *
 * The schema is compiled once into a tree of small functions (no schema walking per record). A
 * field Bookeo left out, or sent as null, becomes null when the field is nullable and an error
 * otherwise. Values are checked strictly: a JSON string where the schema says long is a conflict,
 * never a guess. Two lossless widenings are allowed: a JSON number into a string field (ids such
 * as bookingNumber are sometimes numeric) and an integer into a double.
 *
 * Keys the schema does not know are not converted; they are reported through `ConvertContext.drift`
 * so the caller can evolve the schema (drift.ts) and convert again, instead of dropping data.
 */
import { AvroRecordError } from './errors.js';
import { decimalBytes, parseDateDays, parseTimestampMillis } from './logical.js';
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

export interface ConvertContext {
  /** Set when the entity carries a non-empty value under a key the schema does not have. */
  drift: boolean;
}

export type Converter = (entity: unknown, context?: ConvertContext) => Record<string, unknown>;

type Convert = (value: unknown, context: ConvertContext | undefined) => unknown;

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
}): Convert | undefined {
  if (type.logicalType === 'timestamp-millis' && type.type === 'long') {
    return (value) => {
      const millis = typeof value === 'string' ? parseTimestampMillis(value) : undefined;
      return millis ?? fail(`expected timestamp (RFC 3339 with offset), found ${describeValue(value)}`);
    };
  }
  if (type.logicalType === 'date' && type.type === 'int') {
    return (value) => {
      const days = typeof value === 'string' ? parseDateDays(value) : undefined;
      return days ?? fail(`expected date (YYYY-MM-DD), found ${describeValue(value)}`);
    };
  }
  if (type.logicalType === 'decimal' && type.type === 'bytes') {
    const precision = Number(type.precision);
    const scale = Number(type.scale ?? 0);
    return (value) => {
      if (typeof value !== 'string' && typeof value !== 'number')
        fail(`expected decimal, found ${describeValue(value)}`);
      const bytes = decimalBytes(value, precision, scale);
      return typeof bytes === 'string' ? fail(`expected decimal, found ${describeValue(value)}: ${bytes}`) : bytes;
    };
  }
  return undefined;
}

function compilePrimitive(name: string, jsonText: boolean): Convert {
  switch (name) {
    case 'string':
      return (value) => {
        if (typeof value === 'string') return value;
        if (jsonText) return JSON.stringify(value);
        if (typeof value === 'number' && Number.isFinite(value)) return String(value);
        return fail(`expected string, found ${describeValue(value)}`);
      };
    case 'boolean':
      return (value) => (typeof value === 'boolean' ? value : fail(`expected boolean, found ${describeValue(value)}`));
    case 'long':
      return (value) => (Number.isSafeInteger(value) ? value : fail(`expected long, found ${describeValue(value)}`));
    case 'int':
      return (value) =>
        Number.isSafeInteger(value) && (value as number) >= -2147483648 && (value as number) <= 2147483647
          ? value
          : fail(`expected int, found ${describeValue(value)}`);
    case 'double':
    case 'float':
      return (value) =>
        typeof value === 'number' && Number.isFinite(value)
          ? value
          : fail(`expected ${name}, found ${describeValue(value)}`);
    default:
      throw new Error(`avro/convert: schema type ${name} is not supported for Bookeo values`);
  }
}

/** Compiles a converter for a record schema; `rootPath` prefixes error paths, e.g. `bookings.value`. */
export function createConverter(schema: AvroRecord, rootPath: string): Converter {
  const records = indexRecords(schema);
  const compiledRecords = new Map<string, Convert>();

  const compile = (type: AvroType, ns: string | undefined, jsonText = false): Convert => {
    const inner = nullableInner(type);
    if (inner !== undefined) {
      const convertInner = compile(inner, ns, jsonText);
      return (value, context) => (value === null || value === undefined ? null : convertInner(value, context));
    }
    const required = compileRequired(type, ns, jsonText);
    return (value, context) =>
      value === null || value === undefined ? fail('required field is missing') : required(value, context);
  };

  const compileRequired = (type: AvroType, ns: string | undefined, jsonText: boolean): Convert => {
    if (Array.isArray(type)) throw new Error('avro/convert: only ["null", T] unions are supported');
    if (typeof type === 'string') {
      const full = qualify(type, ns);
      if (!records.has(full)) return compilePrimitive(type, jsonText);
      // Named reference: resolved lazily, so a record may be referenced before its compilation finishes.
      return (value, context) => (compiledRecords.get(full) as Convert)(value, context);
    }
    if (isRecord(type)) return compileRecord(type, ns);
    if (isArrayType(type)) {
      const item = compile(type.items, ns);
      return (value, context) => {
        if (!Array.isArray(value)) fail(`expected array, found ${describeValue(value)}`);
        const out = new Array<unknown>(value.length);
        for (let i = 0; i < value.length; i++) {
          try {
            out[i] = item(value[i], context);
          } catch (error) {
            if (error instanceof FieldProblem) error.segments.push(`[${i}]`);
            throw error;
          }
        }
        return out;
      };
    }
    return compileLogical(type as { type: string }) ?? compilePrimitive(type.type, jsonText);
  };

  const compileRecord = (record: AvroRecord, ns: string | undefined): Convert => {
    const full = recordFullName(record, ns);
    const innerNs = namespaceOf(full);
    // A field drift renamed reads the JSON key it came from (sourceKeyOf), never a look-alike key.
    const fields = record.fields.map((field) => ({
      name: field.name,
      key: sourceKeyOf(field),
      convert: compile(field.type, innerNs, field.jsonText === true),
    }));
    const known = new Set(fields.map((f) => f.key));
    const convert: Convert = (value, context) => {
      if (!isPlainObject(value)) fail(`expected record ${record.name}, found ${describeValue(value)}`);
      const out: Record<string, unknown> = {};
      for (const field of fields) {
        try {
          out[field.name] = field.convert(value[field.key], context);
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
      return out;
    };
    compiledRecords.set(full, convert);
    return convert;
  };

  const root = compileRecord(schema, undefined);
  return (entity, context) => {
    try {
      return root(entity, context) as Record<string, unknown>;
    } catch (error) {
      if (!(error instanceof FieldProblem)) throw error;
      throw new AvroRecordError(`${rootPath}${error.segments.reverse().join('')}`, error.message);
    }
  };
}
