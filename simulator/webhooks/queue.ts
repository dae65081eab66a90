/**
 * The delivery queue of one webhook: messages go out one at a time, in order, each retried with
 * back-off until it is answered 2xx or its attempts run out. A message given up (or dropped by a
 * fault, or refused by a full queue) is lost: the next delivery carries
 * `X-Bookeo-PreviousMessageLost: true` until one is answered. After a run of lost messages the
 * webhook is blocked. Waits end on a real timer or as soon as the simulator clock passes them,
 * so tests can hurry retries along with `advance`.
 */
import type { WebhookFaultName } from '../faults.js';
import type { Delivery, DeliveryAttempt } from './log.js';
import type { SendOutcome, WebhookSender } from './sender.js';
import { webhookSignature } from './signature.js';
import type { Webhook } from './registry.js';

export interface DeliveryOptions {
  /** Answer window of one attempt. */
  readonly timeoutMs: number;
  /** Waits before the 2nd, 3rd, … attempt; a message gets `retryDelaysMs.length + 1` attempts. */
  readonly retryDelaysMs: readonly number[];
  /** Consecutive lost messages after which the webhook is blocked. */
  readonly blockAfterLost: number;
  /** Messages waiting per webhook; past it new messages are lost. */
  readonly queueLimit: number;
  /** How long a reorder-faulted message waits for a successor to be overtaken by. */
  readonly reorderHoldMs: number;
}

export interface QueueContext {
  readonly apiKey: string;
  readonly secretKey: string;
  readonly options: DeliveryOptions;
  readonly sender: WebhookSender;
  nowMs(): number;
  iso(ms: number): string;
  fault(name: WebhookFaultName): boolean;
  staleSeconds(): number;
  block(webhook: Webhook, reason: string): void;
}

export interface Message {
  readonly delivery: Delivery;
  readonly body: string;
  readonly drop: boolean;
  readonly duplicate: boolean;
  readonly delayMs: number;
  reorder: boolean;
}

const WRONG_KEY = 'not-the-application-secret-key';

export class DeliveryQueue {
  private readonly waiting: Message[] = [];
  private running = false;
  private closed = false;
  private previousLost = false;
  private lostInARow = 0;
  private readonly stop = new AbortController();
  private sleeper: { dueMs: number; onQueued: boolean; end: () => void } | undefined;

  readonly webhook: Webhook;
  private readonly ctx: QueueContext;

  constructor(webhook: Webhook, ctx: QueueContext) {
    this.webhook = webhook;
    this.ctx = ctx;
  }

  enqueue(message: Message): void {
    if (this.closed) return void (message.delivery.state = 'canceled');
    if (this.waiting.length >= this.ctx.options.queueLimit) {
      message.delivery.state = 'lost';
      this.previousLost = true;
      return;
    }
    const last = this.waiting.at(-1);
    if (last?.reorder === true) {
      last.reorder = false;
      this.waiting.splice(this.waiting.length - 1, 0, message);
    } else this.waiting.push(message);
    if (this.sleeper?.onQueued === true) this.sleeper.end();
    if (!this.running) void this.run();
  }

  /** The clock moved: waits that are now due end. */
  wake(): void {
    if (this.sleeper !== undefined && this.ctx.nowMs() >= this.sleeper.dueMs) this.sleeper.end();
  }

  /** Stops sending; what waits is canceled, an attempt in flight is aborted. */
  close(): void {
    this.closed = true;
    this.stop.abort();
    this.sleeper?.end();
    for (const message of this.waiting.splice(0)) message.delivery.state = 'canceled';
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (!this.closed && this.waiting.length > 0) {
        const head = this.waiting[0] as Message;
        if (head.reorder && this.waiting.length === 1) {
          await this.sleep(this.ctx.options.reorderHoldMs, true);
          if (this.waiting[0] === head) head.reorder = false;
          continue;
        }
        this.waiting.shift();
        await this.deliver(head);
      }
    } finally {
      this.running = false;
    }
  }

  private async deliver(message: Message): Promise<void> {
    const delivery = message.delivery;
    if (message.drop) {
      delivery.state = 'dropped';
      this.previousLost = true;
      return;
    }
    if (message.delayMs > 0) await this.sleep(message.delayMs, false);
    const delays = this.ctx.options.retryDelaysMs;
    let last: SendOutcome = { ms: 0 };
    for (let attempt = 0; !this.closed; attempt++) {
      delivery.state = 'sending';
      const sent = await this.attempt(message);
      last = sent.outcome;
      if (this.closed) break;
      if (last.status !== undefined && last.status >= 200 && last.status < 300) {
        delivery.state = 'delivered';
        this.previousLost = false;
        this.lostInARow = 0;
        if (message.duplicate) await this.send(message, sent.headers, sent.record, true);
        return;
      }
      const wait = delays[attempt];
      if (wait === undefined) break;
      delivery.state = 'retrying';
      await this.sleep(wait, false);
    }
    if (this.closed) return void (delivery.state = 'canceled');
    delivery.state = 'lost';
    this.previousLost = true;
    if (++this.lostInARow >= this.ctx.options.blockAfterLost) {
      const cause = last.status !== undefined ? `HTTP ${last.status}` : (last.error ?? 'no answer');
      this.ctx.block(this.webhook, `Too many failed deliveries (${cause})`);
    }
  }

  private async attempt(message: Message): Promise<{
    outcome: SendOutcome;
    headers: Record<string, string>;
    record: Omit<DeliveryAttempt, 'at' | 'status' | 'error' | 'ms' | 'duplicate'>;
  }> {
    const now = this.ctx.nowMs();
    const staleTimestamp = this.ctx.fault('staleTimestamp');
    const badSignature = this.ctx.fault('badSignature');
    const timestamp = String(staleTimestamp ? now - this.ctx.staleSeconds() * 1000 : now);
    const { messageId, url } = message.delivery;
    const signature = webhookSignature(badSignature ? WRONG_KEY : this.ctx.secretKey, {
      timestamp,
      messageId,
      url,
      body: message.body,
    });
    const headers: Record<string, string> = {
      'Content-Type': 'application/json; charset=utf-8',
      'X-Bookeo-Timestamp': timestamp,
      'X-Bookeo-MessageId': messageId,
      'X-Bookeo-Signature': signature,
    };
    if (this.previousLost) headers['X-Bookeo-PreviousMessageLost'] = 'true';
    const record = { timestamp, previousMessageLost: this.previousLost, badSignature, staleTimestamp };
    const outcome = await this.send(message, headers, record, false);
    return { outcome, headers, record };
  }

  private async send(
    message: Message,
    headers: Record<string, string>,
    record: Omit<DeliveryAttempt, 'at' | 'status' | 'error' | 'ms' | 'duplicate'>,
    duplicate: boolean,
  ): Promise<SendOutcome> {
    const at = this.ctx.iso(this.ctx.nowMs());
    const outcome = await this.ctx.sender.post(message.delivery.url, headers, message.body, this.stop.signal);
    message.delivery.attempts.push({ at, ...record, ...outcome, duplicate });
    return outcome;
  }

  /** Ends after `ms` real milliseconds, when the clock has moved `ms` on, on close, or (onQueued) when a message is queued. */
  private sleep(ms: number, onQueued: boolean): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const end = (): void => {
        clearTimeout(timer);
        this.sleeper = undefined;
        resolve();
      };
      const timer = setTimeout(end, ms);
      timer.unref();
      this.sleeper = { dueMs: this.ctx.nowMs() + ms, onQueued, end };
    });
  }
}
