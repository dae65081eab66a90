/**
 * What a delivery's `item` spares: the re-read by id, so the delivery costs no Bookeo call.
 * Bookeo's body carries the entity as `item` (known from clients only, shared/bookeo-api.md §8);
 * nothing documents which expansions it has, and a delivery may come late or out of order.
 *
 * An item older than a version already published is superseded: the change it reports is in that
 * version, so there is nothing to read or publish. It needs a version time (windowed resources:
 * a booking's lastChangeTime or creationTime, a payment's creationTime) strictly before that of a
 * version the poll's or the webhook memory holds (a tombstone's is when it was found gone), in
 * every delivery of the entity, none saying Bookeo lost a message.
 *
 * An item is published as is only where nothing can make it wrong:
 * - the resource never changes once created (its only webhook is `created`: payments), so no newer
 *   state exists for a late item to hide; bookings and customers change (customers have no change
 *   time at all to order items by);
 * - the re-read would ask for no query option (an expansion) that the item may lack;
 * - every delivery of the entity carries the same item, it names that entity, and no delivery says
 *   Bookeo lost a message;
 * - its version time is after the resource's cursor: no committed poll or sweep has read the
 *   entity, so all that was published of it came from deliveries and is in the webhook memory;
 * - nothing published of the entity is known at another version (a tombstone included).
 * Anything else is re-read as before.
 *
 * Public API: itemUse(input), trustedItem(input), supersededItem(input), ItemTrustInput,
 *             CREATED_ONLY_RESOURCES
 */
import { contentHash } from '../../../bookeo/catalog/content-hash.js';
import type { ResourceDefinition } from '../../../bookeo/catalog/catalog.js';
import { EntityKeyError, entityId, entityTime } from '../../../bookeo/catalog/entity.js';
import { itemRequest } from '../../../bookeo/catalog/requests.js';
import type { SeenVersions } from '../dedupe.js';
import { RECEIVED_DOMAINS, RECEIVED_WEBHOOKS, resourceOfDomain, type WebhookDelivery } from './delivery.js';
import { SUPERSEDED } from './entity-reads.js';

/** Resources whose domain has no webhook but `created`: an entity, once made, stays as it is. */
export const CREATED_ONLY_RESOURCES: ReadonlySet<string> = new Set(
  RECEIVED_DOMAINS.filter((domain) =>
    RECEIVED_WEBHOOKS.every(([received, type]) => received !== domain || type === 'created'),
  ).map(resourceOfDomain),
);

export interface ItemTrustInput {
  readonly definition: ResourceDefinition;
  readonly id: string;
  readonly deliveries: readonly WebhookDelivery[];
  /** The resource's committed cursor (epoch seconds): everything up to it was read by a poll. */
  readonly cursor: number | undefined;
  /** What polls and deliveries recorded as published (id → version), as the offsets hold it. */
  readonly published: readonly SeenVersions[];
}

function keyOf(definition: ResourceDefinition, item: unknown): string | undefined {
  try {
    return entityId(definition, item);
  } catch (error) {
    if (error instanceof EntityKeyError) return undefined;
    throw error;
  }
}

const isWindowed = (definition: ResourceDefinition): boolean =>
  definition.cursor.kind === 'lastUpdatedWindow' || definition.cursor.kind === 'timeWindow';

/** Every delivery's item is older than a version of the entity known as published. */
export function supersededItem(input: ItemTrustInput): boolean {
  const { definition, id, deliveries } = input;
  if (!isWindowed(definition) || deliveries.length === 0) return false;
  const newestPublished = Math.max(...input.published.map((seen) => seen.get(id)?.at ?? Number.NEGATIVE_INFINITY));
  return deliveries.every((delivery) => {
    if (delivery.previousMessageLost || delivery.item === undefined) return false;
    if (keyOf(definition, delivery.item) !== id) return false;
    const at = entityTime(definition, delivery.item);
    return at !== undefined && at < newestPublished;
  });
}

/** The item to publish instead of re-reading the entity, or undefined: re-read it. */
export function trustedItem(input: ItemTrustInput): Readonly<Record<string, unknown>> | undefined {
  const { definition, id, deliveries, cursor } = input;
  if (!isWindowed(definition) || !CREATED_ONLY_RESOURCES.has(definition.name)) return undefined;
  if (Object.keys(itemRequest(definition, id).query).length > 0) return undefined;
  const item = deliveries[0]?.item;
  if (item === undefined || deliveries.some((delivery) => delivery.previousMessageLost)) return undefined;
  const hash = contentHash(item);
  if (deliveries.some((delivery) => delivery.item === undefined || contentHash(delivery.item) !== hash))
    return undefined;
  if (keyOf(definition, item) !== id) return undefined;
  const at = entityTime(definition, item);
  if (at === undefined || cursor === undefined || at <= cursor) return undefined;
  const otherVersion = input.published.some((seen) => {
    const entry = seen.get(id);
    return entry !== undefined && entry.version !== hash;
  });
  return otherVersion ? undefined : item;
}

/** What the deliveries' item stands for: nothing to do (superseded), the record's entity, or undefined (re-read). */
export function itemUse(input: ItemTrustInput): typeof SUPERSEDED | Readonly<Record<string, unknown>> | undefined {
  return supersededItem(input) ? SUPERSEDED : trustedItem(input);
}
