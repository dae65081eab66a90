/**
 * Reading an entity through its catalog definition: its id (key fields joined by '/'), its version time
 * (first present cursor field, as epoch seconds), its fingerprint (id + content hash), and the expanded path of a child resource.
 *
 * Public API: entityId, entityTime, entityFingerprint, childPath, parseBookeoTime
 */
import type { ResourceDefinition } from './catalog.js';
import { contentHash } from './content-hash.js';

/** Thrown when Bookeo sends an entity without its key: it cannot be keyed, so it cannot be published. */
export class EntityKeyError extends Error {
  constructor(resource: string, field: string) {
    super(`${resource} entity has no usable key field "${field}"`);
    this.name = 'EntityKeyError';
  }
}

function field(item: unknown, name: string): unknown {
  return typeof item === 'object' && item !== null ? (item as Record<string, unknown>)[name] : undefined;
}

export function entityId(definition: ResourceDefinition, item: unknown): string {
  return definition.key
    .map((name) => {
      const value = field(item, name);
      // Ids are strings at Bookeo; a number (bookingNumber in some clients) is accepted as its text.
      if (typeof value === 'string' && value !== '') return value;
      if (typeof value === 'number' && Number.isFinite(value)) return String(value);
      throw new EntityKeyError(definition.name, name);
    })
    .join('/');
}

/** RFC 3339 with any offset (Bookeo sends venue-local offsets) → epoch seconds; undefined if unreadable. */
export function parseBookeoTime(value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T/.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

/** The entity's version time per the definition's cursor fields (windowed and created-since definitions), or undefined. */
export function entityTime(definition: ResourceDefinition, item: unknown): number | undefined {
  const fields =
    definition.cursor.kind === 'lastUpdatedWindow' || definition.cursor.kind === 'timeWindow'
      ? definition.cursor.cursorFields
      : definition.cursor.kind === 'snapshot' && definition.cursor.createdField !== undefined
        ? [definition.cursor.createdField]
        : [];
  for (const name of fields) {
    const time = parseBookeoTime(field(item, name));
    if (time !== undefined) return time;
  }
  return undefined;
}

/**
 * `id@contentHash`: identity plus exact content, so "already seen" never hides a change even when
 * Bookeo changes something without moving lastChangeTime. Used to skip repeats after a restart.
 */
export function entityFingerprint(definition: ResourceDefinition, item: unknown): string {
  return `${entityId(definition, item)}@${contentHash(item)}`;
}

/** `/customers/{id}/linkedpeople` with the parent id filled in (URL-encoded). */
export function childPath(definition: ResourceDefinition, parentId: string): string {
  if (!definition.path.includes('{id}')) throw new RangeError(`${definition.name} has no {id} in its path`);
  return definition.path.replace('{id}', encodeURIComponent(parentId));
}
