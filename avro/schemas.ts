/**
 * The reviewed schemas in avro/schemas/*.avsc: one value schema per published resource
 * (`<resource>.avsc`, for each name of contract/resources.ts) and the key schema they share.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResourceName } from '../contract/resources.js';
import type { AvroRecord } from './schema-json.js';

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
export function valueSchemaOf(resource: ResourceName): AvroRecord {
  return load(resource);
}

/** The key schema shared by every topic: `{account: string, id: string}`. */
export function keySchema(): AvroRecord {
  return load('key');
}
