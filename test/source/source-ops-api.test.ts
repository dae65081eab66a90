/**
 * The source's operations API against the simulator and the real stack: a paused resource stays
 * paused when the source runtime is started again (the pause is read back from the offsets
 * topic), the Kafka-Connect-shaped routes pause, resume and report the connector, and a task
 * stopped by bad credentials is restarted through the endpoint, in the same process, and
 * publishes again. No secret in any answer or log line.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { validateConfig } from '../../common/config/load.js';
import type { AppConfig } from '../../common/config/schema.js';
import type { ConnectStatus } from '../../connector/source/connect-rest.js';
import { startApp, type App } from '../../app/app.js';
import type { SourceRuntime } from '../../connector/source/runtime.js';
import type { TaskStatus } from '../../connector/source/status.js';
import { TaskStoppedError } from '../../connector/source/task.js';
import { createKafka, type KafkaClient } from '../../kafka/client.js';
import { startSimulator, type RunningSimulator } from '../../simulator/index.js';
import { cleanupPrefix } from '../../testkit/source-cleanup.js';
import { eventually, uniqueName, waitFor } from '../../testkit/wait-for.js';
import { capturingLogger, sourceTestConfig, viewTopic } from '../helpers/source-fixture.js';

const TOKEN = 'ops-api-test-token-0f3c9a71';
const SECRET_KEY = 'sk-test-SECRET-7f3a9c1e';
const API_KEY = 'ak-test-APIKEY-19c2b44d';
const HEADERS = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

describe('source operations API: persisted pause, Kafka Connect shapes, task restart', () => {
  let simulator: RunningSimulator;
  let kafka: KafkaClient;
  const capture = capturingLogger();
  const prefixes: string[] = [];
  /** Each running source and the app serving its ops API. */
  const apps = new Map<SourceRuntime, App>();

  const configWith = (resources: string[], prefix = uniqueName('srcops')): AppConfig => {
    if (!prefixes.includes(prefix)) prefixes.push(prefix);
    const raw = JSON.parse(JSON.stringify(sourceTestConfig(simulator, { prefix, bearerToken: TOKEN }))) as {
      source: Record<string, unknown>;
    };
    raw.source.resources = resources;
    raw.source.sweepIntervalSeconds = 0;
    return validateConfig(raw);
  };
  const start = async (config: AppConfig): Promise<SourceRuntime> => {
    const app = await startApp({
      config,
      logger: capture.logger,
      source: true,
      destinations: [],
      now: () => simulator.admin.now().getTime(),
    });
    const runtime = app.source as SourceRuntime;
    apps.set(runtime, app);
    return runtime;
  };
  const stop = async (runtime: SourceRuntime): Promise<void> => {
    const app = apps.get(runtime);
    apps.delete(runtime);
    await app?.stop();
  };
  const call = async (runtime: SourceRuntime, method: string, path: string): Promise<Response> =>
    fetch(`${apps.get(runtime)?.http?.url ?? ''}${path}`, { method, headers: HEADERS });
  const json = async <T>(runtime: SourceRuntime, path: string): Promise<T> => {
    const response = await call(runtime, 'GET', path);
    assert.equal(response.status, 200, path);
    return (await response.json()) as T;
  };

  before(async () => {
    simulator = await startSimulator({ seed: 23, scale: 300, secretKey: SECRET_KEY, accounts: [{ apiKey: API_KEY }] });
    kafka = createKafka(sourceTestConfig(simulator).kafka, capture.logger);
  });

  after(async () => {
    for (const app of apps.values()) await app.stop();
    for (const prefix of prefixes) await cleanupPrefix(kafka, prefix);
    await simulator.close();
  });

  it('keeps a paused resource paused when the source starts again, and the Connect routes pause and resume', async () => {
    const prefix = uniqueName('srcops');
    const config = configWith(['bookings', 'webhooks'], prefix);
    const topic = `${prefix}.bookings`;
    const first = await start(config);
    await first.tasks[0]?.pollOnce();
    assert.equal((await call(first, 'POST', '/tasks/acme/resources/bookings/pause')).status, 200);
    await stop(first);

    const second = await start(config);
    assert.equal(second.status.get('acme')?.resources.bookings?.state, 'paused', 'read back from the offsets topic');
    assert.equal(second.status.get('acme')?.resources.webhooks?.state, 'starting', 'only the paused one');
    simulator.admin.mutate({ editBookings: 2 });
    simulator.admin.advance(120);
    const before = (await viewTopic(kafka, topic)).records;
    await second.tasks[0]?.pollOnce();
    assert.equal((await viewTopic(kafka, topic)).records, before, 'a paused resource is not polled after the restart');

    const name = `${config.kafka.clientId}-source`;
    assert.deepEqual(await json(second, '/connectors'), [name]);
    assert.equal((await call(second, 'GET', '/connectors/someone-else/status')).status, 404);
    assert.equal((await call(second, 'PUT', `/connectors/${name}/pause`)).status, 202);
    const paused = await json<ConnectStatus>(second, `/connectors/${name}/status`);
    assert.equal(paused.connector.state, 'PAUSED');
    assert.deepEqual(
      paused.tasks.map((task) => [task.id, task.state, task.account]),
      [[0, 'PAUSED', 'acme']],
    );
    assert.equal(paused.type, 'source');
    assert.equal((await call(second, 'PUT', `/connectors/${name}/resume`)).status, 202);
    const resumed = await json<ConnectStatus>(second, `/connectors/${name}/status`);
    assert.equal(resumed.tasks[0]?.state, 'RUNNING');
    await second.tasks[0]?.pollOnce();
    await eventually(async () =>
      assert.equal((await viewTopic(kafka, topic)).records, before + 2, 'resumed: the two edits arrive'),
    );
    const { offsets } = await json<{ offsets: Array<{ partition: { account: string; resource: string } }> }>(
      second,
      `/connectors/${name}/offsets`,
    );
    assert.deepEqual(offsets.map((entry) => `${entry.partition.account}/${entry.partition.resource}`).sort(), [
      'acme/bookings',
      'acme/webhooks',
    ]);
    await stop(second);

    const third = await start(config);
    assert.notEqual(third.status.get('acme')?.resources.bookings?.state, 'paused', 'the resume was recorded too');
    await stop(third);
  });

  it('restarts a task stopped by bad credentials through the endpoint, in the same process', async () => {
    const prefix = uniqueName('srcops');
    const runtime = await start(configWith(['webhooks'], prefix));
    const name = runtime.tasks[0]?.connector as string;
    simulator.admin.setFaults(API_KEY, { errors: { next: 1, statuses: [401] } });
    await assert.rejects(runtime.tasks[0]?.run() as Promise<void>, TaskStoppedError);
    simulator.admin.clearFaults(API_KEY);

    const failed = await json<ConnectStatus>(runtime, `/connectors/${name}/status`);
    assert.equal(failed.tasks[0]?.state, 'FAILED');
    assert.match(failed.tasks[0]?.trace ?? '', /BookeoAuthError/);
    assert.equal((await call(runtime, 'POST', '/tasks/acme/resources/webhooks/restart')).status, 409, 'task first');
    const restarting = await call(runtime, 'POST', `/connectors/${name}/restart?includeTasks=true&onlyFailed=true`);
    assert.equal(restarting.status, 202);
    assert.equal(((await restarting.json()) as ConnectStatus).tasks[0]?.state, 'RESTARTING');

    // The restarted task runs by itself (its caller's run() had ended): it lists the webhooks.
    await waitFor(async () => ((await viewTopic(kafka, `${prefix}.webhooks`)).records > 0 ? true : undefined), {
      what: 'the restarted task publishes the webhooks',
      timeoutMs: 60_000,
    });
    const task = await json<TaskStatus>(runtime, '/tasks/acme');
    assert.equal(task.state, 'running');
    assert.equal(task.error, null);

    // A running task restarts in place as well, and a resource polls at once.
    const again = await call(runtime, 'POST', '/tasks/acme/restart');
    assert.equal(again.status, 200);
    assert.equal(((await again.json()) as TaskStatus).state, 'running');
    assert.equal((await call(runtime, 'POST', '/tasks/acme/resources/webhooks/restart')).status, 200);
    assert.equal((await call(runtime, 'POST', `/connectors/${name}/restart`)).status, 204, 'connector only: nothing');

    const everything = [
      capture.lines.join(''),
      JSON.stringify(runtime.status.all()),
      await (await call(runtime, 'GET', '/metrics')).text(),
      await (await call(runtime, 'GET', `/connectors/${name}/status`)).text(),
    ].join('\n');
    for (const secret of [TOKEN, SECRET_KEY, API_KEY]) assert.ok(!everything.includes(secret), `leaked ${secret}`);
  });
});
