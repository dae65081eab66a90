/**
 * Growable typed-array columns. Entities are stored column-wise (one typed array per field) so a
 * million bookings cost a few bytes each instead of a few hundred as JS objects, and mutations
 * update a number in place instead of allocating.
 */
type Typed = Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array;

export class Column<A extends Typed> {
  data: A;
  length = 0;

  private readonly make: (size: number) => A;

  constructor(make: (size: number) => A, capacity: number) {
    this.make = make;
    this.data = make(Math.max(16, capacity));
  }

  get(index: number): number {
    return this.data[index] as number;
  }

  set(index: number, value: number): void {
    this.data[index] = value;
  }

  push(value: number): number {
    if (this.length === this.data.length) this.grow();
    this.data[this.length] = value;
    return this.length++;
  }

  /** Fills the first `length` entries from an array built during generation. */
  load(values: A, length: number): void {
    if (this.data.length < length) this.data = this.make(length + 1024);
    (this.data as Uint8Array).set((values as Uint8Array).subarray(0, length));
    this.length = length;
  }

  bytes(): number {
    return this.data.byteLength;
  }

  // 25 % growth, not doubling: one mutation on a 1M column must not allocate another million.
  private grow(): void {
    const next = this.make(Math.ceil(this.data.length * 1.25) + 1024);
    (next as Uint8Array).set(this.data as Uint8Array);
    this.data = next;
  }
}

export const u8 = (n: number): Column<Uint8Array> => new Column((size) => new Uint8Array(size), n);
export const u16 = (n: number): Column<Uint16Array> => new Column((size) => new Uint16Array(size), n);
export const u32 = (n: number): Column<Uint32Array> => new Column((size) => new Uint32Array(size), n);
export const i32 = (n: number): Column<Int32Array> => new Column((size) => new Int32Array(size), n);

/** First position in [from, to) whose value is >= target, for a non-decreasing accessor. */
export function lowerBound(from: number, to: number, valueAt: (index: number) => number, target: number): number {
  let low = from;
  let high = to;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (valueAt(mid) < target) low = mid + 1;
    else high = mid;
  }
  return low;
}
