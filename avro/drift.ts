/**
 * Schema drift: Bookeo sent keys the schema lacks → an evolved schema that holds them.
 *
 * Pure functions. Every new field is appended to the record it belongs to (at any depth, also
 * inside array items and named types), as `["null", T]` with default null: a BACKWARD-compatible
 * change. The inferred T, from the value(s) seen:
 * - string → string (timestamp-looking strings stay strings: a guess would turn a later
 *   non-timestamp into a dead letter); boolean → boolean
 * - number → long when integral, double otherwise (arrays: double if any element is fractional)
 * - `{amount, currency}` with a decimal amount → a Money-shaped record (decimal(18,4) + string)
 * - object → a new record named `<Parent>_<field>` whose fields are all optional
 * - array → array of the inferred element type; record elements are merged across all elements
 * - null, [] and {} carry no type: such keys are skipped until a value arrives
 * An array mixing kinds (e.g. strings and objects) cannot be typed: that record is rejected with
 * an AvroRecordError rather than dropping the field.
 *
 * New named types are always defined inline at the new field, never referenced from elsewhere,
 * because Avro requires a name to be defined before (in document order) any use of it.
 */
import { carriesInformation, describeValue } from './convert.js';
import { AvroRecordError } from './errors.js';
import {
  avroFieldName,
  cloneSchema,
  indexRecords,
  isArrayType,
  isRecord,
  namespaceOf,
  nullableInner,
  qualify,
  recordFullName,
  type AvroField,
  type AvroRecord,
  type AvroType,
} from './schema-json.js';

export interface SchemaAddition {
  /** Dotted path of the new field below the root, `[]` marking array items, e.g. `participants.details[].loyalty`. */
  readonly path: string;
  readonly type: AvroType;
}

export interface Evolution {
  /** A new schema object; the input is never modified. Equal to a copy of the input when nothing was added. */
  readonly schema: AvroRecord;
  readonly added: readonly SchemaAddition[];
}

const DECIMAL_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function jsonKind(value: unknown): string {
  return Array.isArray(value) ? 'array' : typeof value;
}

function looksLikeMoney(value: Record<string, unknown>): boolean {
  const keys = Object.keys(value);
  const amount = value.amount;
  return (
    keys.length === 2 &&
    typeof value.currency === 'string' &&
    ((typeof amount === 'number' && Number.isFinite(amount)) ||
      (typeof amount === 'string' && DECIMAL_TEXT.test(amount)))
  );
}

function simpleName(fullName: string): string {
  return fullName.slice(fullName.lastIndexOf('.') + 1);
}

/** Evolves `schema` so that every informative key of `entity` has a field. `rootPath` prefixes error paths. */
export function evolveSchema(schema: AvroRecord, entity: unknown, rootPath: string): Evolution {
  const evolved = cloneSchema(schema);
  const records = indexRecords(evolved);
  const added: SchemaAddition[] = [];

  const uniqueRecordName = (namespace: string | undefined, wanted: string): string => {
    let name = wanted;
    for (let n = 2; records.has(qualify(name, namespace)); n++) name = `${wanted}${n}`;
    return name;
  };

  const infer = (
    value: unknown,
    nameHint: string,
    namespace: string | undefined,
    path: string,
  ): AvroType | undefined => {
    if (typeof value === 'string') return 'string';
    if (typeof value === 'boolean') return 'boolean';
    if (typeof value === 'number') return Number.isInteger(value) ? 'long' : 'double';
    if (Array.isArray(value)) return inferArray(value, nameHint, namespace, path);
    if (!isPlainObject(value) || !carriesInformation(value)) return undefined;
    const name = uniqueRecordName(namespace, nameHint);
    if (looksLikeMoney(value)) {
      const money: AvroRecord = {
        type: 'record',
        name,
        doc: 'Money-shaped value found by schema drift: exact decimal amount and ISO 4217 currency.',
        fields: [
          {
            name: 'amount',
            type: { type: 'bytes', logicalType: 'decimal', precision: 18, scale: 4 },
            doc: 'Amount as decimal(18,4).',
          },
          { name: 'currency', type: 'string', doc: 'ISO 4217 currency code.' },
        ],
      };
      records.set(qualify(name, namespace), money);
      return money;
    }
    const record: AvroRecord = { type: 'record', name, doc: `Record inferred by schema drift at ${path}.`, fields: [] };
    records.set(qualify(name, namespace), record);
    for (const [key, inner] of Object.entries(value)) {
      if (!carriesInformation(inner)) continue;
      const fieldName = avroFieldName(key);
      const type = infer(inner, `${name}_${fieldName}`, namespace, `${path}.${key}`);
      if (type !== undefined) record.fields.push(driftField(fieldName, key, type));
    }
    return record;
  };

  const inferArray = (
    values: unknown[],
    nameHint: string,
    namespace: string | undefined,
    path: string,
  ): AvroType | undefined => {
    const informative = values.filter(carriesInformation);
    const first = informative[0];
    if (first === undefined) return undefined;
    const kinds = new Set(informative.map(jsonKind));
    if (kinds.size > 1) {
      throw new AvroRecordError(
        `${rootPath}.${path}`,
        `new field cannot be given one Avro type: its elements mix ${[...kinds].join(' and ')}`,
      );
    }
    if (typeof first === 'number')
      return { type: 'array', items: informative.every(Number.isInteger) ? 'long' : 'double' };
    const items = infer(first, nameHint, namespace, `${path}[]`);
    if (items === undefined) return undefined;
    // Later elements may carry keys the first lacked: walk them against the item type to add those.
    for (const element of informative.slice(1)) walk(items, element, namespace, `${path}[]`);
    return { type: 'array', items };
  };

  const walkRecord = (record: AvroRecord, fullName: string, value: unknown, path: string): void => {
    if (!isPlainObject(value)) return;
    const namespace = namespaceOf(fullName);
    for (const [key, inner] of Object.entries(value)) {
      const fieldName = avroFieldName(key);
      const fieldPath = path === '' ? key : `${path}.${key}`;
      const field = record.fields.find((f) => f.name === key) ?? record.fields.find((f) => f.name === fieldName);
      if (field !== undefined) {
        walk(field.type, inner, namespace, fieldPath);
      } else if (carriesInformation(inner)) {
        const type = infer(inner, `${simpleName(fullName)}_${fieldName}`, namespace, fieldPath);
        if (type === undefined)
          throw new AvroRecordError(
            `${rootPath}.${fieldPath}`,
            `new field has no inferable Avro type (${describeValue(inner)})`,
          );
        record.fields.push(driftField(fieldName, key, type));
        added.push({ path: fieldPath, type });
      }
    }
  };

  const walk = (type: AvroType, value: unknown, namespace: string | undefined, path: string): void => {
    const concrete = nullableInner(type) ?? type;
    if (typeof concrete === 'string') {
      const full = qualify(concrete, namespace);
      const record = records.get(full);
      if (record !== undefined) walkRecord(record, full, value, path);
    } else if (isRecord(concrete)) {
      walkRecord(concrete, recordFullName(concrete, namespace), value, path);
    } else if (isArrayType(concrete) && Array.isArray(value)) {
      for (const element of value) walk(concrete.items, element, namespace, `${path}[]`);
    }
  };

  walkRecord(evolved, recordFullName(evolved, undefined), entity, '');
  return { schema: evolved, added };
}

function driftField(name: string, jsonKey: string, type: AvroType): AvroField {
  return {
    name,
    type: ['null', type],
    default: null,
    doc: `Added by schema drift: Bookeo sent "${jsonKey}", which the reviewed schema lacked; type inferred from the values seen.`,
  };
}
