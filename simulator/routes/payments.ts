/** GET /payments (creation-time window, method filter; both times required, ≤ 31 days: the spec's choice) and /payments/{id}. */
import { PAYMENT_METHODS } from '../data/payments.js';
import { badRequest, notFound, ok } from '../http.js';
import { MAX_WINDOW_SECONDS, windowParam } from '../params.js';
import type { AccountData } from '../store.js';
import { listPage, type ApiRoute } from './types.js';

function paymentJson(account: AccountData, index: number): Record<string, unknown> {
  const booking = account.payments.booking.get(index);
  return account.payments.json(
    index,
    account.ctx,
    account.bookings.bookingNumber(booking),
    account.customers.ids.encode(account.bookings.customer.get(booking)),
  );
}

export const paymentRoutes: readonly ApiRoute[] = [
  {
    method: 'GET',
    path: '/payments',
    handler: (request) => {
      const { account, query } = request;
      const page = listPage(
        request,
        'payments',
        300,
        () => {
          const window = windowParam(query, 'startTime', 'endTime', account.ctx.zone, MAX_WINDOW_SECONDS);
          if (window === undefined) throw badRequest('startTime and endTime are required');
          const methodName = query.get('paymentMethod');
          let method: number | undefined;
          if (methodName !== null && methodName !== '') {
            method = (PAYMENT_METHODS as readonly string[]).indexOf(methodName);
            if (method < 0) throw badRequest(`paymentMethod must be one of ${PAYMENT_METHODS.join(', ')}`);
          }
          return { ids: account.payments.select(window[0], window[1], method), context: undefined };
        },
        (i) => paymentJson(account, i),
      );
      return ok(page, 'list');
    },
  },
  {
    method: 'GET',
    path: '/payments/{id}',
    handler: ({ account, params }) => {
      const index = account.payments.indexOf(params.id ?? '');
      if (index < 0) throw notFound(`payment ${params.id ?? ''}`);
      return ok(paymentJson(account, index), 'single');
    },
  },
];

export { paymentJson };
