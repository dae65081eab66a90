/**
 * Catalog row + step → the client's ListRequest: path (child id filled in), the row's fixed
 * params, its page size, and the step's filter (a window or a created-since query).
 *
 * Public API: listRequest(row, step?): ListRequest
 */
import type { ListRequest } from '../bookeo/client.js';
import type { Query } from '../bookeo/pagination.js';
import type { ResourceDefinition } from './catalog.js';
import { childPath } from './entity.js';
import { windowQuery, type TimeWindow } from './windows.js';

export interface RequestStep {
  /** For windowed rows. */
  readonly window?: TimeWindow;
  /** Extra filter, e.g. a snapshot step's created-since query. */
  readonly query?: Query;
  /** For child rows. */
  readonly parentId?: string;
}

export function listRequest(row: ResourceDefinition, step: RequestStep = {}): ListRequest {
  const cursor = row.cursor;
  if ((cursor.kind === 'lastUpdatedWindow' || cursor.kind === 'timeWindow') !== (step.window !== undefined)) {
    throw new RangeError(`${row.name}: a window is required for windowed rows and only for them`);
  }
  if ((cursor.kind === 'child') !== (step.parentId !== undefined)) {
    throw new RangeError(`${row.name}: a parentId is required for child rows and only for them`);
  }
  const path = step.parentId === undefined ? row.path : childPath(row, step.parentId);
  const paging: Query =
    row.pagination.kind === 'pages'
      ? { itemsPerPage: Math.min(row.pagination.itemsPerPage, row.pagination.maxItemsPerPage) }
      : {};
  const filter: Query =
    (cursor.kind === 'lastUpdatedWindow' || cursor.kind === 'timeWindow') && step.window !== undefined
      ? windowQuery(cursor, step.window)
      : {};
  return {
    path,
    query: { ...row.params, ...step.query, ...filter, ...paging },
    pagination: row.pagination.kind,
    label: row.name,
  };
}
