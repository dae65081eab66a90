/**
 * `bookeo-connect dlq list|redrive`: shows a sink's dead letters and, after the cause is fixed,
 * sends them back to their original topics so the sink reads them again.
 *
 * Redrive appends the original key, value and headers to the original topic. Because the topic is
 * compacted and the row version is the offset, an old dead letter sent back AFTER a newer record of
 * the same key would win over it; redrive therefore skips a dead letter whose key has a later record
 * in the original partition (it reads those partitions first) unless `--include-superseded`.
 */
import type { Command } from 'commander';
import { loadConfig } from '../../common/config/load.js';
import { createLogger } from '../../common/logger.js';
import { originalHeaders, readDeadLetterHeaders, REDRIVEN_FROM_HEADER } from '../../contract/dead-letter-headers.js';
import { sinkDeadLetterTopic } from '../../contract/dead-letter-topics.js';
import { createKafka, type KafkaClient } from '../../kafka/client.js';
import { createProducer } from '../../kafka/producer.js';
import type { ConsumedRecord } from '../../kafka/records.js';
import { readTopicToEnd } from '../../kafka/topic-reader.js';
import { readerGroupId } from '../../contract/group-id.js';

export interface DeadLetterEntry {
  readonly dlqPartition: number;
  readonly dlqOffset: number;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly schemaId: string | null;
  readonly stage: string;
  readonly errorClass: string;
  readonly errorMessage: string;
  readonly failedAt: string;
  readonly message: ConsumedRecord;
}

/** A dead letter as listed; it reads the names the source used before the one vocabulary too. */
export function toEntry(message: ConsumedRecord, dlqPartition: number): DeadLetterEntry {
  const h = readDeadLetterHeaders(message.headers);
  return {
    dlqPartition,
    dlqOffset: Number(message.offset),
    topic: h.topic ?? '?',
    partition: Number(h.partition ?? -1),
    offset: Number(h.offset ?? -1),
    schemaId: h.schemaId ?? null,
    stage: h.stage ?? '?',
    errorClass: h.errorClass ?? '?',
    errorMessage: h.errorMessage ?? '',
    failedAt: h.failedAt ?? '',
    message,
  };
}

export interface DeadLetterFilter {
  readonly topic?: string;
  /** `<dlqPartition>:<dlqOffset>` identifiers as `dlq list` prints them. */
  readonly ids?: readonly string[];
}

export async function readDeadLetters(
  kafka: KafkaClient,
  dlqTopic: string,
  filter: DeadLetterFilter = {},
): Promise<DeadLetterEntry[]> {
  const entries: DeadLetterEntry[] = [];
  const ids = filter.ids === undefined ? undefined : new Set(filter.ids);
  await readTopicToEnd(kafka, {
    groupId: readerGroupId(),
    topic: dlqTopic,
    onMessage: (message, partition) => {
      const entry = toEntry(message, partition);
      if (filter.topic !== undefined && entry.topic !== filter.topic) return;
      if (ids !== undefined && !ids.has(`${partition}:${entry.dlqOffset}`)) return;
      entries.push(entry);
    },
  });
  return entries.sort((a, b) => a.dlqPartition - b.dlqPartition || a.dlqOffset - b.dlqOffset);
}

/** Dead letters whose key has a later record in its original partition (a redrive would roll that key back). */
export async function supersededEntries(
  kafka: KafkaClient,
  entries: readonly DeadLetterEntry[],
): Promise<Set<DeadLetterEntry>> {
  const superseded = new Set<DeadLetterEntry>();
  for (const topic of new Set(entries.map((entry) => entry.topic))) {
    const latest = new Map<string, number>();
    await readTopicToEnd(kafka, {
      groupId: readerGroupId(),
      topic,
      onMessage: (message, partition) => {
        if (message.key !== null) latest.set(`${partition}|${message.key.toString('base64')}`, Number(message.offset));
      },
    });
    for (const entry of entries) {
      if (entry.topic !== topic || entry.message.key === null) continue;
      const newest = latest.get(`${entry.partition}|${entry.message.key.toString('base64')}`);
      if (newest !== undefined && newest > entry.offset) superseded.add(entry);
    }
  }
  return superseded;
}

