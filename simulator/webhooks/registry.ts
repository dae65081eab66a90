/**
 * The webhooks of one account (one API key), as Bookeo keeps them: at most one per (domain,
 * type), a new registration replacing the old one under a new id; a blocked webhook keeps its
 * `blockedTime`/`blockedReason` and gets nothing more until it is registered again.
 *
 * The generated account starts with a few webhooks of its own (one of them blocked) pointing at a
 * host that does not exist; they are listed like any other but never delivered to, so a simulator
 * nobody registered a webhook with makes no outgoing call.
 */
import type { AccountContext } from '../data/account.js';
import { IdCodec, hash, idPrefix } from '../random.js';
import { WEBHOOK_DOMAINS, WEBHOOK_TYPES, type WebhookDomain, type WebhookType } from './changes.js';

export interface Webhook {
  readonly id: string;
  readonly url: string;
  readonly domain: WebhookDomain;
  readonly type: WebhookType;
  blockedTime?: string;
  blockedReason?: string;
}

interface Entry {
  readonly webhook: Webhook;
  /** Generated with the account: listed, never delivered to. */
  readonly seeded: boolean;
}

export class WebhookRegistry {
  private readonly entries = new Map<number, Entry>();
  private readonly ids: IdCodec;
  private nextSequence = 1;
  private observer: (() => void) | undefined;

  private readonly ctx: AccountContext;

  constructor(ctx: AccountContext) {
    this.ctx = ctx;
    this.ids = new IdCodec(idPrefix(ctx.seed, 'webhook'), hash(ctx.seed, 6));
    const host = `https://hooks.example.com/bookeo/${ctx.apiKey.slice(0, 8)}`;
    this.add({ url: `${host}/bookings`, domain: 'bookings', type: 'created' }, true);
    this.add({ url: `${host}/bookings`, domain: 'bookings', type: 'updated' }, true);
    this.add({ url: `${host}/bookings`, domain: 'bookings', type: 'deleted' }, true);
    const blocked = this.add({ url: `${host}/customers?source=bookeo`, domain: 'customers', type: 'deleted' }, true);
    blocked.blockedTime = ctx.zone.iso(ctx.generatedAt - 12 * 86_400);
    blocked.blockedReason = 'Too many failed deliveries (HTTP 502)';
  }

  /** Called after every registration, removal or block (the dispatcher follows the live set). */
  observe(observer: () => void): void {
    this.observer = observer;
  }

  /** Sequence numbers in registration order (the list's stable ids for page snapshots). */
  sequences(): Int32Array {
    return Int32Array.from(this.entries.keys());
  }

  bySequence(sequence: number): Webhook | undefined {
    return this.entries.get(sequence)?.webhook;
  }

  list(): Webhook[] {
    return [...this.entries.values()].map((entry) => entry.webhook);
  }

  find(id: string): Webhook | undefined {
    return this.entries.get(this.ids.decode(id))?.webhook;
  }

  /** Registers a webhook, replacing the one of the same (domain, type). */
  register(input: Pick<Webhook, 'url' | 'domain' | 'type'>): Webhook {
    for (const [sequence, entry] of this.entries)
      if (entry.webhook.domain === input.domain && entry.webhook.type === input.type) this.entries.delete(sequence);
    const webhook = this.add(input, false);
    this.observer?.();
    return webhook;
  }

  remove(id: string): boolean {
    const removed = this.entries.delete(this.ids.decode(id));
    if (removed) this.observer?.();
    return removed;
  }

  block(id: string, now: number, reason: string): void {
    const webhook = this.find(id);
    if (webhook === undefined || webhook.blockedTime !== undefined) return;
    webhook.blockedTime = this.ctx.zone.iso(now);
    webhook.blockedReason = reason;
    this.observer?.();
  }

  /** The webhooks that receive changes: registered through the API and not blocked. */
  deliverable(): Webhook[] {
    return [...this.entries.values()]
      .filter((entry) => !entry.seeded && entry.webhook.blockedTime === undefined)
      .map((entry) => entry.webhook);
  }

  private add(input: Pick<Webhook, 'url' | 'domain' | 'type'>, seeded: boolean): Webhook {
    const sequence = this.nextSequence++;
    const webhook: Webhook = { id: this.ids.encode(sequence), url: input.url, domain: input.domain, type: input.type };
    this.entries.set(sequence, { webhook, seeded });
    return webhook;
  }
}

export function isWebhookDomain(value: unknown): value is WebhookDomain {
  return (WEBHOOK_DOMAINS as readonly unknown[]).includes(value);
}

export function isWebhookType(value: unknown): value is WebhookType {
  return (WEBHOOK_TYPES as readonly unknown[]).includes(value);
}
