/**
 * The source under Bookeo's bad days, against the simulator and the real stack: schema drift
 * evolves the registered schema and a type conflict goes to the dead-letter topic while the run
 * goes on; a 429 storm slows the run without failing it; bad credentials stop that account only,
 * with Bookeo's errorId and never the key.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AppConfig } from '../../common/config/schema.js';
import { validateConfig } from '../../common/config/load.js';
import { createMetricsRegistry } from '../../common/metrics.js';
import { createKafka, type KafkaClient } from '../../kafka/client.js';
import { readTopicToEnd } from '../../kafka/topic-reader.js';
import { readerGroupId } from '../../contract/group-id.js';
import { DEAD_LETTER_HEADER } from '../../contract/dead-letter-headers.js';
import { startSourceRuntime, type SourceRuntime } from '../../connector/source/runtime.js';
import { TaskStoppedError } from '../../connector/source/task.js';
import { stackEndpoints } from '../../deploy/stack/endpoints.js';
import { startSimulator, type RunningSimulator } from '../../simulator/index.js';
import { capturingLogger, liveEntries, sourceTestConfig, truthOf, viewTopic } from '../helpers/source-fixture.js';
import { cleanupPrefix } from '../../testkit/source-cleanup.js';
import { eventually, uniqueName } from '../../testkit/wait-for.js';

/** The parts of a plain config object these tests change before validation. */
interface RawConfig {
  source: { resources?: string[]; sweepIntervalSeconds?: number };
  bookeo: { retries: number; accounts: Array<{ id: string; apiKey: string }> };
}

