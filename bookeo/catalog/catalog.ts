/**
 * The resource catalog: one definition per Bookeo resource drives the whole source (endpoint, key,
 * cursor strategy, window limit, page size, fixed query params, Avro schema). Code never asks "is
 * this bookings?"; it reads the definition. The definitions follow the published resource list
 * (contract/resources.ts: names, topic suffixes, order); adding a resource = a name there, one
 * definition here, one .avsc.
 *
 * Cursor strategies (discriminated by `kind`):
 *   lastUpdatedWindow  closed [start, end] windows on the "last changed or created" filter
 *                      (bookings); cursor = end of the last fully fetched window
 *   timeWindow         the same over a plain startTime/endTime filter (payments, append-only)
 *   snapshot           full listing diffed against the last published state (content hashes);
 *                      with `createdSinceParam`, new entities are also pulled between snapshots
 *   child              per parent entity, fetched for new and changed parents (linked people)
 *
 * Not listed, on purpose (UNLISTED_RESOURCES): holds have no list endpoint; they live at most
 * 10 minutes and turn into bookings, which the bookings definition captures, so the connector does
 * nothing about them. Their reasons are data too, so status output can show them.
 *
 * Public API: RESOURCE_CATALOG, UNLISTED_RESOURCES, resourceByName(name), selectResources(names?),
 *             types ResourceDefinition, CursorStrategy, WindowedStrategy.
 */
import { RESOURCES, type ResourceName } from '../../contract/resources.js';
import type { Query } from '../pagination.js';

export const DAY_SECONDS = 86_400;

interface WindowFields {
  /** Query parameter names of the inclusive window bounds. */
  readonly startParam: string;
  readonly endParam: string;
  /** Entity fields holding its version time, first present wins (lastChangeTime is missing until a first change). */
  readonly cursorFields: readonly string[];
  /** Bookeo rejects wider windows. */
  readonly maxWindowDays: number;
}

export type WindowedStrategy =
  ({ readonly kind: 'lastUpdatedWindow' } & WindowFields) | ({ readonly kind: 'timeWindow' } & WindowFields);

export type CursorStrategy =
  | WindowedStrategy
  | {
      readonly kind: 'snapshot';
      /** Filter for "created since" pulls between full listings (customers). */
      readonly createdSinceParam?: string;
      /** Entity field matching that filter, used to move the created-since cursor. */
      readonly createdField?: string;
    }
  | {
      readonly kind: 'child';
      readonly parent: ResourceName;
      /** Field of the parent entity substituted for `{id}` in the definition's path. */
      readonly parentKeyField: string;
      /** Field of the child naming its parent (part of the child's key). */
      readonly parentRefField: string;
    };

export type Pagination =
  | { readonly kind: 'pages'; readonly itemsPerPage: number; readonly maxItemsPerPage: number }
  /** One `{data}` answer (e.g. /settings/languages, /webhooks have no documented paging). */
  | { readonly kind: 'none' };

export interface ResourceDefinition {
  readonly name: ResourceName;
  readonly doc: string;
  /** Relative to the base URL; `{id}` is the parent id for child resources. */
  readonly path: string;
  /** Fields whose values, joined by '/', form the entity id (record key within the account). */
  readonly key: readonly string[];
  readonly cursor: CursorStrategy;
  readonly pagination: Pagination;
  /** Fixed query parameters sent with the first page of every query. */
  readonly params: Query;
  /** Full name of the value schema, kept in `avro/schemas/<name>.avsc` (keys use the shared key.avsc). */
  readonly avroSchema: string;
  /** One entity by id (`{id}` replaced); a 404 there confirms a hard delete that polling cannot see (webhook deliveries re-read here). */
  readonly itemPath?: string;
}

const WINDOW_LIMIT_DAYS = 31;

