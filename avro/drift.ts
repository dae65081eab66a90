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
 *
 * Names: a new field is named after its key (avroFieldName), unless that name is taken, in which
 * case it gets the first free `_2`, `_3`, … suffix (contract/columns.ts firstFreeName) and a
 * `jsonKey` attribute naming the key it reads. Taken means: another field of the same record (so
 * `a-b` never merges into `a_b`), or, where the record is flattened into table columns
 * (`parent_child`, see sinks/runner/avro-table.ts), a column the table already has, a lineage or
 * system column, or at the top level a key column; names compare case-insensitively. A key always
 * maps to the field it was first given (sourceKeyOf), so the name is stable across restarts and
 * schema versions: the schema in the registry is the record of every rename.
 *
 * Order: every field drift adds carries `driftOrder`, its rank among the fields drift added to the
 * schema (an outer field before the fields of its new record), so a sink can load the first N of
 * them and keep loading the same N in every later version (`sink.drift`, avro-table.ts).
 */
import { KEY_COLUMN_NAMES, RESERVED_COLUMN_NAMES, columnNameKey, firstFreeName } from '../contract/columns.js';
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
  sourceKeyOf,
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
  let nextOrder = Math.max(0, ...driftOrdinals(evolved).values()) + 1;
  const columns = new Set<string>();
  const resolveRecord = (type: AvroType, namespace: string | undefined): [AvroRecord, string] | undefined => {
    const concrete = nullableInner(type) ?? type;
    if (isRecord(concrete)) return [concrete, recordFullName(concrete, namespace)];
    if (typeof concrete !== 'string') return undefined;
    const full = qualify(concrete, namespace);
    const record = records.get(full);
    return record === undefined ? undefined : [record, full];
  };
  /** Registers the table columns a field makes below `prefix` (records flatten into `parent_child`). */
  const addColumns = (type: AvroType, namespace: string | undefined, column: string, depth = 0): void => {
    const record = resolveRecord(type, namespace);
    // A recursive record cannot be flattened (the sink refuses it); its columns stop at the cycle.
    if (record === undefined || depth > records.size) columns.add(columnNameKey(column));
    else
      for (const field of record[0].fields)
        addColumns(field.type, namespaceOf(record[1]), `${column}_${field.name}`, depth + 1);
  };
  const rootNamespace = namespaceOf(recordFullName(evolved, undefined));
  for (const field of evolved.fields) addColumns(field.type, rootNamespace, field.name);

  /**
   * The name for a new key of `record`. `prefix`: the column prefix of the record's fields when it
   * is flattened into columns (`''` at the top level), undefined inside arrays.
   */
  const newFieldName = (key: string, value: unknown, record: AvroRecord, prefix: string | undefined): string => {
    const leaves = isPlainObject(value) && looksLikeMoney(value) ? ['_amount', '_currency'] : [''];
    const columnTaken = (column: string): boolean =>
      RESERVED_COLUMN_NAMES.has(columnNameKey(column)) || columns.has(columnNameKey(column));
    return firstFreeName(avroFieldName(key), (name) => {
      if (record.fields.some((field) => columnNameKey(field.name) === columnNameKey(name))) return true;
      if (prefix === undefined) return false;
      if (prefix === '' && KEY_NAMES.has(columnNameKey(name))) return true;
      return leaves.some((leaf) => columnTaken(`${prefix}${name}${leaf}`));
    });
  };
  const innerPrefix = (prefix: string | undefined, name: string): string | undefined =>
    prefix === undefined ? undefined : `${prefix}${name}_`;

  const uniqueRecordName = (namespace: string | undefined, wanted: string): string => {
    let name = wanted;
    for (let n = 2; records.has(qualify(name, namespace)); n++) name = `${wanted}${n}`;
    return name;
  };

  /** `prefix`: the column prefix of the new record's fields if `value` makes one that is flattened. */
  const infer = (
    value: unknown,
    nameHint: string,
    namespace: string | undefined,
    path: string,
    prefix: string | undefined,
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
      const fieldName = newFieldName(key, inner, record, prefix);
      const order = nextOrder++;
      const type = infer(inner, `${name}_${fieldName}`, namespace, `${path}.${key}`, innerPrefix(prefix, fieldName));
      if (type === undefined) continue;
      record.fields.push(driftField(fieldName, key, type, order));
      if (prefix !== undefined) addColumns(type, namespace, `${prefix}${fieldName}`);
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
    const items = infer(first, nameHint, namespace, `${path}[]`, undefined);
    if (items === undefined) return undefined;
    // Later elements may carry keys the first lacked: walk them against the item type to add those.
    for (const element of informative.slice(1)) walk(items, element, namespace, `${path}[]`, undefined);
    return { type: 'array', items };
  };

  const walkRecord = (
    record: AvroRecord,
    fullName: string,
    value: unknown,
    path: string,
    prefix: string | undefined,
  ): void => {
    if (!isPlainObject(value)) return;
    const namespace = namespaceOf(fullName);
    for (const [key, inner] of Object.entries(value)) {
      const fieldPath = path === '' ? key : `${path}.${key}`;
      const field = record.fields.find((f) => sourceKeyOf(f) === key);
      if (field !== undefined) {
        walk(field.type, inner, namespace, fieldPath, innerPrefix(prefix, field.name));
      } else if (carriesInformation(inner)) {
        const fieldName = newFieldName(key, inner, record, prefix);
        const order = nextOrder++;
        const type = infer(
          inner,
          `${simpleName(fullName)}_${fieldName}`,
          namespace,
          fieldPath,
          innerPrefix(prefix, fieldName),
        );
        if (type === undefined)
          throw new AvroRecordError(
            `${rootPath}.${fieldPath}`,
            `new field has no inferable Avro type (${describeValue(inner)})`,
          );
        record.fields.push(driftField(fieldName, key, type, order));
        if (prefix !== undefined) addColumns(type, namespace, `${prefix}${fieldName}`);
        added.push({ path: fieldPath, type });
      }
    }
  };

  /** `prefix`: the column prefix of a record's fields at this place, undefined inside arrays. */
  const walk = (
    type: AvroType,
    value: unknown,
    namespace: string | undefined,
    path: string,
    prefix: string | undefined,
  ): void => {
    const record = resolveRecord(type, namespace);
    const concrete = nullableInner(type) ?? type;
    if (record !== undefined) {
      walkRecord(record[0], record[1], value, path, prefix);
    } else if (isArrayType(concrete) && Array.isArray(value)) {
      for (const element of value) walk(concrete.items, element, namespace, `${path}[]`, undefined);
    }
  };

  walkRecord(evolved, recordFullName(evolved, undefined), entity, '', '');
  return { schema: evolved, added };
}

