/** POST /holds, GET /holds/{id}, DELETE /holds/{id}: priced, short-lived seat reservations that expire on the clock. */
import { randomBytes } from 'node:crypto';
import { priceOf } from '../data/booking-facts.js';
import { money } from '../data/money.js';
import { badRequest, notFound, ok } from '../http.js';
import { intParam } from '../params.js';
import { parseBookingInput } from './booking-input.js';
import type { ApiRoute } from './types.js';

const MAX_HOLD_SECONDS = 600; // "a hold may last at most 10 minutes" (S6)

export const holdRoutes: readonly ApiRoute[] = [
  {
    method: 'POST',
    path: '/holds',
    handler: ({ account, body, query, now }) => {
      const input = parseBookingInput(account, body, now);
      const duration = intParam(query, 'holdDurationSeconds') ?? MAX_HOLD_SECONDS;
      if (duration < 1 || duration > MAX_HOLD_SECONDS)
        throw badRequest(`holdDurationSeconds must be between 1 and ${MAX_HOLD_SECONDS}`);
      const previous = query.get('previousHoldId');
      if (previous !== null) account.holds.delete(previous);
      const currency = account.ctx.theme.currency;
      const price = priceOf(
        input.numbers,
        input.options,
        account.catalog.ratesAt(input.product, now),
        account.ctx.theme.taxBasisPoints,
      );
      const id = randomBytes(12).toString('base64url').slice(0, 16);
      const expiration = now + duration;
      const hold = {
        id,
        price: {
          totalGross: money(price.gross, currency),
          totalNet: money(price.net, currency),
          totalTaxes: money(price.taxes, currency),
          totalPaid: money(0, currency),
        },
        expiration: account.ctx.zone.iso(expiration),
        totalPayable: money(price.gross, currency),
      };
      account.holds.set(id, { id, expiration, body: hold });
      return { status: 201, body: hold, headers: { location: `/v2/holds/${id}` } };
    },
  },
  {
    method: 'GET',
    path: '/holds/{id}',
    handler: ({ account, params, now }) => {
      const hold = account.holds.get(params.id ?? '');
      if (hold === undefined || hold.expiration <= now) throw notFound(`hold ${params.id ?? ''}`);
      return ok(hold.body);
    },
  },
  {
    method: 'DELETE',
    path: '/holds/{id}',
    handler: ({ account, params }) => {
      if (!account.holds.delete(params.id ?? '')) throw notFound(`hold ${params.id ?? ''}`);
      return { status: 204, body: undefined };
    },
  },
];
