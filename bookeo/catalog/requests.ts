/**
 * Catalog definition + step → the client's ListRequest: path (child id filled in), the definition's fixed
 * params, its page size, and the step's filter (a window or a created-since query).
 *
 * Public API: listRequest(definition, step?): ListRequest, itemRequest(definition, id): ItemRequest
 */
import type { ListRequest } from '../client.js';
import type { Query } from '../pagination.js';
import type { ResourceDefinition } from './catalog.js';
import { childPath } from './entity.js';
import { windowQuery, type TimeWindow } from './windows.js';

export interface RequestStep {
  /** For windowed definitions. */
  readonly window?: TimeWindow;
  /** Extra filter, e.g. a snapshot step's created-since query. */
  readonly query?: Query;
  /** For child definitions. */
  readonly parentId?: string;
}

export function listRequest(definition: ResourceDefinition, step: RequestStep = {}): ListRequest {
  const cursor = definition.cursor;
  if ((cursor.kind === 'lastUpdatedWindow' || cursor.kind === 'timeWindow') !== (step.window !== undefined)) {
    throw new RangeError(`${definition.name}: a window is required for windowed definitions and only for them`);
  }
  if ((cursor.kind === 'child') !== (step.parentId !== undefined)) {
    throw new RangeError(`${definition.name}: a parentId is required for child definitions and only for them`);
  }
  const path = step.parentId === undefined ? definition.path : childPath(definition, step.parentId);
  const paging: Query =
    definition.pagination.kind === 'pages'
      ? { itemsPerPage: Math.min(definition.pagination.itemsPerPage, definition.pagination.maxItemsPerPage) }
      : {};
  const filter: Query =
    (cursor.kind === 'lastUpdatedWindow' || cursor.kind === 'timeWindow') && step.window !== undefined
      ? windowQuery(cursor, step.window)
      : {};
  return {
    path,
    query: { ...definition.params, ...step.query, ...filter, ...paging },
    pagination: definition.pagination.kind,
    label: definition.name,
  };
}

/** One entity by id: the definition's item path, with the expansions its listing asks for. */
export interface ItemRequest {
  readonly path: string;
  readonly query: Query;
  readonly label: string;
}

export function itemRequest(definition: ResourceDefinition, id: string): ItemRequest {
  if (definition.itemPath === undefined) throw new RangeError(`${definition.name} has no item path`);
  const expansions = Object.entries(definition.params).filter(([name]) => name.startsWith('expand'));
  return {
    path: definition.itemPath.replace('{id}', encodeURIComponent(id)),
    query: Object.fromEntries(expansions),
    label: definition.name,
  };
}
