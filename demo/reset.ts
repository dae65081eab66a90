/**
 * The demo owns the `demo` namespace (topics `demo.*`, their subjects, the sink's group and the
 * `demo` ClickHouse database) and starts each run from scratch: a second run then shows the same
 * backfill as the first, not a mix of two simulated accounts. Nothing outside it is touched.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { SchemaRegistry } from '../avro/registry.js';
import { isUnderPrefix } from '../contract/topics.js';
import { withAdmin } from '../kafka/admin.js';
import type { KafkaClient } from '../kafka/client.js';

export async function resetDemoNamespace(
  kafka: KafkaClient,
  registry: SchemaRegistry,
  clickhouse: ClickHouseClient,
  options: { prefix: string; groupId: string; database: string },
): Promise<void> {
  await withAdmin(kafka, async (admin) => {
    const topics = (await admin.listTopics()).filter((topic) => isUnderPrefix(topic, options.prefix));
    if (topics.length > 0) await admin.deleteTopics(topics);
    await admin.deleteGroups([options.groupId]).catch(() => undefined); // absent on a first run
    for (const topic of topics) {
      for (const subject of [`${topic}-key`, `${topic}-value`]) {
        // Soft, then permanent: the registry forgets a subject only in that order.
        await registry.deleteSubject(subject).catch(() => undefined);
        await registry.deleteSubject(subject, true).catch(() => undefined);
      }
    }
  });
  await clickhouse.command({ query: `DROP DATABASE IF EXISTS \`${options.database}\`` });
}
