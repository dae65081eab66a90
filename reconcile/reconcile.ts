/**
 * `reconcile` as a function: per resource and account, reads Bookeo now, the topic's latest state
 * and the destination table, and compares the three (compare.ts). Used by the command and by the
 * end-to-end test. Read-only everywhere: Bookeo is listed (within the rate budget), the topic read
 * by a throw-away group, the table queried.
 */
import type { AppConfig } from '../common/config/schema.js';
import type { Logger } from '../common/logger.js';
import { createBookeoClientFromConfig } from '../bookeo/client.js';
import { parseBackfillFrom, selectResources } from '../bookeo/catalog/index.js';
import { sinkGroupId } from '../contract/group-id.js';
import type { ResourceName } from '../contract/resources.js';
import { readLatestState, type LatestState } from '../contract/latest-state.js';
import { resourceTopic, tableOfTopic } from '../contract/topics.js';
import { openAdmin } from '../kafka/admin.js';
import { createKafka } from '../kafka/client.js';
import { destinationFactory } from '../sinks/runner/destinations.js';
import { readBookeoState, type ResourceState } from './bookeo-state.js';
import { compare, type Comparison } from './compare.js';

export interface ReconcileOptions {
  readonly config: AppConfig;
  readonly destinationName: string;
  readonly logger: Logger;
  /** Default: the source's resources (`source.resources`, else all). */
  readonly resources?: readonly string[];
  /** Entities changed at Bookeo within this many seconds are in flight, not differences. */
  readonly graceSeconds: number;
  /** Bookeo's clock in epoch ms (the simulator's in tests). */
  readonly now?: () => number;
  /** The sink's consumer group (default: `sink.groupId`, else the deployment's default group, contract/group-id.ts). */
  readonly groupId?: string;
}

export interface ResourceReconciliation extends Comparison {
  readonly resource: ResourceName;
  readonly account: string;
  readonly topicName: string;
  readonly table: number;
}

/** The key schema (avro/schemas/key.avsc) every resource topic shares; tables carry it as columns. */
const KEY_COLUMNS = ['account', 'id'] as const;

export async function reconcile(options: ReconcileOptions): Promise<ResourceReconciliation[]> {
  const { config, logger } = options;
  const nowMs = (options.now ?? Date.now)();
  const rows = selectResources(options.resources ?? config.source.resources).filter(
    (row) => options.resources === undefined || options.resources.includes(row.name),
  );
  const accounts = config.bookeo.accounts.filter((account) => account.enabled);
  const kafka = createKafka(config.kafka, logger, 'reconcile');
  const destination = (await destinationFactory(options.destinationName))(config, logger);
  const client = createBookeoClientFromConfig(config.bookeo, logger);
  const admin = await openAdmin(kafka).catch(async (error: unknown) => {
    await Promise.all([destination.close(), client.close()]);
    throw error;
  });
  try {
    const bookeo = new Map<string, Map<ResourceName, ResourceState>>();
    const scope = { backfillFrom: parseBackfillFrom(config.source.backfillFrom), now: Math.floor(nowMs / 1000) };
    for (const account of accounts) {
      bookeo.set(
        account.id,
        await readBookeoState(
          client.forAccount(account),
          rows.map((row) => row.name),
          scope,
        ),
      );
    }
    const groupId =
      options.groupId ?? sinkGroupId(config.sink.groupId, config.kafka.topicPrefix, options.destinationName);
    const results: ResourceReconciliation[] = [];
    const existingTopics = new Set(await admin.listTopics());
    for (const row of rows) {
      const topicName = resourceTopic(config.kafka.topicPrefix, row.name);
      const exists = existingTopics.has(topicName);
      const topic: LatestState = exists
        ? await readLatestState(kafka, topicName)
        : { accounts: new Map(), unattributed: 0 };
      const committed = new Map(
        (exists ? await admin.groupOffsets(groupId, topicName) : []).map((p) => [p.partition, p.offset]),
      );
      const table = new Map<string, Map<string, number>>();
      for await (const live of destination.liveVersions(
        tableOfTopic(topicName, config.kafka.topicPrefix),
        KEY_COLUMNS,
      )) {
        const [account = '', id = ''] = live.key;
        let versions = table.get(account);
        if (versions === undefined) table.set(account, (versions = new Map()));
        versions.set(id, live.version);
      }
      if (topic.unattributed > 0)
        logger.warn(
          { topic: topicName, records: topic.unattributed },
          'records without bookeo.* headers were not compared',
        );
      for (const account of accounts) {
        const comparison = compare({
          bookeo: bookeo.get(account.id)?.get(row.name),
          topic: topic.accounts.get(account.id) ?? new Map(),
          table: table.get(account.id) ?? new Map(),
          committed,
          graceFrom: scope.now - options.graceSeconds,
        });
        results.push({ resource: row.name, account: account.id, topicName, ...comparison });
      }
    }
    return results;
  } finally {
    await admin.close();
    await destination.close();
    await client.close();
  }
}
