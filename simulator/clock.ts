/**
 * The simulator's clock. `virtual` time moves only when told to (tests and benchmarks become
 * deterministic: token expiry, mutation times and windows depend on nothing but the calls made);
 * `real` time follows the wall clock, shifted by whatever `advance` added.
 */
export type ClockMode = 'virtual' | 'real';

export class Clock {
  private virtualMs: number;
  private shiftMs = 0;

  readonly mode: ClockMode;

  constructor(mode: ClockMode, startIso: string | undefined) {
    this.mode = mode;
    const start = startIso === undefined ? Date.now() : Date.parse(startIso);
    if (Number.isNaN(start)) throw new RangeError(`clock start is not a date-time: ${startIso}`);
    this.virtualMs = mode === 'virtual' ? start : Date.now();
    // A real clock started at a chosen instant keeps that offset from the wall clock.
    if (mode === 'real' && startIso !== undefined) this.shiftMs = start - Date.now();
  }

  nowMs(): number {
    return this.mode === 'virtual' ? this.virtualMs : Date.now() + this.shiftMs;
  }

  /** Whole epoch seconds: the resolution of every stored timestamp. */
  nowSeconds(): number {
    return Math.floor(this.nowMs() / 1000);
  }

  advance(seconds: number): void {
    if (!Number.isFinite(seconds) || seconds < 0)
      throw new RangeError(`cannot advance the clock by ${seconds} s (time only moves forward)`);
    if (this.mode === 'virtual') this.virtualMs += seconds * 1000;
    else this.shiftMs += seconds * 1000;
  }
}
