/**
 * Shared set-up of the webhook receiver tests: a source configuration with the receiver on a free
 * local port and polling at one hour, the webhooks registered through the simulator's /webhooks
 * API (registration code is not under test here), and waits on the first poll and on the
 * simulator's deliveries.
 */
import assert from 'node:assert/strict';
import { validateConfig } from '../../common/config/load.js';
import type { AppConfig } from '../../common/config/schema.js';
import type { SourceTask } from '../../connector/source/task.js';
import { RECEIVED_WEBHOOKS, registeredUrl } from '../../connector/source/webhooks/delivery.js';
import type { Delivery, RunningSimulator } from '../../simulator/index.js';
import { waitFor } from '../../testkit/wait-for.js';
import { freePort } from '../../testkit/free-port.js';
import { sourceTestConfig } from './source-fixture.js';

export const WEBHOOK_RESOURCES = ['bookings', 'customers', 'customers_people', 'payments'] as const;

/** The source test configuration with the receiver enabled at `<publicUrl>` on a free port, polling hourly. */
export async function webhookSourceConfig(
  simulator: RunningSimulator,
  prefix: string,
  patch: (raw: Record<string, Record<string, unknown>>) => void = () => undefined,
): Promise<{ config: AppConfig; publicUrl: string }> {
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}/hooks`;
  const raw = JSON.parse(JSON.stringify(sourceTestConfig(simulator, { prefix }))) as Record<
    string,
    Record<string, unknown>
  >;
  raw.source = { ...raw.source, resources: [...WEBHOOK_RESOURCES], pollIntervalSeconds: 3600, sweepIntervalSeconds: 0 };
  raw.webhooks = { enabled: true, publicUrl, host: '127.0.0.1', port };
  patch(raw);
  return { config: validateConfig(raw), publicUrl };
}

/** Registers every (domain, type) the source handles at the account's URL, through the simulator's API. */
export async function registerWebhooks(simulator: RunningSimulator, publicUrl: string): Promise<void> {
  for (const [domain, type] of RECEIVED_WEBHOOKS) {
    const answer = await fetch(`${simulator.url}/webhooks`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'X-Bookeo-secretKey': simulator.secretKey,
        'X-Bookeo-apiKey': simulator.apiKeys[0] ?? '',
      },
      body: JSON.stringify({ url: registeredUrl(publicUrl, 'acme', domain, type), domain, type }),
    });
    assert.equal(answer.status, 201, `webhook ${domain}/${type} registered`);
  }
}

/** Waits for the first poll of every resource (the windowed cursors at Bookeo's now less the safety lag, a full customers listing at now). */
export async function firstPollDone(
  simulator: RunningSimulator,
  task: SourceTask,
  safetyLagSeconds: number,
): Promise<void> {
  await waitFor(
    () => {
      const offsets = task.offsets();
      const nowSeconds = Math.floor(simulator.admin.now().getTime() / 1000);
      const windowedDone = ['bookings', 'payments'].every(
        (resource) => Number(offsets.get(resource)?.cursor ?? 0) >= nowSeconds - safetyLagSeconds - 1,
      );
      // The clock stands still in these tests: a full listing finished now is this start's.
      return windowedDone && Number(offsets.get('customers')?.lastFullAt ?? 0) >= nowSeconds;
    },
    { what: 'the first poll of every resource', timeoutMs: 120_000, intervalMs: 200 },
  );
}

/** Every delivery queued so far, once all are answered 2xx. */
export function allDelivered(simulator: RunningSimulator): Promise<Delivery[]> {
  return waitFor(
    () => {
      const all = simulator.admin.deliveries({ apiKey: simulator.apiKeys[0] ?? '' });
      return all.length > 0 && all.every((delivery) => delivery.state === 'delivered') ? all : undefined;
    },
    { what: 'every delivery answered 2xx', timeoutMs: 30_000, intervalMs: 50 },
  );
}