/** Sends the dead letters back to their original topics; resolves with how many were sent. */
export async function redrive(
  kafka: KafkaClient,
  dlqTopic: string,
  entries: readonly DeadLetterEntry[],
): Promise<number> {
  if (entries.length === 0) return 0;
  const producer = await createProducer(kafka);
  try {
    for (const entry of entries) {
      await producer.send({
        topic: entry.topic,
        // Same partition as before: every state of a key stays in one partition, in order.
        partition: entry.partition,
        key: entry.message.key,
        value: entry.message.value,
        headers: {
          ...originalHeaders(entry.message.headers),
          [REDRIVEN_FROM_HEADER]: `${dlqTopic}:${entry.dlqPartition}:${entry.dlqOffset}`,
        },
      });
    }
  } finally {
    await producer.close();
  }
  return entries.length;
}

interface DlqOptions {
  readonly config?: string;
  readonly destination: string;
  readonly topic?: string;
}

function setup(options: DlqOptions): { kafka: KafkaClient; dlqTopic: string } {
  const config = loadConfig({ file: options.config });
  const logger = createLogger({ level: config.log.level, format: config.log.format }).child({ component: 'dlq' });
  return {
    kafka: createKafka(config.kafka, logger, 'dlq'),
    dlqTopic: sinkDeadLetterTopic(config.sink.deadLetterTopic, options.destination),
  };
}

export function registerDlqCommand(program: Command): void {
  const dlq = program.command('dlq').description("Show a sink's dead-letter records and send them back after a fix");
  const common = (command: Command): Command =>
    command
      .requiredOption(
        '-d, --destination <name>',
        'the sink whose dead-letter topic to read (default topic bookeo-connect.dlq.sink-<destination>)',
      )
      .option('-t, --topic <topic>', 'only dead letters from this original topic')
      .option('-c, --config <file>', 'configuration file (JSON or YAML)');

  common(
    dlq.command('list').description('Print one JSON line per dead letter: id, origin, schema id, stage, error'),
  ).action(async (options: DlqOptions) => {
    const { kafka, dlqTopic } = setup(options);
    for (const entry of await readDeadLetters(
      kafka,
      dlqTopic,
      options.topic === undefined ? {} : { topic: options.topic },
    )) {
      process.stdout.write(
        `${JSON.stringify({ id: `${entry.dlqPartition}:${entry.dlqOffset}`, ...entry, message: undefined })}\n`,
      );
    }
  });

  common(
    dlq
      .command('redrive')
      .description('Send dead letters back to their original topic and partition (all, or --id ones)'),
  )
    .option('--id <ids...>', 'only these dead letters (<partition>:<offset> as `dlq list` prints)')
    .option('--include-superseded', 'also send dead letters whose key has a newer record (rolls that key back)')
    .option('--dry-run', 'print what would be sent, send nothing')
    .action(async (options: DlqOptions & { id?: string[]; includeSuperseded?: boolean; dryRun?: boolean }) => {
      const { kafka, dlqTopic } = setup(options);
      const entries = await readDeadLetters(kafka, dlqTopic, {
        ...(options.topic === undefined ? {} : { topic: options.topic }),
        ...(options.id === undefined ? {} : { ids: options.id }),
      });
      const skipped =
        options.includeSuperseded === true ? new Set<DeadLetterEntry>() : await supersededEntries(kafka, entries);
      const chosen = entries.filter((entry) => !skipped.has(entry));
      for (const entry of skipped)
        process.stdout.write(
          `skip ${entry.dlqPartition}:${entry.dlqOffset} (${entry.topic}/${entry.partition}@${entry.offset}): its key has a newer record\n`,
        );
      const sent = options.dryRun === true ? 0 : await redrive(kafka, dlqTopic, chosen);
      process.stdout.write(
        `${options.dryRun === true ? `would send ${chosen.length}` : `sent ${sent}`} dead letter(s) back from ${dlqTopic}\n`,
      );
    });
}
