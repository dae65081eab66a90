/**
 * A customer whose linked people keep coming back malformed, against the simulator and the real
 * stack: the customers poll completes, the customer is published, its linked people are
 * dead-lettered with the call and what was wrong (in the same transaction), the failure is
 * counted, and the next full listing reads them. The fault is the simulator's own (`malformed`,
 * three answers in a row: the client's attempts for one call); a forwarder in front of the
 * simulator switches it on as that customer's linked-people call arrives, so it hits that call.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { validateConfig } from '../../common/config/load.js';
import { createMetricsRegistry } from '../../common/metrics.js';
import { createKafka, type KafkaClient } from '../../kafka/client.js';
import { readTopicToEnd } from '../../kafka/topic-reader.js';
import { readerGroupId } from '../../contract/group-id.js';
import { DEAD_LETTER_HEADER } from '../../contract/dead-letter-headers.js';
import { startSourceRuntime, type SourceRuntime } from '../../connector/source/runtime.js';
import { startSimulator, type RunningSimulator } from '../../simulator/index.js';
import { startHttpForwarder, type Forwarder } from '../helpers/forwarders.js';
import { cleanupPrefix } from '../../testkit/source-cleanup.js';
import { capturingLogger, liveEntries, sourceTestConfig, truthOf, viewTopic } from '../helpers/source-fixture.js';
import { eventually, uniqueName } from '../../testkit/wait-for.js';

const API_KEY = 'ak-test-APIKEY-19c2b44d';

describe("source: a customer's linked people that stay malformed", () => {
  let simulator: RunningSimulator;
  let forwarder: Forwarder;
  let kafka: KafkaClient;
  let runtime: SourceRuntime | undefined;
  const prefix = uniqueName('srcchild');
  /** The customer whose linked-people call gets the fault, once it is asked for. */
  let target: string | undefined;

  before(async () => {
    simulator = await startSimulator({
      seed: 32,
      scale: 300,
      secretKey: 'sk-test-SECRET-7f3a9c1e',
      accounts: [{ apiKey: API_KEY }],
    });
    forwarder = await startHttpForwarder(simulator.url, {
      onRequest: (request) => {
        if (target === undefined || request.url?.startsWith(`/v2/customers/${target}/linkedpeople`) !== true) return;
        target = undefined;
        simulator.admin.setFaults(API_KEY, { malformed: { next: 3 } });
      },
    });
    kafka = createKafka(sourceTestConfig(simulator).kafka, capturingLogger().logger);
  });

  after(async () => {
    await runtime?.stop();
    await cleanupPrefix(kafka, prefix);
    await forwarder.close();
    await simulator.close();
  });

  it("completes the customers poll, dead-letters that customer's linked people, and reads them at the next full listing", async () => {
    const raw = JSON.parse(JSON.stringify(sourceTestConfig(simulator, { prefix }))) as {
      bookeo: Record<string, unknown>;
      source: Record<string, unknown>;
    };
    raw.bookeo.baseUrl = `${forwarder.url}/v2`;
    raw.source.resources = ['customers', 'customers_people'];
    raw.source.snapshotIntervalSeconds = 3600;
    const config = validateConfig(raw);
    const metrics = createMetricsRegistry('childfaults_');
    runtime = await startSourceRuntime({
      config,
      logger: capturingLogger().logger,
      metrics,
      now: () => simulator.admin.now().getTime(),
    });
    const task = runtime.tasks[0] as SourceRuntime['tasks'][number];
    assert.deepEqual((await task.pollOnce()).failed, [], 'first full listing');

    // A new customer: the next poll (created-since) lists it and asks for its linked people, once.
    const [created] = simulator.admin.mutate({ newCustomers: 1 }).ids.newCustomers;
    assert.ok(created !== undefined);
    simulator.admin.advance(120);
    target = created;
    assert.deepEqual((await task.pollOnce()).failed, [], 'the customers poll completes despite the malformed answers');
    assert.equal(target, undefined, "the customer's linked people were asked for");

    await eventually(async () =>
      assert.ok(
        (await viewTopic(kafka, runtime?.topicOf('customers') ?? '')).latest.has(created),
        'the customer is published',
      ),
    );
    const letters: Array<{ key: string; headers: Record<string, string> }> = [];
    await eventually(async () => {
      letters.length = 0;
      await readTopicToEnd(kafka, {
        groupId: readerGroupId(),
        topic: config.source.deadLetterTopic,
        onMessage: (message) =>
          void letters.push({
            key: String(message.key),
            headers: Object.fromEntries(
              Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]),
            ),
          }),
      });
      assert.equal(letters.length, 1);
    });
    const [letter] = letters;
    assert.equal(letter?.key, `acme/customers_people/${created}/*`);
    assert.match(
      letter?.headers[DEAD_LETTER_HEADER.errorMessage] ?? '',
      new RegExp(
        `malformed Bookeo response from GET /customers/${created}/linkedpeople.*: body is not JSON .*still after 3 attempts`,
      ),
    );
    assert.equal(letter?.headers[DEAD_LETTER_HEADER.errorClass], 'MalformedResponseError');
    assert.equal(letter?.headers[DEAD_LETTER_HEADER.topic], runtime.topicOf('customers_people'));
    assert.match(
      await metrics.metrics(),
      /bookeo_connect_source_child_listings_failed_total\{account="acme",resource="customers_people"\} 1/,
    );

    const people = (await viewTopic(kafka, runtime.topicOf('customers_people'))).latest;
    assert.ok(
      ![...people.keys()].some((id) => id.startsWith(`${created}/`)),
      'none of its linked people published yet',
    );

    await task.resnapshot('customers');
    assert.deepEqual((await task.pollOnce()).failed, [], 'the next full listing');
    const truth = await truthOf(simulator, 'customers_people');
    assert.ok(
      [...truth.keys()].some((id) => id.startsWith(`${created}/`)),
      'the new customer has linked people (seed chosen so)',
    );
    await eventually(async () =>
      assert.deepEqual(
        liveEntries(await viewTopic(kafka, runtime?.topicOf('customers_people') ?? '')),
        truth,
        "every linked person published, the new customer's too",
      ),
    );
  });
});
