/**
 * The reviewed schemas in avro/schemas/*.avsc, by resource, and how each resource's entity id (the
 * `id` of the shared key) is formed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeValue } from './convert.js';
import { AvroRecordError } from './errors.js';
import type { AvroRecord } from './schema-json.js';

export const RESOURCES = ['bookings', 'customers', 'customers_people', 'settings_languages', 'settings_products', 'resources', 'payments', 'webhooks'] as const;
export type Resource = (typeof RESOURCES)[number];

export function isResource(name: string): name is Resource {
  return (RESOURCES as readonly string[]).includes(name);
}

/**
 * The folder holding the .avsc files. Under tsx this module sits next to it; when built, it runs
 * from dist/avro/ while the files ship in avro/schemas/ at the package root (package.json "files").
 */
function schemasDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'schemas'), join(here, '..', '..', 'avro', 'schemas')];
  const found = candidates.find((dir) => existsSync(join(dir, 'key.avsc')));
  if (found === undefined) throw new Error(`avro schemas not found in ${candidates.join(' or ')}`);
  return found;
}

const cache = new Map<string, AvroRecord>();

function load(file: string): AvroRecord {
  let schema = cache.get(file);
  if (schema === undefined) {
    schema = JSON.parse(readFileSync(join(schemasDir(), `${file}.avsc`), 'utf8')) as AvroRecord;
    cache.set(file, schema);
  }
  // A copy per caller: evolution works on its own copy and the reviewed schema stays as reviewed.
  return structuredClone(schema);
}

/** The reviewed value schema of a resource. */
export function valueSchemaOf(resource: Resource): AvroRecord {
  return load(resource);
}

/** The key schema shared by every topic: `{account: string, id: string}`. */
export function keySchema(): AvroRecord {
  return load('key');
}

function text(entity: Record<string, unknown>, field: string, resource: Resource): string {
  const value = entity[field];
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  throw new AvroRecordError(`${resource}.key.id`, `entity has no usable ${field} (found ${describeValue(value)}), so it cannot be keyed`);
}

/**
 * The entity id in the key. For customers_people, a person id is only unique within its customer,
 * so the id is `<customerId>/<personId>` (Bookeo ids never contain "/").
 */
export function entityKeyId(resource: Resource, entity: Record<string, unknown>): string {
  switch (resource) {
    case 'bookings':
      return text(entity, 'bookingNumber', resource);
    case 'settings_products':
      return text(entity, 'productId', resource);
    case 'settings_languages':
      return text(entity, 'tag', resource);
    case 'customers_people':
      return `${text(entity, 'customerId', resource)}/${text(entity, 'id', resource)}`;
    case 'customers':
    case 'resources':
    case 'payments':
    case 'webhooks':
      return text(entity, 'id', resource);
  }
}
