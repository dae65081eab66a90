/**
 * A webhook delivery once the receiver has accepted it (signed, fresh, well-formed), and the URLs
 * the receiver and the registration agree on: `<publicUrl>/<account>`, with the webhook's domain
 * and type as query parameters (Bookeo signs the URL as registered, query included).
 *
 * Public API: WebhookDelivery, RECEIVED_DOMAINS, RECEIVED_WEBHOOKS, resourceOfDomain,
 *             accountUrl, registeredUrl
 */

import type { WebhookType } from '../../../bookeo/webhooks.js';

/** The webhook domains (of Bookeo's, bookeo/webhooks.ts) whose changes the source publishes. */
export const RECEIVED_DOMAINS = ['bookings', 'customers', 'payments'] as const;
export type ReceivedDomain = (typeof RECEIVED_DOMAINS)[number];

/** The (domain, type) pairs whose deliveries the receiver publishes: the webhooks to register. */
export const RECEIVED_WEBHOOKS: ReadonlyArray<readonly [ReceivedDomain, WebhookType]> = [
  ['bookings', 'created'],
  ['bookings', 'updated'],
  ['bookings', 'deleted'],
  ['customers', 'created'],
  ['customers', 'updated'],
  ['customers', 'deleted'],
  // Payments are never changed or deleted (a refund is a new payment).
  ['payments', 'created'],
];

export interface WebhookDelivery {
  readonly account: string;
  readonly domain: ReceivedDomain;
  readonly type: WebhookType;
  /** The entity the change is about. */
  readonly itemId: string;
  /** The body's `item` when it is a JSON object: the entity as Bookeo rendered it (see item-trust.ts). */
  readonly item?: Readonly<Record<string, unknown>>;
  readonly messageId: string;
  /** Bookeo lost a message of this webhook before this one: catch up on the resource. */
  readonly previousMessageLost: boolean;
}

/** The catalog resource a webhook domain changes (the names coincide). */
export function resourceOfDomain(domain: ReceivedDomain): string {
  return domain;
}

/** The receiver's URL for an account: `<publicUrl>/<account>` (a trailing slash of publicUrl is not doubled). */
export function accountUrl(publicUrl: string, account: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/${account}`;
}

/** The URL to register a webhook at (and that Bookeo signs): the account's URL with domain and type in the query. */
export function registeredUrl(publicUrl: string, account: string, domain: ReceivedDomain, type: WebhookType): string {
  return `${accountUrl(publicUrl, account)}?domain=${domain}&type=${type}`;
}
