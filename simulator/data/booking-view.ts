/** A booking as Bookeo returns it, materialised from the columns only when it is served. */
import { Rng, hash } from '../random.js';
import type { AccountData } from '../store.js';
import { FLAG_NO_SHOW, FLAG_PENDING } from './bookings.js';
import { money } from './money.js';
import { STAFF } from './names.js';

export interface BookingExpansion {
  expandCustomer: boolean;
  expandParticipants: boolean;
}

export function eventIdOf(data: AccountData, booking: number): string | undefined {
  const b = data.bookings;
  const product = data.catalog.products[b.product.get(booking)];
  if (product === undefined || product.spec.type === 'flexibleTime') return undefined;
  const start = b.start.get(booking);
  return `${product.events.encode(Math.floor(start / 1800))}_${data.ctx.zone.date(start)}`;
}

export function bookingJson(data: AccountData, booking: number, expand: BookingExpansion, now: number): Record<string, unknown> {
  const { ctx, catalog, customers, bookings: b } = data;
  const { zone, seed, theme } = ctx;
  const productIndex = b.product.get(booking);
  const product = catalog.products[productIndex];
  if (product === undefined) throw new RangeError(`booking ${booking} has no product ${productIndex}`);
  const customer = b.customer.get(booking);
  const start = b.start.get(booking);
  const created = b.created.get(booking);
  const flags = b.flags.get(booking);
  const rng = new Rng(hash(seed, 0xb7, booking));
  const who = customers.identity(customer);
  const { numbers, options } = data.facts(booking);
  const price = data.price(booking);
  const online = rng.chance(0.8);

  const out: Record<string, unknown> = { bookingNumber: b.bookingNumber(booking) };
  const eventId = eventIdOf(data, booking);
  if (eventId !== undefined) out.eventId = eventId;
  out.startTime = zone.iso(start);
  out.endTime = zone.iso(data.bookingEnd(booking));
  out.customerId = customers.ids.encode(customer);
  if (expand.expandCustomer) out.customer = data.customerJson(customer, now);
  out.title = `${who.firstName} ${who.lastName}`;
  if (rng.chance(0.1)) out.externalRef = `WEB-${(hash(seed, 0xb8, booking) % 900_000) + 100_000}`;
  const participants: Record<string, unknown> = { numbers };
  if (expand.expandParticipants) participants.details = participantDetails(data, customer, numbers);
  out.participants = participants;
  if (product.spec.type === 'flexibleTime' && product.spec.resourceType !== undefined) {
    const type = catalog.resourceTypes[product.spec.resourceType];
    if (type !== undefined && type.resources.length > 0) {
      const resource = type.resources[hash(seed, 0xb9, booking) % type.resources.length];
      if (resource !== undefined) out.resources = [{ id: resource.id, name: resource.name }];
    }
  }
  const canceledAt = b.canceled.get(booking);
  out.canceled = canceledAt !== 0;
  if (canceledAt !== 0) {
    out.cancelationTime = zone.iso(canceledAt);
    out.cancelationAgent = rng.chance(0.6) ? out.title : rng.pick(STAFF);
  }
  out.accepted = (flags & FLAG_PENDING) === 0;
  out.noShow = (flags & FLAG_NO_SHOW) !== 0;
  if (online) out.sourceIp = `${(hash(seed, 0xba, booking) % 200) + 23}.${rng.int(256)}.${rng.int(256)}.${rng.between(1, 254)}`;
  out.creationTime = zone.iso(created);
  out.creationAgent = online ? out.title : rng.pick(STAFF);
  const changed = b.changed.get(booking);
  if (changed !== 0) {
    out.lastChangeTime = zone.iso(changed);
    out.lastChangeAgent = canceledAt !== 0 ? out.cancelationAgent : rng.pick(STAFF);
  }
  out.productName = product.name;
  out.productId = product.productId;
  out.price = {
    totalGross: money(price.gross, theme.currency),
    totalNet: money(price.net, theme.currency),
    totalTaxes: money(price.taxes, theme.currency),
    totalPaid: money(b.paid.get(booking), theme.currency),
    taxes: [{ taxId: catalog.taxId, amount: money(price.taxes, theme.currency) }],
  };
  out.options = options;
  out.privateEvent = product.spec.acceptDeny === true && product.spec.type === 'fixed';
  if (rng.chance(0.05)) {
    out.promotionCodeInput = 'SUMMER10';
    out.promotionName = 'Summer promotion';
  }
  return out;
}

/** Participants one by one: the customer first, then their linked people, then unknown guests. */
function participantDetails(data: AccountData, customer: number, numbers: readonly { peopleCategoryId: string; number: number }[]): Record<string, unknown>[] {
  const details: Record<string, unknown>[] = [];
  const linked = data.customers.linkedCount(customer);
  let nextLinked = 0;
  let first = true;
  for (const { peopleCategoryId, number } of numbers) {
    for (let categoryIndex = 1; categoryIndex <= number; categoryIndex++) {
      if (first) {
        details.push({ personId: 'PSELF', peopleCategoryId, categoryIndex });
        first = false;
      } else if (nextLinked < linked) {
        const person = data.customers.linkedPersonJson(customer, nextLinked++);
        details.push({ personId: person.id, peopleCategoryId, categoryIndex, personDetails: person });
      } else details.push({ personId: 'PUNKNOWN', peopleCategoryId, categoryIndex });
    }
  }
  return details;
}
