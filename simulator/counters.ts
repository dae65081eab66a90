/** Request counters per (apiKey, endpoint, outcome): what tests and the demo read to see what a connector did. */
export interface CounterRow {
  apiKey: string;
  /** Method and route template, e.g. `GET /bookings/{bookingNumber}`. */
  endpoint: string;
  /** HTTP status, or `reset` / `hang` for answers that never came. */
  status: number | 'reset' | 'hang';
  count: number;
}

export class Counters {
  private readonly counts = new Map<string, CounterRow>();

  add(apiKey: string, endpoint: string, status: CounterRow['status']): void {
    const key = `${apiKey}\u0000${endpoint}\u0000${status}`;
    const row = this.counts.get(key);
    if (row === undefined) this.counts.set(key, { apiKey, endpoint, status, count: 1 });
    else row.count++;
  }

  rows(): CounterRow[] {
    return [...this.counts.values()]
      .map((row) => ({ ...row }))
      .sort(
        (a, b) =>
          a.apiKey.localeCompare(b.apiKey) ||
          a.endpoint.localeCompare(b.endpoint) ||
          String(a.status).localeCompare(String(b.status)),
      );
  }

  reset(): void {
    this.counts.clear();
  }
}
