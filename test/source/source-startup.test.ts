/**
 * The source started before its dependencies: with the schema registry (or Kafka) unreachable it
 * serves /readyz at once, says there what it waits for, and goes on by itself once the dependency
 * answers (here a forwarder to the shared service, opened on the address the source was given:
 * the shared services themselves are never stopped). Past `startup.timeoutSeconds` it gives up,
 * naming the dependency.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { validateConfig } from '../../common/config/load.js';
import type { AppConfig } from '../../common/config/schema.js';
import { DependencyUnavailableError } from '../../common/startup.js';
import { createKafka, type KafkaClient } from '../../kafka/client.js';
import { startApp, type App } from '../../app/app.js';
import type { SourceRuntime } from '../../connector/source/runtime.js';
import { stackEndpoints } from '../../deploy/stack/endpoints.js';
import { startSimulator, type RunningSimulator } from '../../simulator/index.js';
import { startHttpForwarder, startTcpForwarder, type Forwarder } from '../helpers/forwarders.js';
import { freePort } from '../../testkit/free-port.js';
import { cleanupPrefix } from '../../testkit/source-cleanup.js';
import { capturingLogger, liveEntries, sourceTestConfig, truthOf, viewTopic } from '../helpers/source-fixture.js';
import { eventually, uniqueName, waitFor } from '../../testkit/wait-for.js';

interface RawConfig {
  kafka: { brokers: string[] };
  schemaRegistry: { url: string };
  source: { resources?: string[] };
  startup?: { timeoutSeconds: number };
}

describe('source start-up with its dependencies unreachable', () => {
  let simulator: RunningSimulator;
  let kafka: KafkaClient;
  const prefixes: string[] = [];
  const apps: App[] = [];
  const forwarders: Forwarder[] = [];

  const configWith = (patch: (raw: RawConfig) => void): AppConfig => {
    const prefix = uniqueName('srcup');
    prefixes.push(prefix);
    const raw = JSON.parse(JSON.stringify(sourceTestConfig(simulator, { prefix }))) as RawConfig;
    raw.source.resources = ['webhooks'];
    patch(raw);
    return validateConfig(raw);
  };

  /** Starts the source without waiting for it; resolves with its ops URL (logged before any dependency is reached). */
  const startInBackground = async (config: AppConfig) => {
    const capture = capturingLogger();
    const started = startApp({
      config,
      logger: capture.logger,
      source: true,
      destinations: [],
      now: () => simulator.admin.now().getTime(),
    }).then((app) => {
      apps.push(app);
      return app.source as SourceRuntime;
    });
    started.catch(() => undefined);
    const url = await waitFor(
      () =>
        capture.lines
          .map((line) => JSON.parse(line) as { msg?: string; url?: string })
          .find((line) => line.msg === 'operations API listening')?.url,
      { what: 'the ops server listening', timeoutMs: 10_000 },
    );
    return { started, url };
  };

  const readiness = async (url: string): Promise<{ status: number; reason?: string }> => {
    const response = await fetch(`${url}/readyz`);
    const { reason } = (await response.json()) as { reason?: string };
    return { status: response.status, ...(reason === undefined ? {} : { reason }) };
  };

  before(async () => {
    simulator = await startSimulator({
      seed: 21,
      scale: 100,
      secretKey: 'sk-test-SECRET-7f3a9c1e',
      accounts: [{ apiKey: 'ak-test-APIKEY-19c2b44d' }],
    });
    kafka = createKafka(sourceTestConfig(simulator).kafka, capturingLogger().logger);
  });

  after(async () => {
    for (const app of apps) await app.stop();
    for (const forwarder of forwarders) await forwarder.close();
    for (const prefix of prefixes) await cleanupPrefix(kafka, prefix);
    await simulator.close();
  });

  it('waits for the schema registry, /readyz saying so, and publishes once it answers', async () => {
    const port = await freePort();
    const real = new URL(stackEndpoints().registryUrl);
    const config = configWith((raw) => {
      raw.schemaRegistry.url = `http://127.0.0.1:${port}${real.pathname}`;
      raw.startup = { timeoutSeconds: 120 };
    });
    const { started, url } = await startInBackground(config);
    const waiting = await waitFor(
      async () => {
        const ready = await readiness(url);
        return ready.status === 503 && /waiting for the schema registry/.test(ready.reason ?? '')
          ? ready.reason
          : undefined;
      },
      { what: '/readyz saying the registry is awaited', timeoutMs: 30_000, intervalMs: 200 },
    );
    assert.match(
      waiting,
      new RegExp(
        `waiting for the schema registry at http://127\\.0\\.0\\.1:${port}/apis/ccompat/v7: SchemaRegistryError: schema registry .* unreachable`,
      ),
    );

    forwarders.push(await startHttpForwarder(real.origin, { port }));
    const runtime = await started;
    assert.equal((await readiness(url)).status, 200, 'ready once started');
    const report = await runtime.tasks[0]?.pollOnce();
    assert.deepEqual(report?.failed, []);
    const truth = await truthOf(simulator, 'webhooks');
    await eventually(async () =>
      assert.deepEqual(
        liveEntries(await viewTopic(kafka, runtime.topicOf('webhooks'))),
        truth,
        'published through the registry that came up',
      ),
    );
  });

  it('waits for Kafka, /readyz saying so, and goes on once a broker answers', async () => {
    const port = await freePort();
    const broker = stackEndpoints().kafkaBroker;
    const config = configWith((raw) => {
      raw.kafka.brokers = [`127.0.0.1:${port}`];
      raw.startup = { timeoutSeconds: 120 };
    });
    const { started, url } = await startInBackground(config);
    await waitFor(
      async () => {
        const ready = await readiness(url);
        return ready.status === 503 && ready.reason?.startsWith(`waiting for Kafka at 127.0.0.1:${port}: `) === true;
      },
      { what: '/readyz saying Kafka is awaited', timeoutMs: 60_000, intervalMs: 250 },
    );
    const [host, brokerPort] = broker.split(':') as [string, string];
    forwarders.push(await startTcpForwarder(host, Number(brokerPort), port));
    const runtime = await started;
    assert.equal((await readiness(url)).status, 200);
    assert.deepEqual((await runtime.tasks[0]?.pollOnce())?.failed, []);
    await eventually(async () =>
      assert.ok((await viewTopic(kafka, runtime.topicOf('webhooks'))).records > 0, 'published'),
    );
  });

  it('gives up after startup.timeoutSeconds, naming what it waited for', async () => {
    const port = await freePort();
    const config = configWith((raw) => {
      raw.schemaRegistry.url = `http://127.0.0.1:${port}/apis/ccompat/v7`;
      raw.startup = { timeoutSeconds: 1 };
    });
    const { started } = await startInBackground(config);
    await assert.rejects(
      started,
      (error: unknown) =>
        error instanceof DependencyUnavailableError &&
        error.message.includes(`the schema registry at http://127.0.0.1:${port}/apis/ccompat/v7 still unreachable`),
    );
  });
});
