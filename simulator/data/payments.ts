/**
 * Payments, column-wise and append-only (Bookeo has no update or delete for payments; refunds are
 * new, negative records). Stored in creation-time order, so a time window is a binary search and
 * the index doubles as a stable, numeric-looking id.
 */
import type { Column} from '../columns.js';
import { i32, lowerBound, u32, u8 } from '../columns.js';
import { Rng, hash } from '../random.js';
import type { AccountContext } from './account.js';
import { money } from './money.js';
import { STAFF } from './names.js';

export const KIND_FULL = 0;
export const KIND_DEPOSIT = 1;
export const KIND_BALANCE = 2;
export const KIND_REFUND = 3;
const REASONS = ['Full payment', 'Deposit', 'Balance', 'Refund'];

export const PAYMENT_METHODS = ['creditCard', 'paypal', 'bankTransfer', 'cash', 'checque', 'debitCard', 'existingCredit', 'accountCredit', 'moneyVoucher', 'other'] as const;
const ONLINE = new Set(['creditCard', 'paypal']);

export class PaymentStore {
  readonly time = u32(1024);
  readonly booking = i32(1024);
  readonly amount = i32(1024);
  readonly kind = u8(1024);
  readonly method = u8(1024);

  readonly idBase: number;

  constructor(idBase: number) {
    this.idBase = idBase;
  }

  count(): number {
    return this.time.length;
  }

  /** Appends a payment; `time` must not precede the last one (the clock only moves forward). */
  add(time: number, booking: number, amount: number, kind: number, method: number): number {
    this.time.push(time);
    this.booking.push(booking);
    this.amount.push(amount);
    this.kind.push(kind);
    return this.method.push(method);
  }

  id(index: number): string {
    return String(this.idBase + index);
  }

  indexOf(id: string): number {
    if (!/^\d{1,12}$/.test(id)) return -1;
    const index = Number(id) - this.idBase;
    return index >= 0 && index < this.count() ? index : -1;
  }

  /** Payments created in [a, b], optionally of one method, in creation order. */
  select(a: number, b: number, method: number | undefined): Int32Array {
    const from = lowerBound(0, this.count(), (i) => this.time.get(i), a);
    const to = lowerBound(from, this.count(), (i) => this.time.get(i), Math.floor(b) + 1);
    const out: number[] = [];
    for (let i = from; i < to; i++) if (method === undefined || this.method.get(i) === method) out.push(i);
    return Int32Array.from(out);
  }

  json(index: number, account: AccountContext, bookingNumber: string, customerId: string): Record<string, unknown> {
    const method = PAYMENT_METHODS[this.method.get(index)] ?? 'other';
    const time = this.time.get(index);
    const kind = this.kind.get(index);
    const rng = new Rng(hash(account.seed, 0xd0, index));
    const out: Record<string, unknown> = {
      id: this.id(index),
      creationTime: account.zone.iso(time),
      // Money taken at the counter is often recorded a little after it was received.
      receivedTime: account.zone.iso(ONLINE.has(method) ? time : time - rng.int(1800)),
      reason: REASONS[kind],
      description: `Booking ${bookingNumber}`,
      amount: money(this.amount.get(index), account.theme.currency),
      paymentMethod: method,
      customerId,
    };
    if (method === 'other') out.paymentMethodOther = 'Groupon voucher';
    if (ONLINE.has(method)) {
      out.gatewayName = method === 'paypal' ? 'PayPal' : 'Stripe';
      out.transactionId = `${method === 'paypal' ? 'PAY-' : 'ch_'}${hash(account.seed, 0xd1, index).toString(36)}${hash(account.seed, 0xd2, index).toString(36)}`;
    } else out.agent = rng.pick(STAFF);
    if (kind === KIND_REFUND && rng.chance(0.5)) out.comment = 'Refund as per cancellation policy';
    return out;
  }

  bytes(): number {
    return [this.time, this.booking, this.amount, this.kind, this.method].reduce((sum: number, c: Column<Uint8Array | Uint32Array | Int32Array>) => sum + c.bytes(), 0);
  }
}
