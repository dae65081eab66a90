/**
 * The mutation engine: how an account changes while a connector watches it. Each kind mirrors
 * what happens in a real booking business, with Bookeo's visible side effects:
 * - new booking: creationTime = now, no lastChangeTime, appears in lastUpdated windows;
 * - edit: participants/options change (so the price), lastChangeTime = now;
 * - cancel: canceled, cancelationTime = lastChangeTime = now, refund recorded;
 * - customer edit: fields change, no timestamp moves (customers have none);
 * - customer delete: hard delete of the customer, their linked people and (past/canceled) bookings;
 * - product edit: code, wording, rates from now on; resource edit: rename or new resource.
 * Each change is also recorded in the account's change feed for webhook deliveries: the entity
 * the kind is about, plus what changes with it (a new customer, payments, a customer's booking
 * counts, the bookings that vanish with a deleted customer). Products and resources have no
 * webhook domain.
 */
import { Rng, hash } from './random.js';
import type { AccountData } from './store.js';
import { FLAG_PENDING } from './data/bookings.js';
import { SLOTS_PER_DAY } from './data/catalog.js';
import { payAtBooking, refundOnCancel } from './data/payment-rules.js';
import { lowerBound } from './columns.js';
import { DAY, HOUR } from './time.js';

export const MUTATION_KINDS = [
  'newBookings',
  'editBookings',
  'cancelBookings',
  'newCustomers',
  'editCustomers',
  'deleteCustomers',
  'editProducts',
  'editResources',
] as const;
export type MutationKind = (typeof MUTATION_KINDS)[number];
export type MutationRequest = Partial<Record<MutationKind, number>>;

export interface MutationResult {
  /** Clock time of the mutations. */
  at: string;
  applied: Record<MutationKind, number>;
  /** Ids touched, per kind (booking numbers, customer ids, product ids, resource type ids). */
  ids: Record<MutationKind, string[]>;
}

/** Relative frequency of each kind in a rate-driven tick. */
export const MUTATION_MIX: Readonly<Record<MutationKind, number>> = {
  newBookings: 1,
  editBookings: 0.35,
  cancelBookings: 0.08,
  newCustomers: 0.2,
  editCustomers: 0.12,
  deleteCustomers: 0.01,
  editProducts: 0.002,
  editResources: 0.001,
};

export function applyMutations(data: AccountData, request: MutationRequest, now: number): MutationResult {
  data.settle(now);
  const result: MutationResult = {
    at: data.ctx.zone.iso(now),
    applied: emptyRecord(() => 0),
    ids: emptyRecord(() => []),
  };
  for (const kind of MUTATION_KINDS) {
    const count = request[kind] ?? 0;
    if (!Number.isInteger(count) || count < 0)
      throw new RangeError(`${kind} must be a non-negative integer, got ${count}`);
    for (let n = 0; n < count; n++) {
      const rng = new Rng(hash(data.ctx.seed, 0xe0, data.mutationSequence++));
      const id = APPLY[kind](data, rng, now);
      if (id === undefined) continue;
      result.applied[kind]++;
      result.ids[kind].push(id);
    }
  }
  return result;
}

/** Mutations owed for the simulated time since the last tick at `perMinute` in total, spread by MUTATION_MIX. */
export function tick(data: AccountData, perMinute: number, now: number): MutationResult {
  const elapsedMinutes = Math.max(0, now - data.lastTick) / 60;
  data.lastTick = Math.max(data.lastTick, now);
  const total = Object.values(MUTATION_MIX).reduce((a, b) => a + b, 0);
  const request: MutationRequest = {};
  for (const kind of MUTATION_KINDS) {
    const owed = (data.owed.get(kind) ?? 0) + (perMinute * elapsedMinutes * MUTATION_MIX[kind]) / total;
    request[kind] = Math.floor(owed);
    data.owed.set(kind, owed - Math.floor(owed));
  }
  return applyMutations(data, request, now);
}

function emptyRecord<T>(make: () => T): Record<MutationKind, T> {
  return Object.fromEntries(MUTATION_KINDS.map((k) => [k, make()])) as Record<MutationKind, T>;
}

/** A live booking starting within the next 60 days (what customers and staff actually change), or any live one. */
function pickUpcoming(data: AccountData, rng: Rng, now: number): number | undefined {
  const b = data.bookings;
  const from = lowerBound(0, b.baseCount, (i) => b.start.get(i), now);
  const to = lowerBound(from, b.baseCount, (i) => b.start.get(i), now + 60 * DAY);
  const added = b.addedByStart.filter((i) => b.start.get(i) > now);
  const pool = to - from + added.length;
  for (let attempt = 0; attempt < 40 && pool > 0; attempt++) {
    const k = rng.int(pool);
    const i = k < to - from ? from + k : (added[k - (to - from)] as number);
    if (!b.isDeleted(i) && b.canceled.get(i) === 0) return i;
  }
  return undefined;
}

function liveCustomer(data: AccountData, rng: Rng): number | undefined {
  for (let attempt = 0; attempt < 40; attempt++) {
    const c = rng.int(data.customers.count());
    if (!data.customers.isDeleted(c)) return c;
  }
  return undefined;
}

