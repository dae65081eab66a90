/**
 * Faults, switchable per account at run time: what a connector must survive from a real API.
 * "next" counters fire on the account's next N API requests (deterministic, for tests); "rate"
 * fires with a probability from a seeded generator (for demos and chaos runs).
 */
import { Rng, hashString } from './random.js';

export interface FaultSettings {
  /** Per-apiKey token bucket; over it → 429 with Retry-After (seconds). */
  rateLimit?: { requestsPerSecond: number; burst?: number };
  /** 5xx answers, statuses taken in turn (default 500, 502, 503). */
  errors?: { next?: number; rate?: number; statuses?: number[] };
  /** Added to every answer, in real milliseconds. */
  latencyMs?: number;
  /** No answer at all for `ms` (default 120 s, longer than any sane client timeout), then the socket is destroyed. */
  hang?: { next?: number; rate?: number; ms?: number };
  /** The socket is destroyed before any byte of the answer. */
  reset?: { next?: number; rate?: number };
  /** A list page whose JSON is cut off mid-way (status 200). */
  malformed?: { next?: number; rate?: number };
  /**
   * Records change shape: new fields appear (`addField`), money amounts turn from strings into
   * numbers (`changeType`, which Bookeo's own examples allow), and/or the added `loyaltyTier`
   * arrives as an object instead of a string (`conflict`: a true type conflict for a consumer).
   */
  schemaDrift?: { addField?: boolean; changeType?: boolean; conflict?: boolean };
  /** Page tokens of this account expire after this many (clock) seconds instead of the configured TTL. */
  tokenTtlSeconds?: number;
  /** Webhook deliveries of this account (see docs/simulator.md). */
  webhooks?: WebhookFaults;
}

/** Fires on the next N occasions, or with a probability from the seeded generator. */
export interface FaultTrigger {
  next?: number;
  rate?: number;
}

/** Message faults are drawn once per message when it is queued; attempt faults on every attempt. */
export interface WebhookFaults {
  /** Message: once answered 2xx, the same delivery (same MessageId, timestamp, signature) is sent again. */
  duplicate?: FaultTrigger;
  /** Message: waits `ms` (default 2000 real ms, or until the clock passes it) before its first attempt; later messages wait behind it. */
  delay?: FaultTrigger & { ms?: number };
  /** Message: sent after the message queued next (or alone after a short hold when none comes). */
  reorder?: FaultTrigger;
  /** Message: never sent; counted as lost, so the next delivery carries X-Bookeo-PreviousMessageLost. */
  drop?: FaultTrigger;
  /** Attempt: signed with a wrong key. */
  badSignature?: FaultTrigger;
  /** Attempt: `X-Bookeo-Timestamp` is `seconds` (default 600) in the past, correctly signed. */
  staleTimestamp?: FaultTrigger & { seconds?: number };
}

export type WebhookFaultName = keyof WebhookFaults;

export type FaultAction =
  | { kind: 'none' }
  | { kind: 'throttle'; retryAfterSeconds: number }
  | { kind: 'error'; status: number }
  | { kind: 'hang'; ms: number }
  | { kind: 'reset' };

interface Bucket {
  tokens: number;
  updatedMs: number;
}

export class FaultBook {
  private readonly settings = new Map<string, FaultSettings>();
  private readonly buckets = new Map<string, Bucket>();
  private readonly rngs = new Map<string, Rng>();
  private readonly errorTurn = new Map<string, number>();

  private readonly seed: number;

  constructor(seed: number) {
    this.seed = seed;
  }

  get(apiKey: string): FaultSettings {
    return structuredClone(this.settings.get(apiKey) ?? {});
  }

  set(apiKey: string, faults: FaultSettings): void {
    validate(faults);
    this.settings.set(apiKey, structuredClone(faults));
    this.buckets.delete(apiKey);
  }

  clear(apiKey?: string): void {
    if (apiKey === undefined) {
      this.settings.clear();
      this.buckets.clear();
    } else {
      this.settings.delete(apiKey);
      this.buckets.delete(apiKey);
    }
  }

  /** Decides what happens to one API request before it is handled. */
  before(apiKey: string): FaultAction {
    const f = this.settings.get(apiKey);
    if (f === undefined) return { kind: 'none' };
    if (f.rateLimit !== undefined) {
      const wait = this.take(
        apiKey,
        f.rateLimit.requestsPerSecond,
        f.rateLimit.burst ?? Math.max(1, f.rateLimit.requestsPerSecond),
      );
      if (wait > 0) return { kind: 'throttle', retryAfterSeconds: Math.max(1, Math.ceil(wait)) };
    }
    if (this.fires(apiKey, f.reset)) return { kind: 'reset' };
    if (this.fires(apiKey, f.hang)) return { kind: 'hang', ms: f.hang?.ms ?? 120_000 };
    if (this.fires(apiKey, f.errors)) {
      const statuses = f.errors?.statuses ?? [500, 502, 503];
      const turn = this.errorTurn.get(apiKey) ?? 0;
      this.errorTurn.set(apiKey, turn + 1);
      return { kind: 'error', status: statuses[turn % statuses.length] ?? 500 };
    }
    return { kind: 'none' };
  }