const KEY_NAMES: ReadonlySet<string> = new Set(KEY_COLUMN_NAMES.map(columnNameKey));

function driftField(name: string, jsonKey: string, type: AvroType, driftOrder: number): AvroField {
  return {
    name,
    type: ['null', type],
    default: null,
    doc: `${DRIFT_DOC}"${jsonKey}", which the reviewed schema lacked; type inferred from the values seen.`,
    ...(name === jsonKey ? {} : { jsonKey }),
    driftOrder,
  };
}

const DRIFT_DOC = 'Added by schema drift: Bookeo sent ';

/**
 * Every field drift added to `schema`, with its rank (`driftOrder`). Fields added before drift
 * recorded ranks (known by their doc) rank first, in the order the schema lists them: no such field
 * is added any more, so their ranks never change.
 */
export function driftOrdinals(schema: AvroRecord): Map<AvroField, number> {
  const ordinals = new Map<AvroField, number>();
  let unranked = 0;
  for (const record of indexRecords(schema).values()) {
    for (const field of record.fields) {
      if (typeof field.driftOrder === 'number') ordinals.set(field, field.driftOrder);
      else if (field.doc?.startsWith(DRIFT_DOC) === true) ordinals.set(field, ++unranked);
    }
  }
  return ordinals;
}
