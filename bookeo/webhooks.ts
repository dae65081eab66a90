/**
 * Bookeo's webhook management (shared/bookeo-api.md §4.15), typed: list an account's webhooks,
 * register one (a POST replaces the webhook of the same domain and type under a new id) and
 * delete one. Reads and writes go through the account's client, so they share its rate budget,
 * its key headers and its error classes; a write is repeated only when nothing can have been done.
 *
 * Public API:
 *   WEBHOOK_DOMAINS, WEBHOOK_TYPES, types Webhook, WebhookDomain, WebhookType, WebhookSpec
 *   listWebhooks(reader, {signal}?): Promise<Webhook[]>
 *   createWebhook(writer, spec, {signal}?): Promise<Webhook>
 *   deleteWebhook(writer, id, {signal}?): Promise<boolean>   (false: it was already gone)
 */
import { z } from 'zod';
import type { BookeoAccountClient, BookeoAccountWriter, RequestOptions } from './client.js';
import { BookeoApiError, MalformedResponseError } from './errors.js';

export const WEBHOOK_DOMAINS = ['bookings', 'seatblocks', 'resourceblocks', 'customers', 'payments'] as const;
export const WEBHOOK_TYPES = ['created', 'updated', 'deleted'] as const;
export type WebhookDomain = (typeof WEBHOOK_DOMAINS)[number];
export type WebhookType = (typeof WEBHOOK_TYPES)[number];

/** What a registration says: where to send which changes. */
export interface WebhookSpec {
  readonly url: string;
  readonly domain: WebhookDomain;
  readonly type: WebhookType;
}

/** A webhook as Bookeo lists it; `blockedTime` is set once Bookeo stopped delivering to it. */
export interface Webhook extends WebhookSpec {
  readonly id: string;
  readonly blockedTime?: string;
  readonly blockedReason?: string;
}

/** Calls made here are counted under this label (never a resource name, so no resource's counters move). */
export const WEBHOOK_CALL_LABEL = 'webhook-registration';

const webhookSchema = z.object({
  id: z.string().min(1),
  url: z.string(),
  // Domains and types Bookeo may add later are listed as they are; the planner ignores what it does not know.
  domain: z.string(),
  type: z.string(),
  blockedTime: z.string().optional(),
  blockedReason: z.string().optional(),
});

function parseWebhook(item: unknown, endpoint: string): Webhook {
  const parsed = webhookSchema.safeParse(item);
  if (!parsed.success) throw new MalformedResponseError(endpoint, 'a webhook without id, url, domain or type', false);
  return parsed.data as Webhook;
}

type CallOptions = Pick<RequestOptions, 'signal'>;

export async function listWebhooks(reader: BookeoAccountClient, options: CallOptions = {}): Promise<Webhook[]> {
  const webhooks: Webhook[] = [];
  const pages = reader.list(
    { path: '/webhooks', pagination: 'none', label: WEBHOOK_CALL_LABEL },
    options.signal === undefined ? {} : { signal: options.signal },
  );
  for await (const page of pages) for (const item of page.items) webhooks.push(parseWebhook(item, 'GET /webhooks'));
  return webhooks;
}

/** Registers `spec`; Bookeo answers the webhook, or only its Location (`…/webhooks/<id>`). */
export async function createWebhook(
  writer: BookeoAccountWriter,
  spec: WebhookSpec,
  options: CallOptions = {},
): Promise<Webhook> {
  const answer = await writer.send(
    'POST',
    '/webhooks',
    { url: spec.url, domain: spec.domain, type: spec.type },
    { ...options, label: WEBHOOK_CALL_LABEL },
  );
  const id = (answer.body as { id?: unknown } | undefined)?.id ?? answer.location?.split('/').pop();
  if (typeof id !== 'string' || id === '')
    throw new MalformedResponseError('POST /webhooks', 'neither a webhook id in the body nor a Location', false);
  return { ...spec, id };
}

export async function deleteWebhook(
  writer: BookeoAccountWriter,
  id: string,
  options: CallOptions = {},
): Promise<boolean> {
  try {
    await writer.send('DELETE', `/webhooks/${encodeURIComponent(id)}`, undefined, {
      ...options,
      label: WEBHOOK_CALL_LABEL,
    });
    return true;
  } catch (error) {
    if (error instanceof BookeoApiError && error.status === 404) return false;
    throw error;
  }
}
