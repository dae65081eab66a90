/**
 * The change feed of one account: what each mutation did, in Bookeo's webhook vocabulary (domain
 * and type), recorded where the change is made and handed over in one batch once the synchronous
 * mutation is complete (a microtask), so listeners render every item in its finished state.
 * Nothing is kept when nobody listens: an account without live webhooks pays nothing.
 */
export const WEBHOOK_DOMAINS = ['bookings', 'seatblocks', 'resourceblocks', 'customers', 'payments'] as const;
export const WEBHOOK_TYPES = ['created', 'updated', 'deleted'] as const;
export type WebhookDomain = (typeof WEBHOOK_DOMAINS)[number];
export type WebhookType = (typeof WEBHOOK_TYPES)[number];

export interface Change {
  readonly domain: WebhookDomain;
  readonly type: WebhookType;
  /** Internal index of the entity in its store (booking, customer or payment). */
  readonly index: number;
}

export class ChangeFeed {
  private listener: ((changes: readonly Change[]) => void) | undefined;
  private pending: Change[] = [];

  /** One listener at a time (the delivery dispatcher); `undefined` stops recording. */
  listen(listener: ((changes: readonly Change[]) => void) | undefined): void {
    this.listener = listener;
    if (listener === undefined) this.pending = [];
  }

  record(domain: WebhookDomain, type: WebhookType, index: number): void {
    if (this.listener === undefined) return;
    this.pending.push({ domain, type, index });
    if (this.pending.length === 1) queueMicrotask(() => this.flush());
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    if (batch.length > 0) this.listener?.(batch);
  }
}
