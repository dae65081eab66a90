/**
 * Generates an account's history from its seed: a year (historyDays) of bookings plus those
 * already made for the coming weeks, busier on weekends and in the local summer, thinning out
 * into the future; their customers, cancellations, edits, no-shows and payments with refunds.
 *
 * Bookings are produced in start-time order straight into typed arrays (so the start index is
 * free), then numbered in creation order; payments are gathered in a scratch buffer and sorted by
 * time. Peak memory is a few scratch arrays of `scale` entries; nothing is an object per booking.
 */
import { Rng, hash } from '../random.js';
import type { AccountData } from '../store.js';
import { DAY, HOUR } from '../time.js';
import { FLAG_NO_SHOW, FLAG_PENDING } from './bookings.js';
import { SLOTS_PER_DAY } from './catalog.js';
import { payAtBooking, refundOnCancel, settleAtStart, type PaymentSink } from './payment-rules.js';

const KEY_SHIFT = 16_777_216;

export function generateAccount(data: AccountData, scale: number): void {
  const { ctx, catalog, customers, bookings } = data;
  const { zone, seed, generatedAt: now } = ctx;
  const southern = /^(Australia|Pacific\/Auckland|America\/(Sao_Paulo|Santiago|Argentina)|Africa\/Johannesburg)/.test(zone.name);

  // Local days from historyDays ago to futureDays ahead, each with a demand weight.
  const midnights: number[] = [];
  const weights: number[] = [];
  for (let mid = zone.midnight(now - ctx.historyDays * DAY); mid < now + ctx.futureDays * DAY; mid = zone.midnight(mid + 36 * HOUR)) {
    const date = new Date((mid + zone.offset(mid + 12 * HOUR)) * 1000 + 12 * HOUR * 1000);
    const weekday = date.getUTCDay();
    const dayOfYear = Math.floor((date.getTime() - Date.UTC(date.getUTCFullYear(), 0, 1)) / 86_400_000);
    const season = 1 + 0.45 * Math.cos((2 * Math.PI * (dayOfYear - (southern ? 15 : 196))) / 365);
    const ahead = mid > now ? Math.exp(-(mid - now) / (18 * DAY)) : 1;
    midnights.push(mid);
    weights.push((weekday === 0 || weekday === 6 ? 1.6 : 1) * season * ahead);
  }
  const cumulative = new Float64Array(weights.length + 1);
  for (let d = 0; d < weights.length; d++) cumulative[d + 1] = (cumulative[d] as number) + (weights[d] as number);
  const total = cumulative[weights.length] as number;

  const scratch = new PaymentBuffer(scale * 2 + 16);
  const b = bookings;
  let day = 0;
  for (let i = 0; i < scale; i++) {
    const target = ((i + 0.5) / scale) * total;
    while ((cumulative[day + 1] as number) < target && day < weights.length - 1) day++;
    const fraction = (target - (cumulative[day] as number)) / (weights[day] as number);
    const slot = Math.min(SLOTS_PER_DAY - 1, Math.floor(fraction * SLOTS_PER_DAY));
    const midnight = midnights[day] as number;
    const start = midnight + 8 * HOUR + slot * 1800;
    const weekday = new Date((midnight + zone.offset(midnight + 12 * HOUR)) * 1000 + 12 * HOUR * 1000).getUTCDay();
    const rng = new Rng(hash(seed, 0xb0, i));
    const candidates = catalog.slotProducts[weekday * SLOTS_PER_DAY + slot];
    const product =
      candidates !== undefined && candidates.items.length > 0
        ? rng.weighted(candidates.items, candidates.weights)
        : rng.weighted(catalog.products.map((_, k) => k), catalog.products.map((p) => p.spec.weight));
    const spec = catalog.products[product]?.spec;
    const meanLead = spec?.type === 'fixedCourse' ? 25 : spec?.type === 'flexibleTime' ? 3 : 9;
    let created = start - Math.max(1800, Math.round(-Math.log(1 - rng.next()) * meanLead * DAY));
    if (created > now) created = now - rng.int(2 * DAY);
    const known = Math.max(1, customers.firstCreatedSince(created + 1));
    let customer = rng.int(known);
    while (customer > 0 && customers.creationTime(customer) > created) customer--;

    b.start.push(start);
    b.created.push(created);
    b.customer.push(customer);
    b.product.push(product);
    let changed = 0;
    let canceled = 0;
    let version = 0;
    let flags = 0;
    if (rng.chance(0.08)) {
      const at = created + Math.floor(rng.next() * (start - created));
      if (at <= now) canceled = changed = at;
    } else if (rng.chance(0.22)) {
      const at = created + Math.floor(rng.next() * (Math.min(start + DAY, now) - created));
      if (at > created) {
        changed = at;
        version = 1;
      }
    }
    if (canceled === 0 && start + 3 * HOUR < now && rng.chance(0.03)) flags |= FLAG_NO_SHOW;
    if (canceled === 0 && spec?.acceptDeny === true && start > now && rng.chance(0.4)) flags |= FLAG_PENDING;
    b.changed.push(changed);
    b.canceled.push(canceled);
    b.version.push(version);
    b.flags.push(flags);
    b.rank.push(0);
    b.paid.push(0);

    // Money: taken when booking (at version 0's price), balance at the start, refund on cancel.
    const paidAt = created + 60 + rng.int(540);
    if (paidAt <= now && (canceled === 0 || paidAt < canceled)) {
      b.version.set(i, 0);
      payAtBooking(data, scratch, i, paidAt);
      b.version.set(i, version);
    }
    if (canceled !== 0) refundOnCancel(data, scratch, i, canceled);
    else if (start <= now) settleAtStart(data, scratch, i);

    customers.numBookings.set(customer, customers.numBookings.get(customer) + 1);
    if (canceled !== 0) customers.numCancelations.set(customer, customers.numCancelations.get(customer) + 1);
    if ((flags & FLAG_NO_SHOW) !== 0) customers.numNoShows.set(customer, customers.numNoShows.get(customer) + 1);
  }

  numberInCreationOrder(data, scale);
  scratch.flushSorted(data);
  indexBookingsByCustomer(data, scale);
  b.seal();
}

