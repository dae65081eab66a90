/**
 * Webhooks to ClickHouse: with polling at one hour, a source with the receiver and a ClickHouse sink
 * in one process take every kind of change through deliveries alone, and reconcile then finds
 * Bookeo, the topics and the tables in agreement (so a delivery's record is one the sink loads and
 * reconcile counts like the poll's).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ClickHouseClient } from '@clickhouse/client';
import type { AppConfig } from '../../common/config/schema.js';
import { createLogger } from '../../common/logger.js';
import { startApp, type App } from '../../app/app.js';
import type { SourceRuntime } from '../../connector/source/runtime.js';
import { stackEndpoints } from '../../deploy/stack/endpoints.js';
import { withAdmin } from '../../kafka/admin.js';
import { createKafka } from '../../kafka/client.js';
import { reconcile } from '../../reconcile/reconcile.js';
import { topicEnds } from '../../sinks/runner/group-admin.js';
import { startSimulator, type RunningSimulator } from '../../simulator/index.js';
import { cleanupPrefix } from '../../testkit/source-cleanup.js';
import { uniqueName } from '../../testkit/wait-for.js';
import { stackClickHouse } from '../helpers/stack.js';
import { allDelivered, firstPollDone, registerWebhooks, webhookSourceConfig } from '../helpers/webhook-source.js';

describe('webhooks to ClickHouse: deliveries alone, then reconcile agrees', () => {
  let simulator: RunningSimulator;
  let config: AppConfig;
  let app: App | undefined;
  let running: Promise<unknown> | undefined;
  let clickhouse: ClickHouseClient;
  let publicUrl: string;
  const prefix = uniqueName('whch');
  const database = uniqueName('whch_db');
  const logger = createLogger({ level: (process.env.TEST_LOG_LEVEL ?? 'silent') as 'silent', format: 'json' });
  const now = (): number => simulator.admin.now().getTime();

  before(async () => {
    simulator = await startSimulator({ seed: 23, scale: 300, webhooks: { retryDelaysMs: [30_000] } });
    ({ config, publicUrl } = await webhookSourceConfig(simulator, prefix, (raw) => {
      raw.log = { level: 'warn', format: 'json' };
      raw.clickhouse = { url: stackEndpoints().clickhouseUrl, database };
      raw.sink = {
        groupId: `${prefix}-sink`,
        deadLetterTopic: `${prefix}.dlq-sink`,
        batch: { maxRows: 5_000, maxAgeMs: 200 },
      };
    }));
    clickhouse = stackClickHouse();
  });

  after(async () => {
    await app?.stop();
    await running;
    await clickhouse.command({ query: `DROP DATABASE IF EXISTS \`${database}\`` });
    await clickhouse.close();
    await cleanupPrefix(createKafka(config.kafka, logger), prefix);
    await simulator.close();
  });

  it('loads what deliveries published, and reconcile finds no difference', async () => {
    app = await startApp({ config, logger, source: true, destinations: ['clickhouse'], now });
    const source = app.source as SourceRuntime;
    const task = source.tasks[0] as SourceRuntime['tasks'][number];
    running = task.run().catch(() => undefined);
    await firstPollDone(simulator, task, config.source.safetyLagSeconds);
    await registerWebhooks(simulator, publicUrl);
    const cursors = JSON.stringify([...task.offsets()].filter(([partition]) => !partition.startsWith('webhooks/')));

    simulator.admin.mutate({
      newBookings: 3,
      editBookings: 3,
      cancelBookings: 1,
      newCustomers: 1,
      editCustomers: 2,
      deleteCustomers: 1,
    });
    await allDelivered(simulator);
    assert.equal(
      JSON.stringify([...task.offsets()].filter(([partition]) => !partition.startsWith('webhooks/'))),
      cursors,
      'no poll ran: only the webhook memory moved',
    );
    const ends = await withAdmin(createKafka(config.kafka, logger), (admin) => topicEnds(admin, app?.topics ?? []));
    await app.sinks[0]?.sink.runner.caughtUp(ends);

    const results = await reconcile({ config, destinationName: 'clickhouse', logger, graceSeconds: 0, now });
    const differences = results.flatMap((result) =>
      result.differences.map((difference) => ({ resource: result.resource, ...difference })),
    );
    assert.deepEqual(differences.slice(0, 10), [], 'reconcile finds no difference');
    assert.deepEqual(
      results.map((result) => result.resource).sort(),
      ['bookings', 'customers', 'customers_people', 'payments'],
      'every resource reconciled',
    );
  });
});
