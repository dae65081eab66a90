/**
 * Avro schemas as plain JSON, the form we review, evolve and register.
 *
 * avsc drops logical types and custom field attributes when it exports a schema, so everything
 * that reads or rewrites a schema (conversion, drift, registration) works on this JSON and hands
 * avsc only a parse of it for the binary encoding.
 */

export interface AvroField {
  name: string;
  type: AvroType;
  doc?: string;
  default?: unknown;
  /** Ours: non-string JSON values are stored as their JSON text (for fields whose Bookeo shape is uncertain). */
  jsonText?: boolean;
  /** Ours: the JSON key the field reads, when drift gave it another name (avro/drift.ts). */
  jsonKey?: string;
  /** Ours: the field was the n-th drift added to this schema (avro/drift.ts driftOrdinals). */
  driftOrder?: number;
}

export interface AvroRecord {
  type: 'record';
  name: string;
  namespace?: string;
  doc?: string;
  fields: AvroField[];
}

export interface AvroArray {
  type: 'array';
  items: AvroType;
}

export interface AvroLogical {
  type: 'int' | 'long' | 'bytes';
  logicalType: string;
  precision?: number;
  scale?: number;
}

/** A primitive name, a named-type reference, a union, or a complex type. */
export type AvroType =
  string | AvroType[] | AvroRecord | AvroArray | AvroLogical | { type: string; [attribute: string]: unknown };

export const PRIMITIVES: ReadonlySet<string> = new Set([
  'null',
  'boolean',
  'int',
  'long',
  'float',
  'double',
  'bytes',
  'string',
]);

export function isRecord(type: AvroType): type is AvroRecord {
  return typeof type === 'object' && !Array.isArray(type) && type.type === 'record';
}

export function isArrayType(type: AvroType): type is AvroArray {
  return typeof type === 'object' && !Array.isArray(type) && type.type === 'array';
}

/** The full name of a named type declared inside `enclosingNamespace` (Avro name resolution rules). */
export function qualify(name: string, enclosingNamespace: string | undefined): string {
  if (name.includes('.') || PRIMITIVES.has(name)) return name;
  return enclosingNamespace ? `${enclosingNamespace}.${name}` : name;
}

export function recordFullName(record: AvroRecord, enclosingNamespace: string | undefined): string {
  return qualify(record.name, record.namespace ?? enclosingNamespace);
}

/** The namespace that names inside `record` resolve against. */
export function namespaceOf(fullName: string): string | undefined {
  const dot = fullName.lastIndexOf('.');
  return dot < 0 ? undefined : fullName.slice(0, dot);
}

/** Every record defined in a schema, by full name, with the namespace its inner names resolve in. */
export function indexRecords(root: AvroType, namespace?: string): Map<string, AvroRecord> {
  const index = new Map<string, AvroRecord>();
  const visit = (type: AvroType, ns: string | undefined): void => {
    if (Array.isArray(type)) {
      for (const branch of type) visit(branch, ns);
    } else if (isRecord(type)) {
      const full = recordFullName(type, ns);
      index.set(full, type);
      for (const field of type.fields) visit(field.type, namespaceOf(full));
    } else if (isArrayType(type)) {
      visit(type.items, ns);
    }
  };
  visit(root, namespace);
  return index;
}

/** `["null", T]` → T; anything else → undefined (we only write nullable unions of one type). */
export function nullableInner(type: AvroType): AvroType | undefined {
  if (!Array.isArray(type) || type.length !== 2 || type[0] !== 'null') return undefined;
  return type[1];
}

/** A deep copy, so evolution never mutates a schema someone else holds. */
export function cloneSchema<T extends AvroType>(schema: T): T {
  return structuredClone(schema);
}

const AVRO_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** How drift documented the key of a field it added before fields carried `jsonKey`. */
const DRIFT_DOC_KEY = /^Added by schema drift: Bookeo sent "(.*)", which the reviewed schema lacked/s;

/** The JSON key a field reads: its `jsonKey`, else the key its drift doc names, else its name. */
export function sourceKeyOf(field: AvroField): string {
  if (field.jsonKey !== undefined) return field.jsonKey;
  const documented = field.doc === undefined ? undefined : DRIFT_DOC_KEY.exec(field.doc)?.[1];
  return documented ?? field.name;
}

/** The Avro field name for a JSON key: Bookeo's camelCase keys pass through; anything else is made a legal name. */
export function avroFieldName(jsonKey: string): string {
  if (AVRO_NAME.test(jsonKey)) return jsonKey;
  const cleaned = jsonKey.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[0-9]/.test(cleaned) ? `_${cleaned}` : cleaned || '_';
}
