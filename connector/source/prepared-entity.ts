/**
 * An entity as the streams handle it between fetch and commit: its id, content hash and version
 * time computed once from the catalog definition, and its Kafka record already built (encoding happens
 * while later pages are still being fetched, and only bytes are kept, which bounds memory).
 */
import { contentHash } from '../../bookeo/catalog/content-hash.js';
import { EntityKeyError, entityId, entityTime } from '../../bookeo/catalog/entity.js';
import type { ResourceDefinition } from '../../bookeo/catalog/catalog.js';
import type { BuiltRecord, RecordFactory } from './record-factory.js';

export interface PreparedEntity {
  readonly id: string;
  readonly hash: string;
  /** Version time in epoch seconds, when the definition has one. */
  readonly at: number | undefined;
  readonly built: BuiltRecord;
}

export async function prepareEntity(
  definition: ResourceDefinition,
  factory: RecordFactory,
  item: unknown,
  request: string,
  fetchedAt: string,
): Promise<PreparedEntity> {
  const hash = contentHash(item);
  let id: string;
  try {
    id = entityId(definition, item);
  } catch (error) {
    if (!(error instanceof EntityKeyError)) throw error;
    // No key, no place in a compacted topic: dead-letter it with the whole entity for a human.
    return {
      id: `?${hash}`,
      hash,
      at: undefined,
      built: factory.deadLetter({
        id: `?${hash}`,
        value: item,
        reason: error.message,
        errorClass: error.name,
        request,
        fetchedAt,
      }),
    };
  }
  const entity = typeof item === 'object' && item !== null ? (item as Record<string, unknown>) : { value: item };
  const built = await factory.upsert({ id, entity, contentHash: hash, request, fetchedAt });
  return { id, hash, at: entityTime(definition, item), built };
}
