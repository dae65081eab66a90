/**
 * Re-reads the entities a batch of deliveries is about, by id, with the account's Bookeo client
 * (its rate budget and retries): a delivery's `item` may be stale and is absent for hard deletes,
 * while GET by id gives the current state, or 404 once the entity is gone. A target whose item can
 * stand for the re-read (item-trust.ts, decided by the caller) is taken from its delivery instead,
 * and one whose item is older than what is published is not read at all (SUPERSEDED).
 *
 * Public API: readEntities(targets, client, signal, known?), GONE, SUPERSEDED, EntityTarget,
 *             EntityRead
 */
import type { BookeoAccountClient } from '../../../bookeo/client.js';
import { BookeoApiError } from '../../../bookeo/errors.js';
import type { ResourceDefinition } from '../../../bookeo/catalog/catalog.js';
import { itemRequest } from '../../../bookeo/catalog/requests.js';
import type { WebhookDelivery } from './delivery.js';

/** The entity no longer exists (404 or 410 by id). */
export const GONE = Symbol('gone');

/** The deliveries' item is older than what is published of the entity: nothing to read or publish. */
export const SUPERSEDED = Symbol('superseded');

/** One entity of a batch, with every delivery about it. */
export interface EntityTarget {
  readonly definition: ResourceDefinition;
  readonly id: string;
  readonly deliveries: WebhookDelivery[];
}

export type EntityRead =
  { readonly target: EntityTarget; readonly item: unknown } | { readonly target: EntityTarget; readonly error: Error };

async function readOne(client: BookeoAccountClient, target: EntityTarget, signal: AbortSignal): Promise<unknown> {
  const request = itemRequest(target.definition, target.id);
  try {
    return await client.getJson(request.path, request.query, { signal, label: request.label });
  } catch (error) {
    if (error instanceof BookeoApiError && (error.status === 404 || error.status === 410)) return GONE;
    throw error;
  }
}

/**
 * Every target read at once (the rate budget paces them), but those `known` answers for (with an
 * item, or SUPERSEDED); a failed read fails its target only.
 */
export function readEntities(
  targets: Iterable<EntityTarget>,
  client: BookeoAccountClient,
  signal: AbortSignal,
  known: (target: EntityTarget) => unknown = () => undefined,
): Promise<EntityRead[]> {
  return Promise.all(
    [...targets].map(async (target): Promise<EntityRead> => {
      try {
        return { target, item: known(target) ?? (await readOne(client, target, signal)) };
      } catch (error) {
        return { target, error: error instanceof Error ? error : new Error(String(error)) };
      }
    }),
  );
}
