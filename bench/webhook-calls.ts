/**
 * Steady-state Bookeo API calls, webhooks against polling: the same mutation load (one change at
 * a fixed pace on the real clock, taking turns through `LOAD`) runs twice through `bookeo-connect run`, once polling
 * only at the connector's default intervals, once with the receiver on and the backstop intervals
 * docs/webhooks.md recommends. The simulator's request counters are read over a fixed window after
 * the first polls and extrapolated per hour.
 *
 * A short window cannot see what is scheduled hourly or rarer (the full listing of customers, and
 * with webhooks the 15-minute backstop polls): those are added from docs/webhooks.md's cost table
 * and the account's size, and reported apart from what was counted.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { MutationKind, RunningSimulator } from '../simulator/index.js';
import { waitFor } from '../testkit/wait-for.js';
import { startPipeline } from './pipeline.js';

export interface CallsRun {
  readonly mode: 'polling' | 'webhooks';
  /** Calls the simulator served in the window. */
  readonly counted: number;
  /** The same calls per endpoint (method and route), most first: where the calls go. */
  readonly byEndpoint: Readonly<Record<string, number>>;
  readonly changes: number;
  readonly deliveries: number;
  /** counted × 3600 / window. */
  readonly countedPerHour: number;
  /** What the scheduled listings and polls the window cannot see cost per hour (computed). */
  readonly scheduledPerHour: number;
  readonly perHour: number;
}

export interface WebhookCallsResult {
  readonly windowSeconds: number;
  readonly mutationsPerMinute: number;
  readonly customers: number;
  readonly polling: CallsRun;
  readonly webhooks: CallsRun;
  /** polling per hour ÷ webhooks per hour. */
  readonly ratio: number;
}

const RESOURCES = ['bookings', 'customers', 'customers_people', 'payments'];
/** Resources whose poll costs one call when nothing is new: the bookings and payments windows, the customers pull. */
const POLLED_PER_ROUND = 3;
const DEFAULTS = { pollIntervalSeconds: 60, snapshotIntervalSeconds: 3600 };
const BACKSTOP = { pollIntervalSeconds: 900, snapshotIntervalSeconds: 86_400 };

/** The changes of the load, in turn: every kind that has a webhook domain. */
const LOAD: readonly MutationKind[] = [
  'editBookings',
  'newBookings',
  'editCustomers',
  'cancelBookings',
  'newCustomers',
];

const served = (simulator: RunningSimulator): number =>
  simulator.admin.counters().reduce((sum, row) => sum + row.count, 0);

function servedByEndpoint(simulator: RunningSimulator): Record<string, number> {
  const counts = new Map<string, number>();
  for (const row of simulator.admin.counters()) counts.set(row.endpoint, (counts.get(row.endpoint) ?? 0) + row.count);
  return Object.fromEntries([...counts].sort(([, a], [, b]) => b - a));
}

/** One page per 100 customers plus one linked-people call per customer (docs/webhooks.md). */
const fullListingCalls = (customers: number): number => Math.ceil(customers / 100) + customers;

async function measure(options: {
  mode: 'polling' | 'webhooks';
  topicPrefix: string;
  database: string;
  scale: number;
  windowSeconds: number;
  mutationsPerMinute: number;
}): Promise<{ run: CallsRun; customers: number }> {
  const intervals = options.mode === 'polling' ? DEFAULTS : BACKSTOP;
  const pipeline = await startPipeline({
    topicPrefix: options.topicPrefix,
    database: options.database,
    scale: options.scale,
    resources: RESOURCES,
    requestsPerSecond: 200,
    sinkMaxAgeMs: 200,
    source: { ...intervals, sweepIntervalSeconds: 86_400 },
    ...(options.mode === 'webhooks' ? { webhooks: { register: true } } : {}),
  });
  try {
    const { admin } = pipeline.simulator;
    // The first polls and the first full listing are done once nothing is asked for a few seconds.
    let last = -1;
    await waitFor(
      () => {
        const now = served(pipeline.simulator);
        const quiet = now === last;
        last = now;
        return quiet;
      },
      { what: 'the first polls to finish (no API call for 3 s)', timeoutMs: 300_000, intervalMs: 3_000 },
    );
    admin.resetCounters();
    const deliveriesBefore = admin.deliveries({ apiKey: pipeline.simulator.apiKeys[0] ?? '' }).length;
    const changes = Math.round((options.windowSeconds * options.mutationsPerMinute) / 60);
    for (let change = 0; change < changes; change++) {
      await delay((60 / options.mutationsPerMinute) * 500); // the load's own pace, not a synchronisation
      admin.mutate({ [LOAD[change % LOAD.length] as MutationKind]: 1 });
      await delay((60 / options.mutationsPerMinute) * 500);
    }
    const counted = served(pipeline.simulator);
    const byEndpoint = servedByEndpoint(pipeline.simulator);
    const deliveries = admin.deliveries({ apiKey: pipeline.simulator.apiKeys[0] ?? '' }).length - deliveriesBefore;
    const customers = admin.count('customers');
    const countedPerHour = Math.round((counted * 3600) / options.windowSeconds);
    const scheduledPerHour = Math.round(
      (fullListingCalls(customers) * 3600) / intervals.snapshotIntervalSeconds +
        (options.mode === 'webhooks' ? (POLLED_PER_ROUND * 3600) / intervals.pollIntervalSeconds : 0),
    );
    return {
      run: {
        mode: options.mode,
        counted,
        byEndpoint,
        changes,
        deliveries,
        countedPerHour,
        scheduledPerHour,
        perHour: countedPerHour + scheduledPerHour,
      },
      customers,
    };
  } finally {
    await pipeline.close();
  }
}

export async function benchWebhookCalls(options: {
  topicPrefix: string;
  database: string;
  scale: number;
  windowSeconds: number;
  mutationsPerMinute: number;
}): Promise<WebhookCallsResult> {
  const common = {
    scale: options.scale,
    windowSeconds: options.windowSeconds,
    mutationsPerMinute: options.mutationsPerMinute,
  };
  const { run: polling, customers } = await measure({
    ...common,
    mode: 'polling',
    topicPrefix: `${options.topicPrefix}p`,
    database: `${options.database}_p`,
  });
  const { run: webhooks } = await measure({
    ...common,
    mode: 'webhooks',
    topicPrefix: `${options.topicPrefix}w`,
    database: `${options.database}_w`,
  });
  return {
    windowSeconds: options.windowSeconds,
    mutationsPerMinute: options.mutationsPerMinute,
    customers,
    polling,
    webhooks,
    ratio: Number((polling.perHour / Math.max(1, webhooks.perHour)).toFixed(2)),
  };
}