  latencyMs(apiKey: string): number {
    return this.settings.get(apiKey)?.latencyMs ?? 0;
  }

  /** Whether this list page should be cut off (consumes one `next`). */
  malformed(apiKey: string): boolean {
    return this.fires(apiKey, this.settings.get(apiKey)?.malformed);
  }

  drift(apiKey: string): FaultSettings['schemaDrift'] {
    return this.settings.get(apiKey)?.schemaDrift;
  }

  tokenTtl(apiKey: string): number | undefined {
    return this.settings.get(apiKey)?.tokenTtlSeconds;
  }

  /** Whether a webhook fault fires for this message or attempt (consumes one `next`). */
  webhookFault(apiKey: string, name: WebhookFaultName): boolean {
    return this.fires(apiKey, this.settings.get(apiKey)?.webhooks?.[name]);
  }

  webhookDelayMs(apiKey: string): number {
    return this.settings.get(apiKey)?.webhooks?.delay?.ms ?? 2000;
  }

  webhookStaleSeconds(apiKey: string): number {
    return this.settings.get(apiKey)?.webhooks?.staleTimestamp?.seconds ?? 600;
  }

  private fires(apiKey: string, fault: FaultTrigger | undefined): boolean {
    if (fault === undefined) return false;
    if (fault.next !== undefined && fault.next > 0) {
      fault.next--;
      return true;
    }
    if (fault.rate !== undefined && fault.rate > 0) {
      let rng = this.rngs.get(apiKey);
      if (rng === undefined) this.rngs.set(apiKey, (rng = new Rng(this.seed ^ hashString(apiKey))));
      return rng.next() < fault.rate;
    }
    return false;
  }

  /** Token bucket on the real clock (throttling is about request pace, not simulated time). Returns seconds to wait, 0 if admitted. */
  private take(apiKey: string, perSecond: number, burst: number): number {
    const nowMs = performance.now();
    const bucket = this.buckets.get(apiKey) ?? { tokens: burst, updatedMs: nowMs };
    bucket.tokens = Math.min(burst, bucket.tokens + ((nowMs - bucket.updatedMs) / 1000) * perSecond);
    bucket.updatedMs = nowMs;
    this.buckets.set(apiKey, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return (1 - bucket.tokens) / perSecond;
  }
}

function validate(f: FaultSettings): void {
  const problems: string[] = [];
  if (f.rateLimit !== undefined && !(f.rateLimit.requestsPerSecond > 0))
    problems.push('rateLimit.requestsPerSecond must be > 0');
  const hooks = f.webhooks ?? {};
  for (const [name, fault] of Object.entries({
    errors: f.errors,
    hang: f.hang,
    reset: f.reset,
    malformed: f.malformed,
    ...Object.fromEntries(Object.entries(hooks).map(([key, value]) => [`webhooks.${key}`, value])),
  })) {
    if (fault === undefined) continue;
    if (fault.next !== undefined && !(Number.isInteger(fault.next) && fault.next >= 0))
      problems.push(`${name}.next must be a non-negative integer`);
    if (fault.rate !== undefined && !(fault.rate >= 0 && fault.rate <= 1))
      problems.push(`${name}.rate must be within [0, 1]`);
  }
  if (f.errors?.statuses?.some((s) => !Number.isInteger(s) || s < 400 || s > 599))
    problems.push('errors.statuses must be HTTP error statuses');
  if (f.latencyMs !== undefined && !(f.latencyMs >= 0)) problems.push('latencyMs must be >= 0');
  if (f.tokenTtlSeconds !== undefined && !(f.tokenTtlSeconds >= 0)) problems.push('tokenTtlSeconds must be >= 0');
  const known = ['duplicate', 'delay', 'reorder', 'drop', 'badSignature', 'staleTimestamp'];
  for (const key of Object.keys(hooks))
    if (!known.includes(key)) problems.push(`webhooks.${key} is not a webhook fault`);
  if (hooks.delay?.ms !== undefined && !(hooks.delay.ms >= 0)) problems.push('webhooks.delay.ms must be >= 0');
  if (hooks.staleTimestamp?.seconds !== undefined && !(hooks.staleTimestamp.seconds > 0))
    problems.push('webhooks.staleTimestamp.seconds must be > 0');
  if (problems.length > 0) throw new RangeError(`invalid faults: ${problems.join('; ')}`);
}

/** Schema drift applied to one served record (a copy; the stored data never changes shape). */
export function driftRecord(
  record: Record<string, unknown>,
  drift: NonNullable<FaultSettings['schemaDrift']>,
): Record<string, unknown> {
  const out = drift.changeType === true ? (amountsToNumbers(record) as Record<string, unknown>) : { ...record };
  if (drift.addField === true) {
    out.loyaltyTier = drift.conflict === true ? { tier: 'gold', since: '2026-01-01' } : 'silver';
    out.marketingConsent = { email: true, sms: false };
  }
  return out;
}

function amountsToNumbers(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(amountsToNumbers);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value))
    out[key] = key === 'amount' && typeof inner === 'string' ? Number(inner) : amountsToNumbers(inner);
  return out;
}
