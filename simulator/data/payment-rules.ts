/**
 * When money moves. Used at generation (for the past) and by the clock (for the future) so that
 * a booking's `price.totalPaid` always equals the sum of its records in `/payments`.
 */
import { Rng, hash } from '../random.js';
import { paymentPlan } from './booking-facts.js';
import { KIND_BALANCE, KIND_DEPOSIT, KIND_FULL, KIND_REFUND, PAYMENT_METHODS } from './payments.js';
import type { AccountData } from '../store.js';
import { DAY } from '../time.js';

export interface PaymentSink {
  add(time: number, booking: number, amount: number, kind: number, method: number): unknown;
}

const method = (name: (typeof PAYMENT_METHODS)[number]): number => PAYMENT_METHODS.indexOf(name);
const ONLINE = [method('creditCard'), method('paypal'), method('existingCredit'), method('moneyVoucher'), method('other')];
const ONLINE_WEIGHTS = [75, 15, 3, 4, 3];
const VENUE = [method('cash'), method('debitCard'), method('creditCard'), method('checque')];
const VENUE_WEIGHTS = [40, 30, 25, 5];

function grossNow(data: AccountData, index: number): number {
  return data.price(index).gross;
}

function record(data: AccountData, sink: PaymentSink, time: number, index: number, amount: number, kind: number, methodIndex: number): void {
  if (amount === 0) return;
  sink.add(time, index, amount, kind, methodIndex);
  data.bookings.paid.set(index, data.bookings.paid.get(index) + amount);
}

/** Payment taken when the booking is made (plan 0: everything, plan 1: a 30 % deposit). */
export function payAtBooking(data: AccountData, sink: PaymentSink, index: number, time: number): void {
  const plan = paymentPlan(data.ctx.seed, index);
  if (plan === 2) return;
  const rng = new Rng(hash(data.ctx.seed, 0xb5, index));
  const gross = grossNow(data, index);
  const amount = plan === 0 ? gross : Math.round((gross * 0.3) / 100) * 100;
  record(data, sink, time, index, amount, plan === 0 ? KIND_FULL : KIND_DEPOSIT, rng.weighted(ONLINE, ONLINE_WEIGHTS));
}

/** At the start time, whatever is still due is paid at the venue (or an overpayment refunded). */
export function settleAtStart(data: AccountData, sink: PaymentSink, index: number): void {
  const b = data.bookings;
  if (b.isDeleted(index) || b.canceled.get(index) !== 0) return;
  const due = grossNow(data, index) - b.paid.get(index);
  const rng = new Rng(hash(data.ctx.seed, 0xb6, index));
  const kind = due < 0 ? KIND_REFUND : b.paid.get(index) === 0 ? KIND_FULL : KIND_BALANCE;
  record(data, sink, b.start.get(index), index, due, kind, rng.weighted(VENUE, VENUE_WEIGHTS));
}

/** Canceling refunds what was paid: all of it up to 48 h before the start, half after that. */
export function refundOnCancel(data: AccountData, sink: PaymentSink, index: number, time: number): void {
  const b = data.bookings;
  const paid = b.paid.get(index);
  if (paid <= 0) return;
  const late = b.start.get(index) - time < 2 * DAY;
  record(data, sink, time, index, -(late ? Math.round(paid / 2) : paid), KIND_REFUND, method('creditCard'));
}
