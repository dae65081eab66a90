/**
 * What Bookeo says now, within the connector's scope: every entity of each resource with the
 * content hash the source would stamp on its record (the version in `bookeo.idempotency-key`) and its version time.
 * Windowed resources are listed over the same windows a fresh backfill would use (from
 * `source.backfillFrom` to now, no safety lag), snapshot resources in full, and child resources
 * (linked people) once per parent, with the parent reference added exactly as the source adds it.
 */
import type { BookeoAccountClient } from '../bookeo/client.js';
import { BookeoApiError } from '../bookeo/errors.js';
import {
  contentHash,
  entityId,
  entityTime,
  listRequest,
  maxWindowSeconds,
  planWindows,
  resourceByName,
  type ResourceDefinition,
} from '../bookeo/catalog/index.js';
import type { ResourceName } from '../contract/resources.js';

export interface BookeoEntity {
  readonly hash: string;
  /** Version time (epoch seconds) where the resource has one (bookings, payments). */
  readonly at: number | undefined;
}

export type ResourceState = Map<string, BookeoEntity>;

export interface BookeoScope {
  /** `source.backfillFrom` as epoch seconds. */
  readonly backfillFrom: number;
  /** Now at Bookeo, epoch seconds. */
  readonly now: number;
  readonly signal?: AbortSignal;
}

async function listItems(
  client: BookeoAccountClient,
  row: ResourceDefinition,
  scope: BookeoScope,
  parentId?: string,
): Promise<Array<Record<string, unknown>>> {
  const cursor = row.cursor;
  const steps =
    cursor.kind === 'lastUpdatedWindow' || cursor.kind === 'timeWindow'
      ? planWindows({
          cursor: undefined,
          backfillFrom: scope.backfillFrom,
          now: scope.now,
          safetyLagSeconds: 0,
          lookbackSeconds: 0,
          maxWindowSeconds: maxWindowSeconds(cursor),
        }).map((window) => ({ window }))
      : [parentId === undefined ? {} : { parentId }];
  const items: Array<Record<string, unknown>> = [];
  for (const step of steps) {
    for await (const page of client.list(
      listRequest(row, step),
      scope.signal === undefined ? {} : { signal: scope.signal },
    )) {
      for (const item of page.items) {
        const entity = item as Record<string, unknown>;
        items.push(
          cursor.kind === 'child' && parentId !== undefined ? { ...entity, [cursor.parentRefField]: parentId } : entity,
        );
      }
    }
  }
  return items;
}

function stateOf(row: ResourceDefinition, items: readonly unknown[]): ResourceState {
  const state: ResourceState = new Map();
  // A later sighting wins: an entity changed during the listing can appear in two windows.
  for (const item of items) state.set(entityId(row, item), { hash: contentHash(item), at: entityTime(row, item) });
  return state;
}

/** Lists the resources of one account; a child resource's parent is listed too (for its ids) when not asked for. */
export async function readBookeoState(
  client: BookeoAccountClient,
  resources: readonly ResourceName[],
  scope: BookeoScope,
): Promise<Map<ResourceName, ResourceState>> {
  const states = new Map<ResourceName, ResourceState>();
  const parentIds = new Map<ResourceName, string[]>();
  const rows = resources.map((name) => resourceByName(name));
  const parents = new Set(rows.flatMap((row) => (row.cursor.kind === 'child' ? [row.cursor.parent] : [])));
  for (const row of [
    ...rows.filter((r) => r.cursor.kind !== 'child'),
    ...[...parents].filter((p) => !resources.includes(p)).map((p) => resourceByName(p)),
  ]) {
    if (parentIds.has(row.name)) continue;
    const state = stateOf(row, await listItems(client, row, scope));
    if (resources.includes(row.name)) states.set(row.name, state);
    parentIds.set(row.name, [...state.keys()]);
  }
  for (const row of rows) {
    if (row.cursor.kind !== 'child') continue;
    const items: Array<Record<string, unknown>> = [];
    for (const parentId of parentIds.get(row.cursor.parent) ?? []) {
      // A parent deleted since its listing has no children any more (Bookeo answers 404).
      items.push(
        ...(await listItems(client, row, scope, parentId).catch((error: unknown) =>
          error instanceof BookeoApiError && error.status === 404 ? [] : Promise.reject(error),
        )),
      );
    }
    states.set(row.name, stateOf(row, items));
  }
  return states;
}
