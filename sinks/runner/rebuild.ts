/**
 * `sink rebuild <resource>`: replays one resource topic from its first offset into a fresh table
 * next to the live one and swaps it in atomically (Destination.startRebuild → Rebuild.commit).
 *
 * The live sink's group must be stopped (checked before and again before the swap): the rebuild
 * reads with a throw-away group up to the topic's end as of the start, and after the swap that
 * group's positions become the live group's, so the live sink resumes exactly where the rebuilt
 * table ends. A failure drops the fresh table; the live table and group are untouched.
 */
import type { AppConfig } from '../../common/config/schema.js';
import type { Logger } from '../../common/logger.js';
import { rebuildGroupId, sinkGroupId } from '../../contract/group-id.js';
import { resourceTopic, tableOfTopic } from '../../contract/topics.js';
import { openAdmin } from '../../kafka/admin.js';
import type { KafkaClient } from '../../kafka/client.js';
import { describeTable } from './avro-table.js';
import { maxNewFieldsFor } from './drift-policy.js';
import type { Destination } from '../destination.js';
import type { RecordDecoder } from './decode.js';
import { assertGroupStopped, copyGroupOffsets, resetGroup, topicEnds } from './group-admin.js';
import type { SinkMetrics } from './metrics.js';
import { startSink } from './sink.js';

export interface RebuildOptions {
  readonly kafka: KafkaClient;
  readonly config: AppConfig;
  readonly destination: Destination;
  readonly destinationName: string;
  readonly decoder: RecordDecoder;
  readonly resource: string;
  readonly metrics: SinkMetrics;
  readonly logger: Logger;
}

export async function rebuildResource(options: RebuildOptions): Promise<{ table: string; groupId: string }> {
  const { config, kafka, resource } = options;
  const topic = resourceTopic(config.kafka.topicPrefix, resource);
  const table = tableOfTopic(topic, config.kafka.topicPrefix);
  const liveGroup = sinkGroupId(config.sink.groupId, config.kafka.topicPrefix, options.destinationName);
  const rebuildGroup = rebuildGroupId(liveGroup, resource, Date.now());
  const logger = options.logger.child({ component: 'sink-rebuild', topic });
  const admin = await openAdmin(kafka);
  try {
    await assertGroupStopped(admin, liveGroup);
    const ends = await topicEnds(admin, [topic]);
    const schemas = await options.decoder.latestSchemas(topic);
    const rebuild = await options.destination.startRebuild(
      describeTable(table, schemas.key.schema, schemas.value.schema, maxNewFieldsFor(config.sink.drift, table)),
    );
    logger.info({ table: rebuild.table.name, ends: Object.fromEntries(ends) }, 'rebuilding into a fresh table');
    try {
      // Offsets set explicitly to the earliest, so the throw-away group never depends on a default.
      await resetGroup(admin, rebuildGroup, [topic], { kind: 'earliest' });
      const sink = await startSink({
        kafka,
        kafkaConfig: config.kafka,
        sinkConfig: config.sink,
        destination: options.destination,
        destinationName: options.destinationName,
        decoder: options.decoder,
        topics: [topic],
        topicPrefix: config.kafka.topicPrefix,
        metrics: options.metrics,
        logger,
        groupId: rebuildGroup,
        tableOf: () => rebuild.table.name,
      });
      try {
        await Promise.race([sink.runner.caughtUp(ends), sink.runner.done]);
      } finally {
        await sink.stop();
      }
      await assertGroupStopped(admin, liveGroup);
      await rebuild.commit();
      await copyGroupOffsets(admin, rebuildGroup, liveGroup, topic);
      logger.info(
        { table, groupId: liveGroup },
        'rebuilt table swapped in; the live group continues from the rebuild position',
      );
      return { table, groupId: liveGroup };
    } catch (error) {
      await rebuild
        .abort()
        .catch((abortError: unknown) => logger.error({ err: abortError }, 'could not drop the rebuild table'));
      throw error;
    } finally {
      await admin
        .deleteGroups([rebuildGroup])
        .catch((error: unknown) =>
          logger.warn(
            { err: error, groupId: rebuildGroup },
            'could not delete the rebuild group; delete it with kafka-consumer-groups --delete',
          ),
        );
    }
  } finally {
    await admin.close();
  }
}
