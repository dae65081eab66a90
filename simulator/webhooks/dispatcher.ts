/**
 * Webhook deliveries of the whole simulator: follows each account's registry (a queue per live
 * webhook; deleting, replacing or blocking a webhook closes its queue) and change feed (one
 * message per change and matching webhook). Sending is asynchronous and off the API's path: a
 * mutation only renders the bodies and queues them.
 */
import { randomUUID } from 'node:crypto';
import type { SimulatorState } from '../state.js';
import type { AccountData } from '../store.js';
import type { Change } from './changes.js';
import { deliveryBody } from './items.js';
import { DeliveryLog, type Delivery, type DeliveryFilter } from './log.js';
import { DeliveryQueue, type DeliveryOptions, type Message } from './queue.js';
import type { Webhook } from './registry.js';
import { WebhookSender } from './sender.js';

export interface WebhookSettings extends DeliveryOptions {
  /** Whether `http:` URLs may be registered (Bookeo accepts only https). */
  readonly allowHttp: boolean;
  /** Delivery records kept for the admin view. */
  readonly logLimit: number;
}

const DEFAULT_WEBHOOK_SETTINGS: WebhookSettings = Object.freeze({
  timeoutMs: 5_000,
  retryDelaysMs: Object.freeze([10_000, 60_000, 300_000, 900_000]),
  blockAfterLost: 3,
  queueLimit: 1_000,
  reorderHoldMs: 1_000,
  allowHttp: true,
  logLimit: 10_000,
});

/** The defaults with what was given, checked and frozen. */
export function webhookSettings(given: Partial<WebhookSettings> = {}): WebhookSettings {
  const settings = { ...DEFAULT_WEBHOOK_SETTINGS, ...given };
  const problems: string[] = [];
  if (!(settings.timeoutMs > 0)) problems.push('timeoutMs must be > 0');
  if (!settings.retryDelaysMs.every((ms) => ms >= 0)) problems.push('retryDelaysMs must be >= 0');
  for (const key of ['blockAfterLost', 'queueLimit', 'logLimit'] as const)
    if (!(Number.isInteger(settings[key]) && settings[key] >= 1)) problems.push(`${key} must be an integer >= 1`);
  if (!(settings.reorderHoldMs >= 0)) problems.push('reorderHoldMs must be >= 0');
  if (problems.length > 0) throw new RangeError(`invalid webhook settings: ${problems.join('; ')}`);
  return Object.freeze({ ...settings, retryDelaysMs: Object.freeze([...settings.retryDelaysMs]) });
}

export class WebhookDispatcher {
  private readonly settings: WebhookSettings;
  /** Per account, the queue of each live webhook by id. */
  private readonly queues = new Map<AccountData, Map<string, DeliveryQueue>>();
  private readonly log: DeliveryLog;
  private readonly sender: WebhookSender;

  private readonly state: SimulatorState;

  constructor(state: SimulatorState) {
    this.state = state;
    this.settings = state.options.webhooks;
    this.log = new DeliveryLog(this.settings.logLimit);
    this.sender = new WebhookSender(this.settings.timeoutMs);
    for (const data of state.accounts.values()) {
      data.webhooks.observe(() => this.follow(data));
      this.follow(data);
    }
  }

  deliveries(filter?: DeliveryFilter): Delivery[] {
    return this.log.list(filter);
  }

  /** Forgets finished deliveries (those still queued or in flight stay). */
  clearDeliveries(): void {
    this.log.clear();
  }

  /** The clock moved: retries and delays it passed go now. */
  wake(): void {
    for (const queues of this.queues.values()) for (const queue of queues.values()) queue.wake();
  }

  async close(): Promise<void> {
    for (const queues of this.queues.values()) for (const queue of queues.values()) queue.close();
    this.queues.clear();
    for (const data of this.state.accounts.values()) data.changes.listen(undefined);
    await this.sender.close();
  }

  private follow(data: AccountData): void {
    const live = new Set(data.webhooks.deliverable());
    const queues = this.queuesOf(data);
    for (const [id, queue] of queues) {
      if (live.has(queue.webhook)) continue;
      queue.close();
      queues.delete(id);
    }
    data.changes.listen(live.size > 0 ? (changes) => this.dispatch(data, changes) : undefined);
  }

  private dispatch(data: AccountData, changes: readonly Change[]): void {
    const live = data.webhooks.deliverable();
    const now = this.state.nowSeconds();
    for (const change of changes) {
      const targets = live.filter((hook) => hook.domain === change.domain && hook.type === change.type);
      if (targets.length === 0) continue;
      const body = deliveryBody(data, change, now);
      const text = JSON.stringify(body);
      for (const webhook of targets) this.queueOf(data, webhook).enqueue(this.message(data, webhook, body, text));
    }
  }

  private message(data: AccountData, webhook: Webhook, body: { itemId: string }, text: string): Message {
    const apiKey = data.ctx.apiKey;
    const faults = this.state.faults;
    const drop = faults.webhookFault(apiKey, 'drop');
    const duplicate = !drop && faults.webhookFault(apiKey, 'duplicate');
    const delay = !drop && faults.webhookFault(apiKey, 'delay');
    const reorder = !drop && faults.webhookFault(apiKey, 'reorder');
    const delivery: Delivery = {
      messageId: randomUUID(),
      apiKey,
      webhookId: webhook.id,
      url: webhook.url,
      domain: webhook.domain,
      type: webhook.type,
      itemId: body.itemId,
      queuedAt: data.ctx.zone.iso(this.state.nowSeconds()),
      state: 'queued',
      faults: [drop && 'drop', duplicate && 'duplicate', delay && 'delay', reorder && 'reorder'].filter(
        (name): name is string => typeof name === 'string',
      ),
      attempts: [],
    };
    this.log.add(delivery);
    return { delivery, body: text, drop, duplicate, delayMs: delay ? faults.webhookDelayMs(apiKey) : 0, reorder };
  }

  private queuesOf(data: AccountData): Map<string, DeliveryQueue> {
    let queues = this.queues.get(data);
    if (queues === undefined) this.queues.set(data, (queues = new Map()));
    return queues;
  }

  private queueOf(data: AccountData, webhook: Webhook): DeliveryQueue {
    const queues = this.queuesOf(data);
    let queue = queues.get(webhook.id);
    if (queue !== undefined) return queue;
    const apiKey = data.ctx.apiKey;
    const { state } = this;
    queue = new DeliveryQueue(webhook, {
      apiKey,
      secretKey: state.secretKey,
      options: this.settings,
      sender: this.sender,
      nowMs: () => state.clock.nowMs(),
      iso: (ms) => data.ctx.zone.iso(Math.floor(ms / 1000)),
      fault: (name) => state.faults.webhookFault(apiKey, name),
      staleSeconds: () => state.faults.webhookStaleSeconds(apiKey),
      block: (hook, reason) => data.webhooks.block(hook.id, state.nowSeconds(), reason),
    });
    queues.set(webhook.id, queue);
    return queue;
  }
}
