/**
 * Shared pieces of the source's integration tests: a config pointing at the stack and a
 * simulator with unique topics, a reader that gathers a topic's committed records by key, and the
 * simulator's ground truth keyed the way the connector keys it.
 */
import { Writable } from 'node:stream';
import type { KafkaClient } from '../../kafka/client.js';
import { validateConfig } from '../../common/config/load.js';
import type { AppConfig } from '../../common/config/schema.js';
import { createLogger, type Logger } from '../../common/logger.js';
import { contentHash } from '../../connector/source/snapshot-diff.js';
import { entityId } from '../../bookeo/catalog/entity.js';
import { resourceByName } from '../../bookeo/catalog/catalog.js';
import type { ResourceName } from '../../contract/resources.js';
import { readTopicToEnd } from '../../kafka/topic-reader.js';
import { readerGroupId } from '../../contract/group-id.js';
import { RECORD_HEADER } from '../../contract/headers.js';
import { parseIdempotencyKey } from '../../contract/idempotency-key.js';
import { stackEndpoints } from '../../deploy/stack/endpoints.js';
import type { RunningSimulator } from '../../simulator/index.js';
import { uniqueName } from '../../testkit/wait-for.js';

export const TEST_SECRET_KEY = 'sk-test-SECRET-7f3a9c1e';
export const TEST_API_KEY = 'ak-test-APIKEY-19c2b44d';

export function sourceTestConfig(
  simulator: RunningSimulator,
  overrides: { apiKey?: string; prefix?: string; bearerToken?: string } = {},
): AppConfig {
  const prefix = overrides.prefix ?? uniqueName('src');
  return validateConfig({
    log: { level: 'info', format: 'json' },
    bookeo: {
      baseUrl: simulator.url,
      secretKey: simulator.secretKey,
      accounts: [{ id: 'acme', apiKey: overrides.apiKey ?? simulator.apiKeys[0] }],
      requestsPerSecond: 200,
      maxConcurrency: 4,
      retries: 6,
    },
    kafka: { brokers: [stackEndpoints().kafkaBroker], topicPrefix: prefix, partitions: 2, clientId: prefix },
    schemaRegistry: { url: stackEndpoints().registryUrl },
    http: { port: 0, ...(overrides.bearerToken === undefined ? {} : { bearerToken: overrides.bearerToken }) },
    source: {
      backfillFrom: '2025-01-01',
      safetyLagSeconds: 60,
      lookbackSeconds: 300,
      snapshotIntervalSeconds: 60,
      sweepIntervalSeconds: 60,
      offsetsTopic: `${prefix}.offsets`,
      deadLetterTopic: `${prefix}.dlq`,
    },
  });
}

/** A logger whose JSON lines are kept, to assert on (and to prove no secret is ever written). */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString()), done()),
  });
  return { logger: createLogger({ level: 'debug', format: 'json', destination }), lines };
}

export interface TopicView {
  /** Latest content hash per id (null after a tombstone). */
  readonly latest: Map<string, string | null>;
  readonly records: number;
  /** Idempotency keys seen more than once: the same version published twice. */
  readonly repeated: string[];
  readonly tombstones: number;
}

export async function viewTopic(kafka: KafkaClient, topic: string, account = 'acme'): Promise<TopicView> {
  const latest = new Map<string, string | null>();
  const keys = new Map<string, number>();
  let records = 0;
  let tombstones = 0;
  await readTopicToEnd(kafka, {
    groupId: readerGroupId(),
    topic,
    onMessage: (message) => {
      const key = message.headers?.[RECORD_HEADER.idempotencyKey]?.toString();
      const entity = parseIdempotencyKey(key);
      if (entity === undefined || entity.account !== account) return;
      records++;
      if (message.value === null) tombstones++;
      latest.set(entity.id, message.value === null ? null : entity.version);
      keys.set(key as string, (keys.get(key as string) ?? 0) + 1);
    },
  });
  return { latest, records, tombstones, repeated: [...keys].filter(([, count]) => count > 1).map(([key]) => key) };
}

/** id → content hash of every entity the simulator holds now, as the connector would key and hash it. */
export async function truthOf(simulator: RunningSimulator, resource: ResourceName): Promise<Map<string, string>> {
  const row = resourceByName(resource);
  const truth = new Map<string, string>();
  const options = resource === 'bookings' ? { expandParticipants: true } : {};
  for await (const item of simulator.admin.groundTruth(resource, simulator.apiKeys[0], options)) {
    const { customerId, ...person } = item;
    // Linked people are hashed as Bookeo sends them; the connector adds customerId only for the key.
    truth.set(entityId(row, item), contentHash(resource === 'customers_people' ? { ...person, customerId } : item));
  }
  return truth;
}

export function liveEntries(view: TopicView): Map<string, string> {
  return new Map([...view.latest].filter((entry): entry is [string, string] => entry[1] !== null));
}
