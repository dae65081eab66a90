/**
 * What the simulator sent to webhooks, for tests and demos to wait on: one record per message
 * (its webhook, what it is about, its state) with every attempt (clock time, status or error,
 * duration, and which faults touched it). Bounded: past the limit the oldest finished records go.
 */
import type { WebhookDomain, WebhookType } from './changes.js';

export type DeliveryState =
  /** Waiting in the webhook's queue (or held by a delay or reorder fault). */
  | 'queued'
  | 'sending'
  /** Failed, waiting for the next attempt. */
  | 'retrying'
  | 'delivered'
  /** Given up after the last attempt, or refused by a full queue. */
  | 'lost'
  /** Never sent: the drop fault. */
  | 'dropped'
  /** Never sent: its webhook was deleted, replaced or blocked first, or the simulator closed. */
  | 'canceled';

export interface DeliveryAttempt {
  /** Simulator clock time of the attempt. */
  readonly at: string;
  /** `X-Bookeo-Timestamp` as sent. */
  readonly timestamp: string;
  /** HTTP status of the answer; absent when there was none (see `error`). */
  readonly status?: number;
  /** `timeout` when no answer came in time, otherwise the connection error's code. */
  readonly error?: string;
  readonly ms: number;
  readonly previousMessageLost: boolean;
  readonly badSignature: boolean;
  readonly staleTimestamp: boolean;
  /** The duplicate fault's second sending of a delivered message. */
  readonly duplicate: boolean;
}

export interface Delivery {
  readonly messageId: string;
  readonly apiKey: string;
  readonly webhookId: string;
  readonly url: string;
  readonly domain: WebhookDomain;
  readonly type: WebhookType;
  readonly itemId: string;
  /** Simulator clock time the message was queued. */
  readonly queuedAt: string;
  state: DeliveryState;
  /** Message faults drawn for it: duplicate, delay, reorder, drop. */
  readonly faults: string[];
  readonly attempts: DeliveryAttempt[];
}

export interface DeliveryFilter {
  apiKey?: string;
  webhookId?: string;
  state?: DeliveryState;
}

const FINISHED: readonly DeliveryState[] = ['delivered', 'lost', 'dropped', 'canceled'];

export class DeliveryLog {
  private readonly records = new Map<string, Delivery>();

  private readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  add(delivery: Delivery): void {
    this.records.set(delivery.messageId, delivery);
    if (this.records.size <= this.limit) return;
    for (const [id, record] of this.records) {
      if (this.records.size <= this.limit) break;
      if (FINISHED.includes(record.state)) this.records.delete(id);
    }
  }

  /** Copies, in the order the messages were queued. */
  list(filter: DeliveryFilter = {}): Delivery[] {
    return [...this.records.values()]
      .filter(
        (d) =>
          (filter.apiKey === undefined || d.apiKey === filter.apiKey) &&
          (filter.webhookId === undefined || d.webhookId === filter.webhookId) &&
          (filter.state === undefined || d.state === filter.state),
      )
      .map((d) => structuredClone(d));
  }

  clear(): void {
    for (const [id, record] of this.records) if (FINISHED.includes(record.state)) this.records.delete(id);
  }
}