const APPLY: Record<MutationKind, (data: AccountData, rng: Rng, now: number) => string | undefined> = {
  newBookings(data, rng, now) {
    const { catalog, customers, ctx } = data;
    const product = rng.weighted(
      catalog.products.map((_, k) => k),
      catalog.products.map((p) => p.spec.weight),
    );
    const spec = catalog.products[product]?.spec;
    if (spec === undefined) return undefined;
    let start = 0;
    for (let attempt = 0; attempt < 20 && start <= now; attempt++) {
      const midnight = ctx.zone.midnight(now + rng.between(0, 45) * DAY + rng.int(DAY));
      const slot = spec.slots !== undefined ? rng.pick(spec.slots) : rng.int(SLOTS_PER_DAY - 2);
      start = midnight + 8 * HOUR + slot * 1800;
    }
    if (start <= now) start = ctx.zone.midnight(now + DAY) + 10 * HOUR;
    const existing = rng.chance(0.25) ? undefined : liveCustomer(data, rng);
    const customer = existing ?? customers.add(now);
    return createBooking(data, {
      product,
      start,
      customer,
      customerIsNew: existing === undefined,
      now,
      pending: spec.acceptDeny === true && rng.chance(0.4),
    });
  },
  editBookings(data, rng, now) {
    const b = data.bookings;
    const i = pickUpcoming(data, rng, now);
    if (i === undefined) return undefined;
    b.version.set(i, b.version.get(i) + 1);
    if ((b.flags.get(i) & FLAG_PENDING) !== 0 && rng.chance(0.5)) b.flags.set(i, b.flags.get(i) & ~FLAG_PENDING);
    touch(data, i, now);
    data.changes.record('bookings', 'updated', i);
    return b.bookingNumber(i);
  },
  cancelBookings(data, rng, now) {
    const b = data.bookings;
    const i = pickUpcoming(data, rng, now);
    if (i === undefined) return undefined;
    b.canceled.set(i, now);
    touch(data, i, now);
    // Bookeo's `deleted` webhook also reports cancellations.
    data.changes.record('bookings', 'deleted', i);
    const firstPayment = data.payments.count();
    refundOnCancel(data, data.payments, i, now);
    data.recordPaymentsFrom(firstPayment);
    const c = b.customer.get(i);
    data.customers.numCancelations.set(c, data.customers.numCancelations.get(c) + 1);
    data.changes.record('customers', 'updated', c);
    return b.bookingNumber(i);
  },
  newCustomers(data, _rng, now) {
    const c = data.customers.add(now);
    data.changes.record('customers', 'created', c);
    return data.customers.ids.encode(c);
  },
  editCustomers(data, rng) {
    const c = liveCustomer(data, rng);
    if (c === undefined) return undefined;
    data.customers.version.set(c, data.customers.version.get(c) + 1);
    data.changes.record('customers', 'updated', c);
    return data.customers.ids.encode(c);
  },
  deleteCustomers(data, rng, now) {
    // Bookeo refuses to delete a customer with future live bookings; their past bookings vanish with them.
    const b = data.bookings;
    for (let attempt = 0; attempt < 40; attempt++) {
      const c = liveCustomer(data, rng);
      if (c === undefined) return undefined;
      const own = data.customers.bookingsOf(c);
      if (own.some((i) => !b.isDeleted(i) && b.canceled.get(i) === 0 && b.start.get(i) > now)) continue;
      data.customers.remove(c);
      data.changes.record('customers', 'deleted', c);
      for (const i of own) {
        if (b.isDeleted(i)) continue;
        b.markDeleted(i);
        data.changes.record('bookings', 'deleted', i);
      }
      return data.customers.ids.encode(c);
    }
    return undefined;
  },
  editProducts(data, rng, now) {
    return data.catalog.editProduct(rng.int(data.catalog.products.length), now, rng).productId;
  },
  editResources(data, rng) {
    return data.catalog.editResource(rng).id;
  },
};

function touch(data: AccountData, booking: number, now: number): void {
  data.bookings.changed.set(booking, now);
  data.bookings.logChange(booking, now);
}

export interface NewBooking {
  product: number;
  start: number;
  customer: number;
  /** Whether the customer was added for this booking (else their booking counts change). */
  customerIsNew: boolean;
  now: number;
  pending: boolean;
  /** People and options given by an API client (POST /bookings); otherwise derived from the seed. */
  facts?: {
    numbers: { peopleCategoryId: string; number: number }[];
    options: { id: string; name: string; value: string }[];
  };
}

/** Adds a booking made now, takes its first payment and links it to its customer; returns its number. */
export function createBooking(data: AccountData, input: NewBooking): string {
  const b = data.bookings;
  const i = b.append(input.start, input.now);
  b.product.set(i, input.product);
  b.customer.set(i, input.customer);
  if (input.pending) b.flags.set(i, FLAG_PENDING);
  if (input.facts !== undefined) data.posted.set(i, input.facts);
  data.changes.record('customers', input.customerIsNew ? 'created' : 'updated', input.customer);
  data.changes.record('bookings', 'created', i);
  const firstPayment = data.payments.count();
  payAtBooking(data, data.payments, i, input.now);
  data.recordPaymentsFrom(firstPayment);
  data.customers.addBooking(input.customer, i);
  data.customers.numBookings.set(input.customer, data.customers.numBookings.get(input.customer) + 1);
  return b.bookingNumber(i);
}
