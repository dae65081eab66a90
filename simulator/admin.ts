/**
 * The admin handle: what tests and the demo use to drive the simulator and to know the truth.
 * The HTTP admin API (admin-http.ts) exposes exactly these powers under /_admin.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { CounterRow } from './counters.js';
import { bookingJson } from './data/booking-view.js';
import type { FaultSettings } from './faults.js';
import { applyMutations, tick, type MutationRequest, type MutationResult } from './mutations.js';
import { paymentJson } from './routes/payments.js';
import type { SimulatorState } from './state.js';
import type { AccountData } from './store.js';
import type { WebhookDispatcher } from './webhooks/dispatcher.js';
import type { Delivery, DeliveryFilter } from './webhooks/log.js';

export const RESOURCES = [
  'bookings',
  'customers',
  'customers_people',
  'settings_languages',
  'settings_products',
  'resources',
  'payments',
  'webhooks',
] as const;
export type ResourceName = (typeof RESOURCES)[number];

export interface TruthOptions {
  expandCustomer?: boolean;
  expandParticipants?: boolean;
}

export interface AccountSummary {
  apiKey: string;
  name: string;
  timezone: string;
  currency: string;
  counts: Record<ResourceName, number>;
  generationMs: number;
}

export interface SimulatorStats {
  rssBytes: number;
  heapUsedBytes: number;
  externalBytes: number;
  /** Bytes of the typed-array columns of every account. */
  storeBytes: number;
  tokens: { tokens: number; ids: number };
}

export interface SimulatorAdmin {
  now(): Date;
  /** Moves the clock forward; payments due at booking starts passed on the way are recorded. */
  advance(seconds: number): Date;
  /** Applies N mutations of each kind now, to one account (the first when apiKey is omitted). */
  mutate(request: MutationRequest, apiKey?: string): MutationResult;
  /** Applies the mutations owed since the last tick at the configured rate. */
  tick(apiKey?: string): MutationResult;
  /** Every live entity of a resource, as GET would return it now (bookings include canceled ones). */
  groundTruth(
    resource: ResourceName | (string & {}),
    apiKey?: string,
    options?: TruthOptions,
  ): AsyncIterable<Record<string, unknown>>;
  /** Ids of hard-deleted entities (bookings, customers, customers_people), in deletion order. */
  deletedIds(resource: ResourceName | (string & {}), apiKey?: string): string[];
  count(resource: ResourceName | (string & {}), apiKey?: string): number;
  setFaults(apiKey: string, faults: FaultSettings): void;
  clearFaults(apiKey?: string): void;
  faults(apiKey: string): FaultSettings;
  /** Invalidates page tokens now (of one account or all); returns how many were dropped. */
  expireTokens(apiKey?: string): number;
  counters(): CounterRow[];
  resetCounters(): void;
  /** Webhook deliveries (each message with its attempts), in the order they were queued; copies. */
  deliveries(filter?: DeliveryFilter): Delivery[];
  /** Forgets finished deliveries. */
  clearDeliveries(): void;
  accounts(): AccountSummary[];
  stats(): SimulatorStats;
}

function assertResource(resource: string): asserts resource is ResourceName {
  if (!(RESOURCES as readonly string[]).includes(resource))
    throw new RangeError(`unknown resource ${resource}; one of ${RESOURCES.join(', ')}`);
}