/** Booking numbers follow creation order, as a real booking system's sequence does. */
function numberInCreationOrder(data: AccountData, scale: number): void {
  const b = data.bookings;
  let min = Infinity;
  for (let i = 0; i < scale; i++) min = Math.min(min, b.created.get(i));
  const keys = new Float64Array(scale);
  for (let i = 0; i < scale; i++) keys[i] = (b.created.get(i) - min) * KEY_SHIFT + i;
  keys.sort();
  const order = new Int32Array(scale);
  for (let rank = 0; rank < scale; rank++) {
    const i = (keys[rank] as number) % KEY_SHIFT;
    b.rank.set(i, rank + 1);
    order[rank] = i;
  }
  // rank 0 is unused so that booking numbers start at numberBase + 1.
  b.rankToIndex.push(-1);
  for (let rank = 0; rank < scale; rank++) b.rankToIndex.push(order[rank] as number);
}

function indexBookingsByCustomer(data: AccountData, scale: number): void {
  const { customers, bookings } = data;
  const count = customers.baseCount;
  const offsets = new Int32Array(count + 1);
  for (let i = 0; i < scale; i++) {
    const slot = bookings.customer.get(i) + 1;
    offsets[slot] = (offsets[slot] as number) + 1;
  }
  for (let c = 0; c < count; c++) offsets[c + 1] = (offsets[c + 1] as number) + (offsets[c] as number);
  const fill = offsets.slice(0, count);
  const list = new Int32Array(scale);
  for (let i = 0; i < scale; i++) {
    const c = bookings.customer.get(i);
    list[(fill[c] as number)++] = i;
  }
  customers.bookingOffsets = offsets;
  customers.bookingList = list;
}

/** Payments of the generated past, collected in any order and stored sorted by time. */
class PaymentBuffer implements PaymentSink {
  private readonly time: Uint32Array;
  private readonly booking: Int32Array;
  private readonly amount: Int32Array;
  private readonly kind: Uint8Array;
  private readonly method: Uint8Array;
  private length = 0;

  constructor(capacity: number) {
    this.time = new Uint32Array(capacity);
    this.booking = new Int32Array(capacity);
    this.amount = new Int32Array(capacity);
    this.kind = new Uint8Array(capacity);
    this.method = new Uint8Array(capacity);
  }

  add(time: number, booking: number, amount: number, kind: number, method: number): void {
    const k = this.length++;
    this.time[k] = time;
    this.booking[k] = booking;
    this.amount[k] = amount;
    this.kind[k] = kind;
    this.method[k] = method;
  }

  flushSorted(data: AccountData): void {
    let min = Infinity;
    for (let k = 0; k < this.length; k++) min = Math.min(min, this.time[k] as number);
    const keys = new Float64Array(this.length);
    for (let k = 0; k < this.length; k++) keys[k] = ((this.time[k] as number) - min) * KEY_SHIFT + k;
    keys.sort();
    for (const key of keys) {
      const k = key % KEY_SHIFT;
      data.payments.add(this.time[k] as number, this.booking[k] as number, this.amount[k] as number, this.kind[k] as number, this.method[k] as number);
    }
  }
}
