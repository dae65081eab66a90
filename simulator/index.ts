/**
 * The Bookeo simulator: a faithful, deterministic stand-in for api.bookeo.com/v2 with an admin
 * API for tests and demos. Start it embedded (`startSimulator`) or from the CLI
 * (`bookeo-connect simulator`, see command.ts).
 */
import { createAdmin, type SimulatorAdmin } from './admin.js';
import type { ClockMode } from './clock.js';
import { startServer } from './server.js';
import { SimulatorState } from './state.js';
import { WebhookDispatcher, webhookSettings, type WebhookSettings } from './webhooks/dispatcher.js';

export type { SimulatorAdmin, ResourceName, TruthOptions, AccountSummary, SimulatorStats } from './admin.js';
export { RESOURCES } from './admin.js';
export type { FaultSettings, FaultTrigger, WebhookFaults } from './faults.js';
export type { WebhookSettings } from './webhooks/dispatcher.js';
export type { Delivery, DeliveryAttempt, DeliveryFilter, DeliveryState } from './webhooks/log.js';
export type { DeliveryBody } from './webhooks/items.js';
export type { Webhook } from './webhooks/registry.js';
export type { WebhookDomain, WebhookType } from './webhooks/changes.js';
export { webhookSignature, verifyWebhookSignature, type SignedParts } from './webhooks/signature.js';
export type { MutationRequest, MutationResult, MutationKind } from './mutations.js';
export type { CounterRow } from './counters.js';

export interface SimulatorOptions {
  port?: number;
  host?: string;
  seed?: number;
  /** Bookings per account (other entities proportional: customers ≈ scale / 5). */
  scale?: number;
  accounts?: { apiKey: string; name?: string; timezone?: string }[];
  secretKey?: string;
  clock?: ClockMode;
  now?: string;
  historyDays?: number;
  tokenTtlSeconds?: number;
  /** Days ahead for which bookings already exist at start (default 60). */
  futureDays?: number;
  /** Total mutations per simulated minute applied by `admin.tick()` (default ≈ the history's booking pace × 1.8). */
  mutationRate?: number;
  /** Ids kept by page-token snapshots before the oldest are dropped (default 8M ≈ 32 MB). */
  maxTokenIds?: number;
  /** Background ticker: every `intervalMs`, advance a virtual clock by `speed` × the interval and tick every account. */
  autoTick?: { intervalMs: number; speed?: number };
  /** Webhook deliveries: answer window, retry back-off, blocking, queue bound (docs/simulator.md). */
  webhooks?: Partial<WebhookSettings>;
}

export interface RunningSimulator {
  readonly url: string;
  readonly adminUrl: string;
  readonly secretKey: string;
  readonly apiKeys: readonly string[];
  readonly admin: SimulatorAdmin;
  close(): Promise<void>;
}

export const DEFAULT_API_KEY = 'demo-api-key';
export const DEFAULT_SECRET_KEY = 'demo-secret-key';

export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const scale = options.scale ?? 2000;
  const historyDays = options.historyDays ?? 365;
  const clock = options.clock ?? 'virtual';
  const state = new SimulatorState({
    seed: options.seed ?? 1,
    scale,
    accounts: options.accounts ?? [{ apiKey: DEFAULT_API_KEY }],
    secretKey: options.secretKey ?? DEFAULT_SECRET_KEY,
    clock,
    now: options.now ?? (clock === 'virtual' ? '2026-06-01T00:00:00Z' : undefined),
    historyDays,
    futureDays: options.futureDays ?? 60,
    tokenTtlSeconds: options.tokenTtlSeconds ?? 1800,
    mutationRate: options.mutationRate ?? Math.max(0.01, ((scale / historyDays) * 1.8) / 1440),
    maxTokenIds: options.maxTokenIds ?? 8_000_000,
    webhooks: webhookSettings(options.webhooks),
  });
  const deliveries = new WebhookDispatcher(state);
  const admin = createAdmin(state, deliveries);
  const host = options.host ?? '127.0.0.1';
  const server = await startServer(state, admin, host, options.port ?? 0);
  let ticker: NodeJS.Timeout | undefined;
  if (options.autoTick !== undefined) {
    const { intervalMs, speed = 1 } = options.autoTick;
    ticker = setInterval(() => {
      if (clock === 'virtual') admin.advance((intervalMs / 1000) * speed);
      for (const apiKey of state.accounts.keys()) admin.tick(apiKey);
    }, intervalMs);
    ticker.unref();
  }
  return {
    url: `${server.origin}/v2`,
    adminUrl: `${server.origin}/_admin`,
    secretKey: state.secretKey,
    apiKeys: Object.freeze([...state.accounts.keys()]),
    admin,
    close: async () => {
      if (ticker !== undefined) clearInterval(ticker);
      await server.close();
      await deliveries.close();
    },
  };
}
