/**
 * What the Kafka client alone costs on this machine, measured in the same run as the source and
 * the sinks, on the very records they move: the limit kafkajs (the design card's client) puts
 * under any pipeline built on it here.
 *
 * - Write floor: the bookings records the source published (same keys, values and four headers)
 *   written again through the source's own transactional writer, in transactions of the source's
 *   default size, into a scratch topic; nothing else happens (no Bookeo, no JSON, no Avro).
 * - Read floor: the topic reader (kafka/topic-reader.ts: a read_committed consumer group) reading
 *   a topic from the beginning to its end, only counting; no decoding, no destination.
 *
 * Both run in this process, so their CPU per record is this process's CPU time over the records.
 */
import { sourceSchema } from '../common/config/schema.js';
import { withAdmin } from '../kafka/admin.js';
import type { KafkaClient } from '../kafka/client.js';
import type { OutgoingRecord } from '../kafka/records.js';
import { readTopicToEnd } from '../kafka/topic-reader.js';
import { readerGroupId } from '../contract/group-id.js';
import { createTransactionalWriter } from '../kafka/transactional-writer.js';

export interface KafkaFloor {
  readonly records: number;
  readonly recordsPerSecond: number;
  readonly cpuMicrosPerRecord: number;
}

async function measured(records: number, run: () => Promise<void>): Promise<KafkaFloor> {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await run();
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    records,
    recordsPerSecond: Math.round(records / seconds),
    cpuMicrosPerRecord: Math.round((cpu.user + cpu.system) / Math.max(1, records)),
  };
}

/** Rewrites `topic`'s records into `scratchTopic` (created by the first write) through the transactional writer. */
export async function kafkaWriteFloor(kafka: KafkaClient, topic: string, scratchTopic: string): Promise<KafkaFloor> {
  const records: OutgoingRecord[] = [];
  await readTopicToEnd(kafka, {
    groupId: readerGroupId(),
    topic,
    onMessage: (message) => {
      if (message.key === null) return;
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(message.headers ?? {}))
        if (value !== undefined) headers[name] = value.toString();
      records.push({ topic: scratchTopic, key: message.key, value: message.value, headers });
    },
  });
  await withAdmin(kafka, (admin) =>
    admin.createTopics([{ topic: scratchTopic, partitions: 3, replicationFactor: 1, compacted: false }]),
  );
  const writer = await createTransactionalWriter(kafka, `${scratchTopic}-writer`);
  const perTransaction = sourceSchema.parse({}).maxRecordsPerTransaction;
  try {
    return await measured(records.length, async () => {
      for (let start = 0; start < records.length; start += perTransaction)
        await writer.commit(records.slice(start, start + perTransaction));
    });
  } finally {
    await writer.close();
  }
}

/** Reads `topic` from the beginning to its end, which holds `expectedRecords`, through the topic reader. */
export async function kafkaReadFloor(kafka: KafkaClient, topic: string, expectedRecords: number): Promise<KafkaFloor> {
  let read = 0;
  let reachedAll!: () => void;
  const all = new Promise<void>((resolve) => (reachedAll = resolve));
  // Timed from the first record, as the sink is timed from its first write: group join excluded.
  let first: Promise<KafkaFloor> | undefined;
  await readTopicToEnd(kafka, {
    groupId: readerGroupId(),
    topic,
    onMessage: () => {
      first ??= measured(expectedRecords, () => all);
      if (++read >= expectedRecords) reachedAll();
    },
  });
  if (first === undefined || read < expectedRecords)
    throw new Error(`the read floor found ${read} records in ${topic}, expected ${expectedRecords}`);
  return first;
}
