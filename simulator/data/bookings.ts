/**
 * Bookings, column-wise. A booking's descriptive fields (participants, options, source, …) are
 * re-derived from (seed, index, version) when served; only the facts that queries filter on or
 * that mutations change are stored: start, creation, last change, cancellation, customer,
 * product, version, flags, sequence number and amount paid (~40 bytes per booking).
 *
 * Two indexes answer Bookeo's two windows without scanning:
 * - startTime: base bookings are generated in start order, so a window is a binary search;
 *   bookings added later live in a small start-sorted list.
 * - lastChangeTime/creationTime ("last updated"): a sorted key array built at generation plus an
 *   append-only change log (the clock only moves forward, so the log stays sorted). An entry is
 *   live only while it still equals the booking's current last-updated time.
 */
import type { Column} from '../columns.js';
import { i32, lowerBound, u16, u32, u8 } from '../columns.js';

export const FLAG_DELETED = 1;
export const FLAG_NO_SHOW = 2;
export const FLAG_PENDING = 4;

/** Packing factor of the last-updated index keys: (time − keyBase) × 2^24 + index. */
const KEY_SHIFT = 16_777_216;

export interface BookingFilter {
  start?: readonly [number, number];
  updated?: readonly [number, number];
  includeCanceled: boolean;
  product?: number;
}

export class BookingStore {
  readonly start: Column<Uint32Array>;
  readonly created: Column<Uint32Array>;
  /** Last change (0 = never changed after creation). */
  readonly changed: Column<Uint32Array>;
  /** Cancellation time (0 = not canceled). */
  readonly canceled: Column<Uint32Array>;
  readonly customer: Column<Int32Array>;
  readonly product: Column<Uint16Array>;
  readonly version: Column<Uint16Array>;
  readonly flags: Column<Uint8Array>;
  /** Sequence in creation order: the booking number is numberBase + rank. */
  readonly rank: Column<Int32Array>;
  readonly rankToIndex: Column<Int32Array>;
  /** Sum of the booking's payments and refunds, in cents. */
  readonly paid: Column<Int32Array>;
  readonly logTime = u32(1024);
  readonly logIndex = i32(1024);
  readonly deletedOrder = i32(64);
  /** Indices of bookings added after start, ascending by start. */
  readonly addedByStart: number[] = [];
  baseCount = 0;
  private updatedKeys = new Float64Array(0);
  private keyBase = 0;

  readonly numberBase: number;

  constructor(capacity: number, numberBase: number) {
    this.numberBase = numberBase;
    const n = capacity + 64;
    this.start = u32(n);
    this.created = u32(n);
    this.changed = u32(n);
    this.canceled = u32(n);
    this.customer = i32(n);
    this.product = u16(n);
    this.version = u16(n);
    this.flags = u8(n);
    this.rank = i32(n);
    this.rankToIndex = i32(n);
    this.paid = i32(n);
  }

  count(): number {
    return this.start.length;
  }

  updated(index: number): number {
    return this.changed.get(index) || this.created.get(index);
  }

  isDeleted(index: number): boolean {
    return (this.flags.get(index) & FLAG_DELETED) !== 0;
  }

  bookingNumber(index: number): string {
    return String(this.numberBase + this.rank.get(index));
  }

  indexOf(bookingNumber: string): number {
    if (!/^\d{1,12}$/.test(bookingNumber)) return -1;
    const rank = Number(bookingNumber) - this.numberBase;
    if (rank < 0 || rank >= this.rankToIndex.length) return -1;
    return this.rankToIndex.get(rank);
  }

  /** Called once after generation: builds the last-updated index over the base bookings. */
  seal(): void {
    this.baseCount = this.count();
    let min = Infinity;
    for (let i = 0; i < this.baseCount; i++) min = Math.min(min, this.updated(i));
    this.keyBase = Number.isFinite(min) ? min : 0;
    const keys = new Float64Array(this.baseCount);
    for (let i = 0; i < this.baseCount; i++) keys[i] = (this.updated(i) - this.keyBase) * KEY_SHIFT + i;
    keys.sort();
    this.updatedKeys = keys;
  }

