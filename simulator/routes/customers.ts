/** GET /customers (createdSince, search, membership filters), /customers/{id}, its linked people and bookings. */
import { bookingJson } from '../data/booking-view.js';
import { badRequest, notFound, ok } from '../http.js';
import { boolParam, timeParam } from '../params.js';
import type { Zone } from '../time.js';
import { allIndices, listPage, type ApiRequest, type ApiRoute } from './types.js';

const SEARCH_FIELDS = ['name', 'firstName', 'lastName', 'emailAddress'] as const;

function findCustomer(request: ApiRequest): number {
  const id = request.params.id ?? request.params.customerId ?? '';
  const index = request.account.customers.indexOf(id);
  if (index < 0 || request.account.customers.isDeleted(index)) throw notFound(`customer ${id}`);
  return index;
}

function searchCustomers(request: ApiRequest): { ids: Int32Array; context: undefined } {
  const { account, query, now } = request;
  const customers = account.customers;
  const since = timeParam(query, 'createdSince', account.ctx.zone);
  const text = (query.get('searchText') ?? '').trim().toLowerCase();
  const field = query.get('searchField') ?? 'name';
  if (!(SEARCH_FIELDS as readonly string[]).includes(field))
    throw badRequest(`searchField must be one of ${SEARCH_FIELDS.join(', ')}`);
  const members = boolParam(query, 'currentMembers', true);
  const nonMembers = boolParam(query, 'currentNonMembers', true);
  // createdSince is a binary search (creation time grows with the index); other filters scan what is left.
  const first = since === undefined ? 0 : customers.firstCreatedSince(Math.ceil(since));
  const needsJson = !(members && nonMembers);
  const ids = allIndices(customers.count(), (i) => {
    if (i < first || customers.isDeleted(i)) return false;
    if (text !== '') {
      const who = customers.identity(i);
      const haystack =
        field === 'name'
          ? `${who.firstName} ${who.lastName}`
          : field === 'emailAddress'
            ? who.emailAddress
            : who[field as 'firstName' | 'lastName'];
      if (!haystack.toLowerCase().includes(text)) return false;
    }
    if (needsJson) {
      const member = customers.json(i, now, undefined, undefined).member === true;
      if (member ? !members : !nonMembers) return false;
    }
    return true;
  });
  return { ids, context: undefined };
}

export const customerRoutes: readonly ApiRoute[] = [
  {
    method: 'GET',
    path: '/customers',
    handler: (request) =>
      ok(
        listPage(
          request,
          'customers',
          100,
          () => searchCustomers(request),
          (i) => (request.account.customers.isDeleted(i) ? undefined : request.account.customerJson(i, request.now)),
        ),
        'list',
      ),
  },
  {
    method: 'GET',
    path: '/customers/{id}',
    handler: (request) => ok(request.account.customerJson(findCustomer(request), request.now), 'single'),
  },
  {
    method: 'GET',
    path: '/customers/{id}/linkedpeople',
    handler: (request) => {
      const customer = findCustomer(request);
      const people = request.account.customers;
      const page = listPage(
        request,
        'linkedpeople',
        100,
        () => ({
          ids: Int32Array.from({ length: people.linkedCount(customer) }, (_, k) => customer * 4 + k),
          context: undefined,
        }),
        (id) => (people.isDeleted(id >> 2) ? undefined : people.linkedPersonJson(id >> 2, id & 3)),
      );
      return ok(page, 'list');
    },
  },
  {
    method: 'GET',
    path: '/customers/{customerId}/linkedpeople/{id}',
    handler: (request) => {
      const people = request.account.customers;
      const customerId = request.params.customerId ?? '';
      const customer = people.indexOf(customerId);
      const decoded = people.peopleIds.decode(request.params.id ?? '');
      if (
        customer < 0 ||
        people.isDeleted(customer) ||
        decoded < 0 ||
        decoded >> 2 !== customer ||
        (decoded & 3) >= people.linkedCount(customer)
      ) {
        throw notFound(`linked person ${request.params.id ?? ''}`);
      }
      return ok(people.linkedPersonJson(customer, decoded & 3), 'single');
    },
  },
  {
    method: 'GET',
    path: '/customers/{id}/bookings',
    handler: (request) => {
      const { account, query, now } = request;
      const customer = findCustomer(request);
      const b = account.bookings;
      const expandParticipants = boolParam(query, 'expandParticipants', false);
      const page = listPage(
        request,
        'customer-bookings',
        100,
        () => {
          const from = dayOrTime(query, 'beginDate', account.ctx.zone, false);
          const to = dayOrTime(query, 'endDate', account.ctx.zone, true);
          const ids = account.customers
            .bookingsOf(customer)
            .filter(
              (i) =>
                !b.isDeleted(i) &&
                (from === undefined || b.start.get(i) >= from) &&
                (to === undefined || b.start.get(i) <= to),
            );
          ids.sort((x, y) => b.start.get(x) - b.start.get(y) || b.rank.get(x) - b.rank.get(y));
          return { ids: Int32Array.from(ids), context: undefined };
        },
        (i) =>
          b.isDeleted(i) ? undefined : bookingJson(account, i, { expandCustomer: false, expandParticipants }, now),
      );
      return ok(page, 'list');
    },
  },
];

/** `beginDate`/`endDate`: a plain local date (S14) or a date-time (S11 sends one). */
function dayOrTime(query: URLSearchParams, name: string, zone: Zone, endOfDay: boolean): number | undefined {
  const value = query.get(name);
  if (value !== null && /^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const wall = Date.parse(`${value}T00:00:00Z`) / 1000;
    if (Number.isNaN(wall)) throw badRequest(`${name} is not a valid date: ${value}`);
    return zone.fromWallClock(wall) + (endOfDay ? 86_399 : 0);
  }
  return timeParam(query, name, zone);
}
