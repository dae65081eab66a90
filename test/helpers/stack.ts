/**
 * What integration tests need from the local stack (`npm run stack -- up`, or `npm test` which
 * starts it): a loud failure when it is not there, client factories pointed at `stackEndpoints()`,
 * and cleanup for what a test created. Tests create uniquely named topics, subjects and tables
 * (`uniqueName` in wait-for.ts) and remove them in `after`.
 *
 *   before(async () => { await requireStack(); admin = await stackAdmin(); });
 *   after(async () => { await deleteTopics(admin, [topic]); await admin.close(); });
 */
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { openAdmin, type KafkaAdmin } from '../../kafka/admin.js';
import { stackEndpoints } from '../../deploy/stack/endpoints.js';
import { serviceStatus, SERVICE_NAMES } from '../../deploy/stack/stack.js';
import { stackKafka } from '../../testkit/stack-kafka.js';
import { waitFor } from '../../testkit/wait-for.js';

/** Throws, naming each service that is not healthy and how to start it. Call once in `before`. */
export async function requireStack(): Promise<void> {
  const statuses = await Promise.all(SERVICE_NAMES.map((name) => serviceStatus(name)));
  const down = statuses.filter((status) => status.state !== 'healthy');
  if (down.length > 0) {
    const lines = down.map(
      (status) => `  ${status.name}: ${status.state}${status.detail === undefined ? '' : ` (${status.detail})`}`,
    );
    throw new Error(
      `the local stack is not up:\n${lines.join('\n')}\nstart it with \`npm run stack -- up\` (npm test does this itself)`,
    );
  }
}

/** A connected admin client (close it in `after`). */
export function stackAdmin(clientId?: string): Promise<KafkaAdmin> {
  return openAdmin(stackKafka(clientId));
}

export function stackRegistry(): SchemaRegistry {
  return new SchemaRegistry({ host: stackEndpoints().registryUrl });
}

/** A ClickHouse client over HTTP; close it in `after`. */
export function stackClickHouse(database?: string): ClickHouseClient {
  // OFF: the client logs each failed query at ERROR and also throws it; tests that expect errors would be noisy.
  return createClient({
    url: stackEndpoints().clickhouseUrl,
    log: { level: ClickHouseLogLevel.OFF },
    ...(database === undefined ? {} : { database }),
  });
}

/** Deletes topics (missing ones are fine) and waits until the broker no longer lists them. */
export async function deleteTopics(admin: KafkaAdmin, topics: readonly string[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const present = topics.filter((topic) => existing.has(topic));
  if (present.length === 0) return;
  await admin.deleteTopics(present, { timeoutMs: 30_000 });
  await waitFor(async () => !(await admin.listTopics()).some((topic) => present.includes(topic)), {
    what: `topics ${present.join(', ')} deleted`,
    timeoutMs: 30_000,
  });
}

/**
 * Deletes subjects through the Confluent-compatible API: a soft delete, then `?permanent=true`
 * (the registry refuses a permanent delete of a subject that was not soft-deleted first). A
 * subject that does not exist is fine.
 */
export async function deleteSubjects(subjects: readonly string[]): Promise<void> {
  const base = stackEndpoints().registryUrl;
  for (const subject of subjects) {
    for (const suffix of ['', '?permanent=true']) {
      const response = await fetch(`${base}/subjects/${encodeURIComponent(subject)}${suffix}`, { method: 'DELETE' });
      await response.arrayBuffer();
      if (!response.ok && response.status !== 404)
        throw new Error(`DELETE subject ${subject}${suffix} answered ${response.status}`);
    }
  }
}

/** Drops tables (names may be `db.table`); missing ones are fine. */
export async function dropTables(client: ClickHouseClient, tables: readonly string[]): Promise<void> {
  for (const table of tables) await client.command({ query: `DROP TABLE IF EXISTS ${table}` });
}
