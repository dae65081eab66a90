/**
 * Assembles one sink from its parts: the dead-letter topic and reporter, the batch writer and the
 * runner. Clients (Kafka, registry, destination) are created by the caller and passed in, so the
 * command and the integration tests wire the same thing.
 */
import type { AppConfig } from '../../common/config/schema.js';
import type { Logger } from '../../common/logger.js';
import { createRetry, DEFAULT_RETRY_POLICY, type Retrier } from '../../common/retry.js';
import { tableOfTopic } from '../../contract/topics.js';
import { withAdmin } from '../../kafka/admin.js';
import type { KafkaClient } from '../../kafka/client.js';
import { topicSpec } from '../../kafka/topic-configs.js';
import { ensureTopics } from '../../kafka/topics.js';
import type { Destination } from '../destination.js';
import { sinkDeadLetterTopic } from '../../contract/dead-letter-topics.js';
import { legacyDefaultGroupId, sinkGroupId } from '../../contract/group-id.js';
import { createDeadLetterReporter, type DeadLetterReporter } from '../dlq/dead-letter.js';
import type { Batch } from './batcher.js';
import { createBatchWriter } from './batch-writer.js';
import type { RecordDecoder, SinkEntry } from './decode.js';
import type { SinkMetrics } from './metrics.js';
import { maxNewFieldsFor } from './drift-policy.js';
import { adoptGroupOffsets, assertSameSubscription, groupHasMembers } from './group-admin.js';
import { startSinkRunner, type SinkRunner } from './runner.js';

export interface SinkOptions {
  readonly kafka: KafkaClient;
  readonly kafkaConfig: Pick<AppConfig['kafka'], 'partitions' | 'replicationFactor' | 'topicConfigs'>;
  readonly sinkConfig: AppConfig['sink'];
  readonly destination: Destination;
  readonly destinationName: string;
  readonly decoder: RecordDecoder;
  readonly topics: readonly string[];
  /** Tables are named after the topics under this prefix (contract/topics.ts). */
  readonly topicPrefix: string;
  readonly metrics: SinkMetrics;
  readonly logger: Logger;
  /** Destination write retries; defaults to the shared policy. Tests pass short delays. */
  readonly retry?: Retrier;
  /** A rebuild writes into its own table instead of the resource's. */
  readonly tableOf?: (topic: string) => string;
  /** Overrides the configured/derived group (a rebuild uses a throw-away group). */
  readonly groupId?: string;
  readonly afterWrite?: (batch: Batch<SinkEntry>) => void;
}

export interface Sink {
  readonly runner: SinkRunner;
  readonly groupId: string;
  readonly deadLetterTopic: string;
  /** Graceful: flush, write, commit, leave the group, close the DLQ producer. */
  stop(): Promise<void>;
}

export async function startSink(options: SinkOptions): Promise<Sink> {
  const { sinkConfig } = options;
  const defaultGroup = sinkGroupId(undefined, options.topicPrefix, options.destinationName);
  const groupId = options.groupId ?? sinkGroupId(sinkConfig.groupId, options.topicPrefix, options.destinationName);
  const deadLetterTopic = sinkDeadLetterTopic(sinkConfig.deadLetterTopic, options.destinationName);
  const retry = options.retry ?? createRetry(DEFAULT_RETRY_POLICY);

  await withAdmin(options.kafka, async (admin) => {
    await ensureTopics(admin, [topicSpec(options.kafkaConfig, deadLetterTopic, 'deadLetter')], options.logger);
    await assertSameSubscription(admin, groupId, options.topics);
    if (groupId === defaultGroup) {
      const legacyGroup = legacyDefaultGroupId(options.destinationName);
      const adopted = await adoptGroupOffsets(admin, legacyGroup, groupId, options.topics).catch(
        async (error: unknown) => {
          // Another instance of this sink joined first and adopted them (a group with members refuses offsets).
          if (await groupHasMembers(admin, groupId)) return [];
          throw error;
        },
      );
      if (adopted.length > 0)
        options.logger.info(
          { groupId, from: legacyGroup, topics: adopted },
          'continuing from the offsets of the previous default group (the group id now includes the topic prefix)',
        );
    }
  });

  const deadLetters: DeadLetterReporter = await createDeadLetterReporter(options.kafka, deadLetterTopic);
  let runner: SinkRunner | undefined;
  const writer = createBatchWriter({
    destination: options.destination,
    destinationName: options.destinationName,
    decoder: options.decoder,
    deadLetters,
    retry,
    tableOf: options.tableOf ?? ((topic) => tableOfTopic(topic, options.topicPrefix)),
    metrics: options.metrics,
    logger: options.logger.child({ component: 'sink-writer' }),
    onDestinationState: (state) => runner?.destinationState(state),
    deadLetterAlarm: sinkConfig.deadLetterAlarm,
    maxNewFieldsOf: (topic) => maxNewFieldsFor(sinkConfig.drift, tableOfTopic(topic, options.topicPrefix)),
  });
  try {
    runner = await startSinkRunner({
      kafka: options.kafka,
      groupId,
      topics: options.topics,
      limits: sinkConfig.batch,
      concurrency: sinkConfig.concurrency,
      decoder: options.decoder,
      decodeRetry: retry,
      writer,
      metrics: options.metrics,
      logger: options.logger,
      kafkaOutageTimeoutMs: sinkConfig.kafkaOutageTimeoutSeconds * 1000,
      ...(options.afterWrite ? { afterWrite: options.afterWrite } : {}),
    });
  } catch (error) {
    await deadLetters.close();
    throw error;
  }
  const started = runner;
  void started.done.catch(() => deadLetters.close().catch(() => undefined));
  return {
    runner: started,
    groupId,
    deadLetterTopic,
    async stop() {
      try {
        await started.stop(sinkConfig.shutdownTimeoutMs);
      } finally {
        await deadLetters.close().catch(() => undefined);
      }
    },
  };
}
