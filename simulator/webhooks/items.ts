/**
 * The body of a delivery: which entity changed and, while it still exists, the entity itself as
 * a GET of it by id would return it now (bookings without expansions). A hard-deleted entity
 * (a deleted customer, the bookings that vanished with them) has an `itemId` and no `item`.
 */
import { bookingJson } from '../data/booking-view.js';
import { paymentJson } from '../routes/payments.js';
import type { AccountData } from '../store.js';
import type { Change } from './changes.js';

export interface DeliveryBody {
  domain: Change['domain'];
  type: Change['type'];
  itemId: string;
  item?: Record<string, unknown>;
}

export function deliveryBody(data: AccountData, change: Change, now: number): DeliveryBody {
  const head = { domain: change.domain, type: change.type };
  const i = change.index;
  switch (change.domain) {
    case 'bookings': {
      const itemId = data.bookings.bookingNumber(i);
      if (data.bookings.isDeleted(i)) return { ...head, itemId };
      return { ...head, itemId, item: bookingJson(data, i, { expandCustomer: false, expandParticipants: false }, now) };
    }
    case 'customers': {
      const itemId = data.customers.ids.encode(i);
      if (data.customers.isDeleted(i)) return { ...head, itemId };
      return { ...head, itemId, item: data.customerJson(i, now) };
    }
    case 'payments':
      return { ...head, itemId: data.payments.id(i), item: paymentJson(data, i) };
    case 'seatblocks':
    case 'resourceblocks':
      throw new RangeError(`the simulator has no ${change.domain}`);
  }
}
