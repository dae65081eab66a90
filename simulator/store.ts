/**
 * One Bookeo account's data: settings, customers, bookings and payments, plus the clock-driven
 * settlement of payments. Everything is generated once from the seed (see data/generate.ts) and
 * then changed only through the mutation engine and POST endpoints.
 */
import type { AccountContext } from './data/account.js';
import { BookingStore } from './data/bookings.js';
import {
  endOf,
  optionsOf,
  participantsOf,
  priceOf,
  type ChosenOption,
  type PeopleNumber,
  type PriceFacts,
} from './data/booking-facts.js';
import { Catalog } from './data/catalog.js';
import { CustomerStore } from './data/customers.js';
import { generateAccount } from './data/generate.js';
import { settleAtStart } from './data/payment-rules.js';
import { PaymentStore } from './data/payments.js';
import type { ProductSpec } from './data/themes.js';
import { lowerBound } from './columns.js';
import { ChangeFeed } from './webhooks/changes.js';
import { WebhookRegistry } from './webhooks/registry.js';

export interface HoldState {
  readonly id: string;
  readonly expiration: number;
  readonly body: Record<string, unknown>;
}

export class AccountData {
  readonly catalog: Catalog;
  readonly customers: CustomerStore;
  readonly bookings: BookingStore;
  readonly payments: PaymentStore;
  readonly holds = new Map<string, HoldState>();
  readonly webhooks: WebhookRegistry;
  /** What mutations change, for webhook deliveries. */
  readonly changes = new ChangeFeed();
  /** People and options of bookings created through POST /bookings (until a later edit replaces them). */
  readonly posted = new Map<number, { numbers: PeopleNumber[]; options: ChosenOption[] }>();
  /** Payments due at a booking's start have been recorded for starts up to here. */
  settledUpTo: number;
  /** Counts of applied mutations, so each one draws fresh but reproducible randomness. */
  mutationSequence = 0;
  /** Fractional mutations owed by the rate-driven tick. */
  readonly owed = new Map<string, number>();
  lastTick: number;
  readonly generationMs: number;

  readonly ctx: AccountContext;

  constructor(ctx: AccountContext, scale: number) {
    this.ctx = ctx;
    const started = performance.now();
    this.catalog = new Catalog(ctx);
    this.webhooks = new WebhookRegistry(ctx);
    this.customers = new CustomerStore(ctx, Math.max(10, Math.round(scale * 0.2)));
    this.bookings = new BookingStore(scale, 1_500_000_000 + ctx.index * 50_000_000);
    this.payments = new PaymentStore(800_000_000 + ctx.index * 50_000_000);
    generateAccount(this, scale);
    this.settledUpTo = ctx.generatedAt;
    this.lastTick = ctx.generatedAt;
    this.generationMs = performance.now() - started;
  }

  spec(booking: number): ProductSpec {
    return (this.catalog.products[this.bookings.product.get(booking)] as { spec: ProductSpec }).spec;
  }

  /** Who comes and which options, for the booking's current version. */
  facts(booking: number): { numbers: PeopleNumber[]; options: ChosenOption[] } {
    const version = this.bookings.version.get(booking);
    const posted = this.posted.get(booking);
    if (posted !== undefined && version === 0) return posted;
    return {
      numbers: participantsOf(this.ctx.seed, booking, version, this.spec(booking)),
      options: optionsOf(this.ctx.seed, booking, version, this.catalog),
    };
  }

  /** Price at the rates in force when the booking was made. */
  price(booking: number): PriceFacts {
    const { numbers, options } = this.facts(booking);
    return priceOf(
      numbers,
      options,
      this.catalog.ratesAt(this.bookings.product.get(booking), this.bookings.created.get(booking)),
      this.ctx.theme.taxBasisPoints,
    );
  }

  bookingEnd(booking: number): number {
    return endOf(this.ctx.seed, booking, this.bookings.start.get(booking), this.spec(booking));
  }

  /** Records the payments due at every booking start in (settledUpTo, now], in start order. */
  settle(now: number): void {
    if (now <= this.settledUpTo) return;
    const b = this.bookings;
    const from = this.settledUpTo + 1;
    const due: number[] = [];
    const first = lowerBound(0, b.baseCount, (i) => b.start.get(i), from);
    for (let i = first; i < b.baseCount && b.start.get(i) <= now; i++) due.push(i);
    for (const i of b.addedByStart) if (b.start.get(i) >= from && b.start.get(i) <= now) due.push(i);
    due.sort((x, y) => b.start.get(x) - b.start.get(y) || x - y);
    for (const i of due) {
      const first = this.payments.count();
      settleAtStart(this, this.payments, i);
      // The booking's totalPaid moved with the payment.
      if (this.recordPaymentsFrom(first) > 0) this.changes.record('bookings', 'updated', i);
    }
    this.settledUpTo = now;
  }

  /** Records the payments added since `first` as created; returns how many. */
  recordPaymentsFrom(first: number): number {
    const count = this.payments.count();
    for (let p = first; p < count; p++) this.changes.record('payments', 'created', p);
    return count - first;
  }

  /** Start of the customer's next live booking after `now`, and of the last one that ended by `now`. */
  customerBookingTimes(customer: number, now: number): { next: number | undefined; previous: number | undefined } {
    const b = this.bookings;
    let next: number | undefined;
    let previous: number | undefined;
    for (const i of this.customers.bookingsOf(customer)) {
      if (b.isDeleted(i) || b.canceled.get(i) !== 0) continue;
      const start = b.start.get(i);
      if (start > now) {
        if (next === undefined || start < next) next = start;
      } else if (this.bookingEnd(i) <= now && (previous === undefined || start > previous)) previous = start;
    }
    return { next, previous };
  }

  customerJson(customer: number, now: number): Record<string, unknown> {
    const { next, previous } = this.customerBookingTimes(customer, now);
    return this.customers.json(customer, now, next, previous);
  }

  bytes(): number {
    return this.customers.bytes() + this.bookings.bytes() + this.payments.bytes();
  }
}