describe('source connector under faults', () => {
  let simulator: RunningSimulator;
  let kafka: KafkaClient;
  const capture = capturingLogger();
  const prefixes: string[] = [];
  const runtimes: SourceRuntime[] = [];
  const metricsRegistry = createMetricsRegistry('faults_');

  const run = async (config: AppConfig): Promise<SourceRuntime> => {
    const runtime = await startSourceRuntime({
      config,
      logger: capture.logger,
      metrics: metricsRegistry,
      now: () => simulator.admin.now().getTime(),
    });
    runtimes.push(runtime);
    return runtime;
  };
  const configWith = (patch: (raw: RawConfig) => void): AppConfig => {
    const prefix = uniqueName('srcf');
    prefixes.push(prefix);
    const raw = JSON.parse(JSON.stringify(sourceTestConfig(simulator, { prefix }))) as RawConfig;
    patch(raw);
    return validateConfig(raw);
  };

  before(async () => {
    simulator = await startSimulator({
      seed: 11,
      scale: 300,
      secretKey: 'sk-test-SECRET-7f3a9c1e',
      accounts: [{ apiKey: 'ak-test-APIKEY-19c2b44d' }],
    });
    kafka = createKafka({ ...sourceTestConfig(simulator).kafka }, capture.logger);
  });

  after(async () => {
    for (const runtime of runtimes) await runtime.stop();
    for (const prefix of prefixes) await cleanupPrefix(kafka, prefix);
    await simulator.close();
  });

  it('evolves the value schema for a new field and dead-letters a type conflict, and goes on', async () => {
    const config = configWith((raw) => {
      raw.source.resources = ['bookings'];
      raw.source.sweepIntervalSeconds = 0; // only the poll path here: a sweep would re-read every drifted booking
    });
    const runtime = await run(config);
    const [task] = runtime.tasks;
    await task?.pollOnce();
    const subject = `${runtime.topicOf('bookings')}-value`;
    assert.deepEqual(await versions(subject), [1]);

    const apiKey = simulator.apiKeys[0] as string;
    simulator.admin.setFaults(apiKey, { schemaDrift: { addField: true } });
    const drifted = simulator.admin.mutate({ editBookings: 3 });
    simulator.admin.advance(120);
    await task?.pollOnce();
    assert.deepEqual(await versions(subject), [1, 2], 'a new version was registered for the new fields');
    const latest = (await (
      await fetch(`${stackEndpoints().registryUrl}/subjects/${subject}/versions/latest`)
    ).json()) as { schema: string };
    assert.match(latest.schema, /"loyaltyTier"/);
    assert.match(latest.schema, /"marketingConsent"/);

    simulator.admin.setFaults(apiKey, { schemaDrift: { addField: true, conflict: true } });
    const conflict = simulator.admin.mutate({ editBookings: 2 });
    simulator.admin.advance(120);
    await task?.pollOnce();
    await eventually(async () => {
      const dead: Array<{ reason: string; topic: string; id: string }> = [];
      await readTopicToEnd(kafka, {
        groupId: readerGroupId(),
        topic: config.source.deadLetterTopic,
        onMessage: (message) =>
          void dead.push({
            reason: String(message.headers?.[DEAD_LETTER_HEADER.errorMessage]),
            topic: String(message.headers?.[DEAD_LETTER_HEADER.topic]),
            id: String(message.key).split('/').slice(2).join('/'),
          }),
      });
      // The look-back re-reads the earlier drifted edits too; they now conflict as well.
      assert.deepEqual(
        new Set(dead.map((letter) => letter.id)),
        new Set([...drifted.ids.editBookings, ...conflict.ids.editBookings]),
        'each conflicting record is dead-lettered',
      );
      for (const letter of dead) {
        assert.match(letter.reason, /loyaltyTier: expected string, found an object/);
        assert.equal(letter.topic, runtime.topicOf('bookings'));
      }
    });
    assert.equal(runtime.status.get('acme')?.resources.bookings?.state, 'running', 'the resource goes on');
    simulator.admin.clearFaults(apiKey);
  });

  it('completes a backfill through a 429 storm, slower but exact', async () => {
    const apiKey = simulator.apiKeys[0] as string;
    simulator.admin.resetCounters();
    simulator.admin.setFaults(apiKey, { rateLimit: { requestsPerSecond: 8, burst: 4 } });
    const config = configWith((raw) => {
      raw.source.resources = ['bookings', 'payments'];
      raw.bookeo.retries = 12;
    });
    const runtime = await run(config);
    try {
      await runtime.tasks[0]?.pollOnce();
    } finally {
      simulator.admin.clearFaults(apiKey);
    }
    const throttled = simulator.admin
      .counters()
      .filter((row) => row.status === 429)
      .reduce((sum, row) => sum + row.count, 0);
    assert.ok(throttled > 0, 'the simulator throttled the source');
    for (const resource of ['bookings', 'payments'] as const) {
      const truth = await truthOf(simulator, resource);
      await eventually(async () =>
        assert.deepEqual(
          liveEntries(await viewTopic(kafka, runtime.topicOf(resource))),
          truth,
          `${resource} exact despite the 429s`,
        ),
      );
    }
  });

  it('stops only the account with bad credentials, quoting errorId and never the key', async () => {
    const badKey = 'ak-WRONG-key-must-not-leak-5521';
    const config = configWith((raw) => {
      raw.source.resources = ['settings_languages', 'webhooks'];
      raw.bookeo.accounts.push({ id: 'intruder', apiKey: badKey });
    });
    const runtime = await run(config);
    const [good, bad] = runtime.tasks;
    await good?.pollOnce();
    const error = await bad?.pollOnce().then(
      () => undefined,
      (reason: unknown) => reason,
    );
    assert.ok(error instanceof TaskStoppedError, `expected TaskStoppedError, got ${String(error)}`);
    assert.match(error.message, /errorId/);
    assert.equal(runtime.status.get('intruder')?.state, 'failed');
    assert.equal(runtime.status.get('acme')?.state, 'running');
    assert.match(runtime.status.notReadyReason() ?? '', /intruder failed/);
    await eventually(async () =>
      assert.ok((await viewTopic(kafka, runtime.topicOf('webhooks'))).records > 0, 'the good account published'),
    );
    const everything = [
      error.message,
      JSON.stringify(error),
      capture.lines.join(''),
      JSON.stringify(runtime.status.all()),
    ].join('\n');
    assert.ok(!everything.includes(badKey), 'the bad key leaked');
    assert.ok(!everything.includes('sk-test-SECRET-7f3a9c1e'), 'the secret key leaked');
  });
});

async function versions(subject: string): Promise<number[]> {
  return (await (await fetch(`${stackEndpoints().registryUrl}/subjects/${subject}/versions`)).json()) as number[];
}