export function createAdmin(state: SimulatorState, webhooks: WebhookDispatcher): SimulatorAdmin {
  const account = (apiKey?: string): AccountData => state.account(apiKey);
  const liveCustomers = (data: AccountData): number[] => {
    const out: number[] = [];
    for (let c = 0; c < data.customers.count(); c++) if (!data.customers.isDeleted(c)) out.push(c);
    return out;
  };

  async function* truth(
    resource: ResourceName,
    data: AccountData,
    options: TruthOptions,
  ): AsyncGenerator<Record<string, unknown>> {
    state.catchUp();
    const now = state.nowSeconds();
    const expand = {
      expandCustomer: options.expandCustomer === true,
      expandParticipants: options.expandParticipants === true,
    };
    let served = 0;
    // Yield to the event loop now and then: a 1M-booking dump must not stall the API it describes.
    const pace = async (): Promise<void> => {
      if (++served % 2000 === 0) await yieldToLoop();
    };
    switch (resource) {
      case 'bookings':
        for (const i of data.bookings.select({ includeCanceled: true })) {
          yield bookingJson(data, i, expand, now);
          await pace();
        }
        return;
      case 'customers':
        for (const c of liveCustomers(data)) {
          yield data.customerJson(c, now);
          await pace();
        }
        return;
      case 'customers_people':
        for (const c of liveCustomers(data)) {
          for (let k = 0; k < data.customers.linkedCount(c); k++) yield data.customers.linkedPersonJson(c, k);
          await pace();
        }
        return;
      case 'payments':
        for (let p = 0; p < data.payments.count(); p++) {
          yield paymentJson(data, p);
          await pace();
        }
        return;
      case 'settings_languages':
        yield* data.ctx.theme.languages.map((l, i) => ({ tag: l.tag, name: l.name, customersDefault: i === 0 }));
        return;
      case 'settings_products':
        yield* data.catalog.products.map((_, i) => data.catalog.productJson(i, now, data.ctx.theme.currency));
        return;
      case 'resources':
        yield* data.catalog.resourceTypes.map((t) => data.catalog.resourceTypeJson(t));
        return;
      case 'webhooks':
        yield* data.webhooks.list().map((h) => ({ ...h }));
        return;
    }
  }

  function count(resource: ResourceName, data: AccountData): number {
    switch (resource) {
      case 'bookings':
        return data.bookings.count() - data.bookings.deletedOrder.length;
      case 'customers':
        return data.customers.count() - data.customers.deletedOrder.length;
      case 'customers_people':
        return liveCustomers(data).reduce((sum, c) => sum + data.customers.linkedCount(c), 0);
      case 'payments':
        return data.payments.count();
      case 'settings_languages':
        return data.ctx.theme.languages.length;
      case 'settings_products':
        return data.catalog.products.length;
      case 'resources':
        return data.catalog.resourceTypes.length;
      case 'webhooks':
        return data.webhooks.list().length;
    }
  }

  return {
    now: () => new Date(state.clock.nowMs()),
    advance(seconds) {
      state.clock.advance(seconds);
      state.catchUp();
      webhooks.wake();
      return new Date(state.clock.nowMs());
    },
    mutate: (request, apiKey) => applyMutations(account(apiKey), request, state.nowSeconds()),
    tick: (apiKey) => tick(account(apiKey), state.options.mutationRate, state.nowSeconds()),
    groundTruth(resource, apiKey, options = {}) {
      assertResource(resource);
      return truth(resource, account(apiKey), options);
    },
    deletedIds(resource, apiKey) {
      assertResource(resource);
      const data = account(apiKey);
      const { bookings: b, customers: c } = data;
      if (resource === 'bookings')
        return Array.from(b.deletedOrder.data.subarray(0, b.deletedOrder.length), (i) => b.bookingNumber(i));
      const deleted = Array.from(c.deletedOrder.data.subarray(0, c.deletedOrder.length));
      if (resource === 'customers') return deleted.map((i) => c.ids.encode(i));
      if (resource === 'customers_people')
        return deleted.flatMap((i) => Array.from({ length: c.linkedCount(i) }, (_, k) => c.linkedId(i, k)));
      return [];
    },
    count(resource, apiKey) {
      assertResource(resource);
      return count(resource, account(apiKey));
    },
    setFaults: (apiKey, faults) => {
      account(apiKey);
      state.faults.set(apiKey, faults);
    },
    clearFaults: (apiKey) => state.faults.clear(apiKey),
    faults: (apiKey) => state.faults.get(apiKey),
    expireTokens: (apiKey) => state.tokens.expire(apiKey),
    counters: () => state.counters.rows(),
    resetCounters: () => state.counters.reset(),
    deliveries: (filter) => webhooks.deliveries(filter),
    clearDeliveries: () => webhooks.clearDeliveries(),
    accounts: () =>
      [...state.accounts.values()].map((data) => ({
        apiKey: data.ctx.apiKey,
        name: data.ctx.name,
        timezone: data.ctx.zone.name,
        currency: data.ctx.theme.currency,
        counts: Object.fromEntries(RESOURCES.map((r) => [r, count(r, data)])) as Record<ResourceName, number>,
        generationMs: Math.round(data.generationMs),
      })),
    stats() {
      const memory = process.memoryUsage();
      let storeBytes = 0;
      for (const data of state.accounts.values()) storeBytes += data.bytes();
      return {
        rssBytes: memory.rss,
        heapUsedBytes: memory.heapUsed,
        externalBytes: memory.external + memory.arrayBuffers,
        storeBytes,
        tokens: state.tokens.stats(),
      };
    },
  };
}