/** How each published resource is fetched; its topic comes from the resource list. */
const DEFINITIONS: { readonly [name in ResourceName]: Omit<ResourceDefinition, 'name'> } = {
  bookings: {
    doc: 'Bookings, canceled ones included (a cancelation is a change). Bookeo filters on "last changed or created", so new bookings appear too.',
    path: '/bookings',
    key: ['bookingNumber'],
    cursor: {
      kind: 'lastUpdatedWindow',
      startParam: 'lastUpdatedStartTime',
      endParam: 'lastUpdatedEndTime',
      cursorFields: ['lastChangeTime', 'creationTime'],
      maxWindowDays: WINDOW_LIMIT_DAYS,
    },
    pagination: { kind: 'pages', itemsPerPage: 100, maxItemsPerPage: 100 },
    params: { includeCanceled: true, expandParticipants: true },
    avroSchema: 'com.bookeo.connect.Booking',
    itemPath: '/bookings/{id}',
  },
  customers: {
    doc: 'Customers: no update timestamp exists, so new ones come through createdSince and changes/deletes through periodic full listings.',
    path: '/customers',
    key: ['id'],
    cursor: { kind: 'snapshot', createdSinceParam: 'createdSince', createdField: 'creationTime' },
    pagination: { kind: 'pages', itemsPerPage: 100, maxItemsPerPage: 100 },
    params: {},
    avroSchema: 'com.bookeo.connect.Customer',
    itemPath: '/customers/{id}',
  },
  customers_people: {
    doc: "A customer's linked people, re-read for every new or changed customer; a deleted customer's people are deleted with it.",
    path: '/customers/{id}/linkedpeople',
    key: ['customerId', 'id'],
    cursor: { kind: 'child', parent: 'customers', parentKeyField: 'id', parentRefField: 'customerId' },
    pagination: { kind: 'pages', itemsPerPage: 100, maxItemsPerPage: 100 },
    params: {},
    avroSchema: 'com.bookeo.connect.LinkedPerson',
  },
  settings_languages: {
    doc: 'Languages enabled on the account; tiny, one unpaged {data} answer.',
    path: '/settings/languages',
    key: ['tag'],
    cursor: { kind: 'snapshot' },
    pagination: { kind: 'none' },
    params: {},
    avroSchema: 'com.bookeo.connect.Language',
  },
  settings_products: {
    doc: 'Products (Bookeo asks clients to cache them 10-15 minutes; the snapshot interval is far longer).',
    path: '/settings/products',
    key: ['productId'],
    cursor: { kind: 'snapshot' },
    pagination: { kind: 'pages', itemsPerPage: 100, maxItemsPerPage: 100 },
    params: {},
    avroSchema: 'com.bookeo.connect.Product',
  },
  resources: {
    doc: 'Resource types, each with its resources.',
    path: '/settings/resources',
    key: ['id'],
    cursor: { kind: 'snapshot' },
    pagination: { kind: 'pages', itemsPerPage: 100, maxItemsPerPage: 100 },
    params: {},
    avroSchema: 'com.bookeo.connect.ResourceType',
  },
  payments: {
    doc: 'Payments are append-only (refunds are new negative payments), so windows over the payment time suffice.',
    path: '/payments',
    key: ['id'],
    cursor: {
      kind: 'timeWindow',
      startParam: 'startTime',
      endParam: 'endTime',
      cursorFields: ['creationTime'],
      maxWindowDays: WINDOW_LIMIT_DAYS,
    },
    pagination: { kind: 'pages', itemsPerPage: 300, maxItemsPerPage: 300 },
    params: {},
    avroSchema: 'com.bookeo.connect.Payment',
    itemPath: '/payments/{id}',
  },
  webhooks: {
    doc: "The installation's webhooks (blockedTime shows a webhook Bookeo stopped delivering to).",
    path: '/webhooks',
    key: ['id'],
    cursor: { kind: 'snapshot' },
    pagination: { kind: 'none' },
    params: {},
    avroSchema: 'com.bookeo.connect.Webhook',
  },
};

export const RESOURCE_CATALOG: readonly ResourceDefinition[] = Object.freeze(
  RESOURCES.map(({ name }) => Object.freeze({ name, ...DEFINITIONS[name] })),
);

export interface UnlistedResource {
  readonly name: string;
  readonly reason: string;
  readonly connectorAction: string;
}

export const UNLISTED_RESOURCES: readonly UnlistedResource[] = Object.freeze([
  {
    name: 'holds',
    reason: 'no list endpoint (only POST/GET/DELETE /holds/{id}); a hold lasts at most 10 minutes',
    connectorAction:
      'none: a hold that is confirmed becomes a booking and arrives through the bookings resource; the others expire',
  },
]);

export function resourceByName(name: string): ResourceDefinition {
  const definition = RESOURCE_CATALOG.find((candidate) => candidate.name === name);
  if (definition === undefined) {
    const unlisted = UNLISTED_RESOURCES.find((candidate) => candidate.name === name);
    if (unlisted !== undefined)
      throw new RangeError(`resource "${name}" is not polled: ${unlisted.reason}; ${unlisted.connectorAction}`);
    throw new RangeError(`unknown resource "${name}"; known: ${RESOURCE_CATALOG.map((r) => r.name).join(', ')}`);
  }
  return definition;
}

/**
 * The definitions to run (config `source.resources`, or all), in catalog order, with child parents added:
 * a child needs its parent's diff, so asking for customers_people alone still lists customers.
 */
export function selectResources(names?: readonly string[]): ResourceDefinition[] {
  if (names === undefined) return [...RESOURCE_CATALOG];
  const wanted = new Set(names.map((name) => resourceByName(name).name));
  for (const name of [...wanted]) {
    const definition = resourceByName(name);
    if (definition.cursor.kind === 'child') wanted.add(definition.cursor.parent);
  }
  return RESOURCE_CATALOG.filter((definition) => wanted.has(definition.name));
}
