/** GET /bookings (windows, filters, expansions), GET /bookings/{n}, its customer, and POST /bookings. */
import { bookingJson, type BookingExpansion } from '../data/booking-view.js';
import { badRequest, notFound, ok, type ApiResponse } from '../http.js';
import { createBooking } from '../mutations.js';
import { MAX_WINDOW_SECONDS, boolParam, windowParam } from '../params.js';
import { parseBookingInput } from './booking-input.js';
import { listPage, type ApiRequest, type ApiRoute } from './types.js';

function expansion(query: URLSearchParams): BookingExpansion {
  return {
    expandCustomer: boolParam(query, 'expandCustomer', false),
    expandParticipants: boolParam(query, 'expandParticipants', false),
  };
}

function listBookings(request: ApiRequest): ApiResponse {
  const { account, query, now } = request;
  const page = listPage(
    request,
    'bookings',
    100,
    () => {
      const zone = account.ctx.zone;
      const start = windowParam(query, 'startTime', 'endTime', zone, MAX_WINDOW_SECONDS);
      const updated = windowParam(query, 'lastUpdatedStartTime', 'lastUpdatedEndTime', zone, MAX_WINDOW_SECONDS);
      if (start === undefined && updated === undefined)
        throw badRequest('give startTime/endTime and/or lastUpdatedStartTime/lastUpdatedEndTime');
      const productId = query.get('productId');
      let product: number | undefined;
      if (productId !== null && productId !== '') {
        product = account.catalog.productIndex(productId);
        if (product < 0) throw badRequest(`unknown productId ${productId}`);
      }
      const ids = account.bookings.select({
        start,
        updated,
        includeCanceled: boolParam(query, 'includeCanceled', false),
        product,
      });
      return { ids, context: expansion(query) };
    },
    (index, expand) => (account.bookings.isDeleted(index) ? undefined : bookingJson(account, index, expand, now)),
  );
  return ok(page, 'list');
}

function findBooking(request: ApiRequest): number {
  const number = request.params.bookingNumber ?? '';
  const index = request.account.bookings.indexOf(number);
  if (index < 0 || request.account.bookings.isDeleted(index)) throw notFound(`booking ${number}`);
  return index;
}

function createFromBody(request: ApiRequest): ApiResponse {
  const { account, now, query } = request;
  const input = parseBookingInput(account, request.body, now);
  const previousHoldId = query.get('previousHoldId');
  if (previousHoldId !== null && previousHoldId !== '') {
    if (!account.holds.has(previousHoldId)) throw badRequest(`hold ${previousHoldId} does not exist or has expired`);
    account.holds.delete(previousHoldId);
  }
  const customer = input.customer ?? account.customers.add(now);
  if (input.newCustomer !== undefined) account.customers.posted.set(customer, input.newCustomer);
  const spec = account.catalog.products[input.product]?.spec;
  const number = createBooking(account, {
    product: input.product,
    start: input.start,
    customer,
    customerIsNew: input.customer === undefined,
    now,
    pending: spec?.acceptDeny === true,
    facts: { numbers: input.numbers, options: input.options },
  });
  const body = bookingJson(
    account,
    account.bookings.indexOf(number),
    { expandCustomer: false, expandParticipants: false },
    now,
  );
  return { status: 201, body, headers: { location: `/v2/bookings/${number}` }, records: 'single' };
}

export const bookingRoutes: readonly ApiRoute[] = [
  { method: 'GET', path: '/bookings', handler: listBookings },
  { method: 'POST', path: '/bookings', handler: createFromBody },
  {
    method: 'GET',
    path: '/bookings/{bookingNumber}',
    handler: (request) =>
      ok(bookingJson(request.account, findBooking(request), expansion(request.query), request.now), 'single'),
  },
  {
    method: 'GET',
    path: '/bookings/{bookingNumber}/customer',
    handler: (request) =>
      ok(
        request.account.customerJson(request.account.bookings.customer.get(findBooking(request)), request.now),
        'single',
      ),
  },
];
