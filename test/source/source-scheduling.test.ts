/**
 * The running source (`task.run()`), against the simulator and the real stack: each resource is
 * polled on its own timer, so bookings keep arriving while a slow customers listing is under way;
 * freshness and cursor lag move while a resource is not polled; /readyz turns false, with the
 * reason, once a resource has failed for longer than `source.unhealthyAfterSeconds`, and the
 * failure-streak metric counts the failed polls until one succeeds.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { validateConfig } from '../../common/config/load.js';
import type { AppConfig } from '../../common/config/schema.js';
import { createKafka, type KafkaClient } from '../../kafka/client.js';
import { startApp, type App } from '../../app/app.js';
import type { SourceRuntime } from '../../connector/source/runtime.js';
import { startSimulator, type RunningSimulator } from '../../simulator/index.js';
import { cleanupPrefix } from '../../testkit/source-cleanup.js';
import { capturingLogger, sourceTestConfig, viewTopic } from '../helpers/source-fixture.js';
import { uniqueName, waitFor } from '../../testkit/wait-for.js';

const API_KEY = 'ak-test-APIKEY-19c2b44d';

interface RawConfig {
  bookeo: { requestsPerSecond: number; retries: number };
  source: Record<string, unknown>;
}

describe('source scheduling and health', () => {
  let simulator: RunningSimulator;
  let kafka: KafkaClient;
  const prefixes: string[] = [];
  /** Each running source and the app serving its ops API. */
  const apps = new Map<SourceRuntime, App>();
  const running: Array<Promise<void>> = [];

  const configWith = (patch: (raw: RawConfig) => void): AppConfig => {
    const prefix = uniqueName('srcsch');
    prefixes.push(prefix);
    const raw = JSON.parse(JSON.stringify(sourceTestConfig(simulator, { prefix }))) as RawConfig;
    patch(raw);
    return validateConfig(raw);
  };
  /** Starts the source and its polling loops, as `bookeo-connect source` does. */
  const runSource = async (config: AppConfig): Promise<SourceRuntime> => {
    const app = await startApp({
      config,
      logger: capturingLogger().logger,
      source: true,
      destinations: [],
      now: () => simulator.admin.now().getTime(),
    });
    const runtime = app.source as SourceRuntime;
    apps.set(runtime, app);
    for (const task of runtime.tasks) running.push(task.run().catch(() => undefined));
    return runtime;
  };
  const stopSource = async (runtime: SourceRuntime): Promise<void> => {
    const app = apps.get(runtime);
    apps.delete(runtime);
    await app?.stop();
  };
  const metric = async (runtime: SourceRuntime, name: string, resource: string): Promise<number | undefined> => {
    const text = await (await fetch(`${apps.get(runtime)?.http?.url ?? ''}/metrics`)).text();
    const line = text
      .split('\n')
      .find((candidate) => candidate.startsWith(`${name}{account="acme",resource="${resource}"}`));
    return line === undefined ? undefined : Number(line.split(' ').pop());
  };
  const readiness = async (runtime: SourceRuntime): Promise<{ status: number; reason?: string }> => {
    const response = await fetch(`${apps.get(runtime)?.http?.url ?? ''}/readyz`);
    const { reason } = (await response.json()) as { reason?: string };
    return { status: response.status, ...(reason === undefined ? {} : { reason }) };
  };

  before(async () => {
    simulator = await startSimulator({
      seed: 13,
      scale: 3000,
      secretKey: 'sk-test-SECRET-7f3a9c1e',
      accounts: [{ apiKey: API_KEY }],
    });
    kafka = createKafka(sourceTestConfig(simulator).kafka, capturingLogger().logger);
  });

  after(async () => {
    simulator.admin.clearFaults();
    for (const app of apps.values()) await app.stop();
    await Promise.all(running);
    for (const prefix of prefixes) await cleanupPrefix(kafka, prefix);
    await simulator.close();
  });

  it('publishes a booking edit while the first customers listing is still under way', async () => {
    const config = configWith((raw) => {
      raw.source = {
        ...raw.source,
        resources: ['bookings', 'customers', 'customers_people'],
        pollIntervalSeconds: 1,
        sweepIntervalSeconds: 0,
        backfillFrom: '2026-05-01',
      };
      // About 600 customers, one linked-people call each: a listing of half a minute at this rate.
      raw.bookeo.requestsPerSecond = 20;
    });
    const runtime = await runSource(config);
    const resources = () => runtime.status.get('acme')?.resources ?? {};
    await waitFor(
      () => resources().bookings?.lastCommitAt !== null && (resources().customers_people?.records ?? 0) > 0,
      {
        what: 'bookings backfilled and the customers listing reading linked people',
        timeoutMs: 60_000,
        intervalMs: 100,
      },
    );
    const edited = simulator.admin.mutate({ editBookings: 2 }).ids.editBookings;
    simulator.admin.advance(120);
    const topic = runtime.topicOf('bookings');
    const before = (await viewTopic(kafka, topic)).latest;
    await waitFor(
      async () => {
        const latest = (await viewTopic(kafka, topic)).latest;
        return edited.every((id) => latest.get(id) !== before.get(id));
      },
      { what: 'the two booking edits in the topic', timeoutMs: 30_000, intervalMs: 250 },
    );
    assert.equal(resources().customers?.cursor, null, 'the customers listing had not finished when the edits arrived');
  });

  it('moves freshness and cursor lag while a resource is not polled', async () => {
    const [[runtime, app]] = [...apps] as [[SourceRuntime, App]];
    const url = app.http?.url ?? '';
    const paused = await fetch(`${url}/tasks/acme/resources/bookings/pause`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(paused.status, 200);
    const since = (await metric(runtime, 'bookeo_connect_source_since_last_commit_seconds', 'bookings')) ?? Number.NaN;
    const lag = (await metric(runtime, 'bookeo_connect_source_cursor_lag_seconds', 'bookings')) ?? Number.NaN;
    await waitFor(
      async () =>
        ((await metric(runtime, 'bookeo_connect_source_since_last_commit_seconds', 'bookings')) ?? 0) >= since + 2,
      {
        what: 'freshness growing while bookings are paused',
        timeoutMs: 15_000,
        intervalMs: 250,
      },
    );
    simulator.admin.advance(600);
    assert.ok(
      ((await metric(runtime, 'bookeo_connect_source_cursor_lag_seconds', 'bookings')) ?? 0) >= lag + 600,
      'cursor lag follows the clock without a poll',
    );
    await stopSource(runtime);
  });

  it('turns /readyz false with the reason once a resource fails for longer than unhealthyAfterSeconds, and true after a success', async () => {
    const config = configWith((raw) => {
      raw.source = {
        ...raw.source,
        resources: ['settings_languages'],
        pollIntervalSeconds: 1,
        snapshotIntervalSeconds: 10,
        unhealthyAfterSeconds: 1,
      };
      raw.bookeo.retries = 0;
    });
    const runtime = await runSource(config);
    await waitFor(
      async () =>
        runtime.status.get('acme')?.resources.settings_languages?.lastCommitAt != null &&
        (await readiness(runtime)).status === 200,
      {
        what: 'a first full listing, and ready',
        timeoutMs: 20_000,
        intervalMs: 100,
      },
    );
    simulator.admin.setFaults(API_KEY, { errors: { rate: 1, statuses: [503] } });
    simulator.admin.advance(20); // a full listing is due at every poll from here
    const reason = await waitFor(
      async () => {
        const ready = await readiness(runtime);
        return ready.status === 503 ? ready.reason : undefined;
      },
      { what: '/readyz false while every poll fails', timeoutMs: 20_000, intervalMs: 200 },
    );
    assert.match(
      reason,
      /^account acme, resource settings_languages: failing since \d{4}-\d\d-\d\dT[\d:.]+Z \(\d+ polls in a row\): RetriesExhaustedError: .*503/,
    );
    assert.ok(
      ((await metric(runtime, 'bookeo_connect_source_consecutive_failures', 'settings_languages')) ?? 0) >= 2,
      'the failed polls are counted',
    );

    simulator.admin.clearFaults(API_KEY);
    simulator.admin.advance(20);
    await waitFor(async () => (await readiness(runtime)).status === 200, {
      what: '/readyz true after a successful poll',
      timeoutMs: 20_000,
      intervalMs: 200,
    });
    assert.equal(await metric(runtime, 'bookeo_connect_source_consecutive_failures', 'settings_languages'), 0);
  });
});
