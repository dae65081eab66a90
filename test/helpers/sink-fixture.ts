/**
 * Shared pieces of the sink's fault tests: resource topics of a small Avro "item" record (subjects
 * registered, records produced in Kafka transactions), what the group committed and what a table
 * holds, and the CLI as a child process (with its output and exit).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import avsc from 'avsc';
import type { ClickHouseClient } from '@clickhouse/client';
import type { KafkaAdmin } from '../../kafka/admin.js';
import type { KafkaClient } from '../../kafka/client.js';
import { ensureSubjects, type SchemaRegistry } from '../../avro/registry.js';
import type { AvroRecord } from '../../avro/schema-json.js';
import { createFramedEncoder } from '../../avro/wire.js';
import { ensureTopics } from '../../kafka/topics.js';
import { createTransactionalWriter } from '../../kafka/transactional-writer.js';
import { createClickHouseDestination } from '../../sinks/clickhouse/destination.js';
import type { Destination } from '../../sinks/destination.js';
import { groupHasMembers, topicEnds } from '../../sinks/runner/group-admin.js';
import { stackEndpoints } from '../../deploy/stack/endpoints.js';
import type { Logger } from '../../common/logger.js';
import { uniqueName, waitFor } from '../../testkit/wait-for.js';

/** The key every resource topic shares, and a small value schema: the items the sink tests write. */
export const itemKeySchema = JSON.parse(
  readFileSync(new URL('../../avro/schemas/key.avsc', import.meta.url), 'utf8'),
) as AvroRecord;
export const itemValueSchema: AvroRecord = {
  type: 'record',
  name: 'Item',
  namespace: 'com.bookeo.connect.test',
  fields: [
    { name: 'name', type: 'string' },
    { name: 'amount', type: 'long' },
  ],
};
const keyType = avsc.Type.forSchema(itemKeySchema as avsc.Schema);
const valueType = avsc.Type.forSchema(itemValueSchema as avsc.Schema);

export interface ItemTopics {
  /** Creates `<topic>` (2 partitions, compacted) and registers its subjects. */
  create(topic: string): Promise<void>;
  /** Items `<first>..<first+count-1>`, each as one record, in transactions of ten. */
  produce(topic: string, first: number, count: number): Promise<void>;
  /** Subjects of every topic created (the caller deletes the topics with its prefix). */
  readonly subjects: readonly string[];
}

export function itemTopics(kafka: KafkaClient, admin: KafkaAdmin, registry: SchemaRegistry): ItemTopics {
  const encoder = createFramedEncoder();
  const ids = new Map<string, { key: number; value: number }>();
  const subjects: string[] = [];
  return {
    subjects,
    async create(topic) {
      await ensureTopics(admin, [{ topic, partitions: 2, replicationFactor: 1, compacted: true }]);
      const registered = await ensureSubjects(registry, topic, itemKeySchema, itemValueSchema);
      subjects.push(`${topic}-key`, `${topic}-value`);
      ids.set(topic, { key: registered.key.id, value: registered.value.id });
    },
    async produce(topic, first, count) {
      const schemaIds = ids.get(topic);
      if (schemaIds === undefined) throw new Error(`create ${topic} first`);
      const records = Array.from({ length: count }, (_, index) => {
        const id = `item-${first + index}`;
        return {
          topic,
          key: encoder.encode(schemaIds.key, keyType, { account: 'acme', id }),
          value: encoder.encode(schemaIds.value, valueType, { name: id, amount: first + index }),
        };
      });
      const writer = await createTransactionalWriter(kafka, uniqueName('sink-fixture-producer'));
      try {
        for (let start = 0; start < records.length; start += 10) await writer.commit(records.slice(start, start + 10));
      } finally {
        await writer.close();
      }
    },
  };
}

/** Live rows of a table (FINAL); 0 while the table does not exist yet. */
export async function liveRows(clickhouse: ClickHouseClient, database: string, table: string): Promise<number> {
  try {
    const result = await clickhouse.query({
      query: `SELECT count() AS n FROM \`${database}\`.\`${table}\` FINAL`,
      format: 'JSONEachRow',
    });
    return Number((await result.json<{ n: string }>())[0]?.n ?? 0);
  } catch {
    return 0;
  }
}

/** Whether the group committed every partition of the topic to its end (a trailing transaction marker aside). */
export async function committedToEnd(admin: KafkaAdmin, groupId: string, topic: string): Promise<boolean> {
  const ends = await topicEnds(admin, [topic]);
  const offsets = await admin.groupOffsets(groupId, topic);
  return [...ends].every(([key, end]) => {
    const partition = Number(key.split('/').pop());
    return (offsets.find((p) => p.partition === partition)?.offset ?? -1) >= end - 1;
  });
}

export interface CliRun {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exit: Promise<number | null>;
}

const CLI = join(import.meta.dirname, '..', '..', 'cli', 'main.ts');

/** `bookeo-connect <args>` as a child process; kill it by its PID in `after` if it is still running. */
export function spawnCli(args: readonly string[]): CliRun {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exit };
}

/**
 * Ends a child still running (a test that failed half-way) and waits until its consumer group has
 * no member left: a killed member stays in the group until its session times out, and a group with
 * members cannot be deleted.
 */
export async function killChild(run: CliRun, admin: KafkaAdmin, groupId: string): Promise<void> {
  if (run.child.exitCode !== null || run.child.signalCode !== null) return;
  run.child.kill('SIGKILL');
  await run.exit;
  await waitFor(async () => !(await groupHasMembers(admin, groupId)), {
    what: `group ${groupId} to lose its killed member`,
    timeoutMs: 90_000,
    intervalMs: 1_000,
  });
}

/** The child's exit code, or a failure when it has not exited within `timeoutMs`. */
export async function exitWithin(run: CliRun, timeoutMs: number): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the process did not exit within ${timeoutMs} ms; output:\n${run.output()}`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([run.exit, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** What /readyz answers: its status and reason (undefined when ready). */
export async function readiness(baseUrl: string): Promise<{ status: number; reason?: string }> {
  const response = await fetch(`${baseUrl}/readyz`);
  const body = (await response.json()) as { reason?: string };
  return { status: response.status, ...(body.reason === undefined ? {} : { reason: body.reason }) };
}

/** A ClickHouse destination on the stack's engine, writing into `database` (created on first prepare). */
export function stackClickHouseDestination(database: string, logger: Logger): Destination {
  return createClickHouseDestination({
    connection: {
      url: stackEndpoints().clickhouseUrl,
      username: 'default',
      password: '',
      database,
      requestTimeoutMs: 5_000,
    },
    mode: 'evolve',
    logger,
  });
}