  /** Appends a booking made now (fields other than times are filled by the caller). */
  append(start: number, created: number): number {
    const index = this.count();
    this.start.push(start);
    this.created.push(created);
    for (const column of [this.changed, this.canceled, this.customer, this.product, this.version, this.flags, this.paid]) column.push(0);
    this.rank.push(this.rankToIndex.length);
    this.rankToIndex.push(index);
    const at = lowerBound(0, this.addedByStart.length, (k) => this.start.get(this.addedByStart[k] as number), start);
    this.addedByStart.splice(at, 0, index);
    this.logChange(index, created);
    return index;
  }

  /** Records that a booking's last-updated time is now `time` (log order = time order). */
  logChange(index: number, time: number): void {
    this.logTime.push(time);
    this.logIndex.push(index);
  }

  markDeleted(index: number): void {
    this.flags.set(index, this.flags.get(index) | FLAG_DELETED);
    this.deletedOrder.push(index);
  }

  /** Indices matching the filter, ordered by start time then booking number. */
  select(filter: BookingFilter): Int32Array {
    const out: number[] = [];
    const keep = (i: number): boolean => {
      if (this.isDeleted(i)) return false;
      if (!filter.includeCanceled && this.canceled.get(i) !== 0) return false;
      if (filter.product !== undefined && this.product.get(i) !== filter.product) return false;
      if (filter.start !== undefined) {
        const s = this.start.get(i);
        if (s < filter.start[0] || s > filter.start[1]) return false;
      }
      return true;
    };
    if (filter.updated !== undefined) {
      for (const i of this.updatedWithin(filter.updated[0], filter.updated[1])) if (keep(i)) out.push(i);
    } else if (filter.start !== undefined) {
      const [a, b] = filter.start;
      const from = lowerBound(0, this.baseCount, (i) => this.start.get(i), a);
      const to = lowerBound(from, this.baseCount, (i) => this.start.get(i), b + 1);
      for (let i = from; i < to; i++) if (keep(i)) out.push(i);
      const added = this.addedByStart;
      const addedFrom = lowerBound(0, added.length, (k) => this.start.get(added[k] as number), a);
      for (let k = addedFrom; k < added.length && this.start.get(added[k] as number) <= b; k++) if (keep(added[k] as number)) out.push(added[k] as number);
    } else {
      for (let i = 0; i < this.count(); i++) if (keep(i)) out.push(i);
    }
    const result = Int32Array.from(out);
    result.sort((x, y) => this.start.get(x) - this.start.get(y) || this.rank.get(x) - this.rank.get(y));
    return result;
  }

  /** Live bookings whose last-updated time lies in [a, b] (inclusive), in no particular order. */
  private updatedWithin(a: number, b: number): number[] {
    const seen = new Set<number>();
    const out: number[] = [];
    const logFrom = lowerBound(0, this.logTime.length, (k) => this.logTime.get(k), a);
    for (let k = logFrom; k < this.logTime.length && this.logTime.get(k) <= b; k++) {
      const i = this.logIndex.get(k);
      if (this.updated(i) === this.logTime.get(k) && !seen.has(i)) {
        seen.add(i);
        out.push(i);
      }
    }
    const keys = this.updatedKeys;
    const lowKey = (Math.ceil(a) - this.keyBase) * KEY_SHIFT;
    const highKey = (Math.floor(b) - this.keyBase + 1) * KEY_SHIFT;
    for (let k = lowerBound(0, keys.length, (j) => keys[j] as number, lowKey); k < keys.length && (keys[k] as number) < highKey; k++) {
      const key = keys[k] as number;
      const i = key % KEY_SHIFT;
      if (this.updated(i) === Math.floor(key / KEY_SHIFT) + this.keyBase && !seen.has(i)) out.push(i);
    }
    return out;
  }

  bytes(): number {
    const columns = [this.start, this.created, this.changed, this.canceled, this.customer, this.product, this.version, this.flags, this.rank, this.rankToIndex, this.paid, this.logTime, this.logIndex, this.deletedOrder];
    return columns.reduce((sum, c) => sum + c.bytes(), 0) + this.updatedKeys.byteLength;
  }
}
