/**
 * Builds a running source from a validated configuration (the app builder, app/, serves its ops
 * API and reports `onStarting` in /readyz): topics (compacted resource topics, the
 * offsets topic, the dead-letter topic), one serializer per resource topic (subjects registered,
 * compatibility set), the published state of snapshot resources rebuilt from their topics, one
 * task per enabled account. Kafka and the registry unreachable at start are waited for, with
 * back-off, for `startup.timeoutSeconds` (common/startup.ts). With `webhooks.register`, the
 * accounts' webhooks are then registered and watched (webhooks/registration-watch.ts).
 * `stop()` ends everything in reverse.
 */
import type { AppConfig } from '../../common/config/schema.js';
import { ConfigError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { Registry } from '../../common/metrics.js';
import { waitForDependency } from '../../common/startup.js';
import { SchemaRegistryError } from '../../avro/errors.js';
import { createSchemaRegistry, type SchemaRegistry } from '../../avro/registry.js';
import { createTopicSerializer, type TopicSerializer } from '../../avro/topic-serializer.js';
import { resourceTopic } from '../../contract/topics.js';
import { withAdmin, type TopicSpec } from '../../kafka/admin.js';
import { createKafka, type KafkaClient } from '../../kafka/client.js';
import { topicSpec } from '../../kafka/topic-configs.js';
import { ensureTopics } from '../../kafka/topics.js';
import { createBookeoClientFromConfig, type BookeoClient } from '../../bookeo/client.js';
import { RESOURCE_CATALOG, type ResourceDefinition } from '../../bookeo/catalog/catalog.js';
import { bookeoConfigProblems } from '../../bookeo/config-problems.js';
import { createSourceMetrics } from './metrics.js';
import { createRecordFactory, type RecordFactory } from './record-factory.js';
import type { PublishedState } from './snapshot-state.js';
import { StatusBoard } from './status.js';
import { createSourceTask, type SourceTask } from './task.js';
import { startWebhookRegistration } from './webhooks/registration-watch.js';

export interface SourceRuntimeOptions {
  readonly config: AppConfig;
  readonly logger: Logger;
  readonly metrics: Registry;
  /** Bookeo's clock; Date.now in production, the simulator's virtual clock in tests. */
  readonly now?: () => number;
  /** Told what the start is doing or waiting for, then undefined once the source runs: feeds the app's /readyz. */
  readonly onStarting?: (reason: string | undefined) => void;
  /** Aborts the start, e.g. on SIGTERM while a dependency is awaited. */
  readonly signal?: AbortSignal;
}

export interface SourceRuntime {
  /** Every task, once started (the array the REST API reads). */
  readonly tasks: readonly SourceTask[];
  readonly status: StatusBoard;
  topicOf(resource: string): string;
  stop(): Promise<void>;
}

export async function startSourceRuntime(options: SourceRuntimeOptions): Promise<SourceRuntime> {
  const { config, logger } = options;
  const problems = bookeoConfigProblems(config);
  if (problems.length > 0) throw new ConfigError(problems);
  const now = options.now ?? Date.now;
  const definitions = RESOURCE_CATALOG.filter(
    (definition) => config.source.resources === undefined || config.source.resources.includes(definition.name),
  );
  const accounts = config.bookeo.accounts.filter((account) => account.enabled);
  const topicOf = (resource: string): string => resourceTopic(config.kafka.topicPrefix, resource);
  const status = new StatusBoard({ unhealthyAfterMs: config.source.unhealthyAfterSeconds * 1000 });
  const tasks: SourceTask[] = [];
  const reportStarting = (reason: string | undefined): void => options.onStarting?.(reason);

  const cleanups: Array<() => Promise<void>> = [];
  const stop = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse())
      await cleanup().catch((error: unknown) => logger.warn({ err: error }, 'error during shutdown'));
  };
  try {
    reportStarting('starting');
    /** A step that needs a dependency: retried with back-off until it is reachable or the start-up timeout ends. */
    const reach = <T>(dependency: string, step: string, attempt: () => Promise<T>): Promise<T> => {
      reportStarting(`starting: ${step}`);
      return waitForDependency(attempt, {
        dependency,
        timeoutMs: config.startup.timeoutSeconds * 1000,
        logger,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        onWaiting: (reason) => reportStarting(reason ?? `starting: ${step}`),
      });
    };

    const kafka: KafkaClient = createKafka(config.kafka, logger, 'source');
    await reach(`Kafka at ${config.kafka.brokers.join(',')}`, 'creating topics', () =>
      createTopics(kafka, config, definitions, topicOf, logger),
    );
    const registry: SchemaRegistry = createSchemaRegistry(config.schemaRegistry);
    cleanups.push(() => registry.close());
    const registered = await reach(`the schema registry at ${registry.url}`, 'registering schemas', async () => {
      try {
        return { serializers: await createSerializers(registry, config, definitions, topicOf, logger) };
      } catch (error) {
        // The registry answered and refused (an incompatible schema, another compatibility level): no wait changes that.
        if (error instanceof SchemaRegistryError && !error.retriable) return { refused: error };
        throw error;
      }
    });
    if ('refused' in registered) throw registered.refused;
    const { serializers } = registered;

    const metrics = createSourceMetrics(options.metrics);
    const client: BookeoClient = createBookeoClientFromConfig(config.bookeo, logger, {
      response: ({ account, label, status: httpStatus }) => {
        metrics.apiCalls.inc({ account, resource: label, status: String(httpStatus) });
        status.answered(account, label);
        if (httpStatus === 429) metrics.throttled.inc({ account });
      },
      retry: ({ account, label }) => metrics.apiRetries.inc({ account, resource: label }),
    });
    cleanups.push(() => client.close());

    reportStarting('starting: tasks (fencing older instances, reading offsets and published state)');
    for (const account of accounts) {
      const factories = new Map<string, RecordFactory>(
        definitions.map((definition) => [
          definition.name,
          createRecordFactory({
            account: account.id,
            resource: definition.name,
            serializer: serializers.get(definition.name) as TopicSerializer,
            deadLetterTopic: config.source.deadLetterTopic,
          }),
        ]),
      );
      // Filled by the task once it has fenced older instances: what they committed until then counts.
      const accountStates = new Map<string, PublishedState>(
        definitions
          .filter((definition) => definition.cursor.kind === 'snapshot' || definition.cursor.kind === 'child')
          .map((definition) => [definition.name, new Map()]),
      );
      const task = createSourceTask({
        account,
        config,
        kafka,
        client,
        definitions,
        factories,
        states: accountStates,
        metrics,
        status,
        logger,
        now,
      });
      await task.start();
      cleanups.push(() => task.stop());
      tasks.push(task);
    }
    const untrack = metrics.track(() => tasks.flatMap((task) => task.sample()));
    cleanups.push(async () => untrack());
    if (config.webhooks.register) {
      const registration = startWebhookRegistration({
        config,
        client,
        tasks,
        status,
        metrics: options.metrics,
        logger,
      });
      cleanups.push(() => registration.stop());
    }
    reportStarting(undefined);
    return { tasks, status, topicOf, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function createSerializers(
  registry: SchemaRegistry,
  config: AppConfig,
  definitions: readonly ResourceDefinition[],
  topicOf: (resource: string) => string,
  logger: Logger,
): Promise<Map<string, TopicSerializer>> {
  const serializers = new Map<string, TopicSerializer>();
  for (const definition of definitions) {
    serializers.set(
      definition.name,
      await createTopicSerializer({
        registry,
        topic: topicOf(definition.name),
        resource: definition.name,
        compatibility: config.schemaRegistry.compatibility,
        logger,
      }),
    );
  }
  return serializers;
}

async function createTopics(
  kafka: KafkaClient,
  config: AppConfig,
  definitions: readonly ResourceDefinition[],
  topicOf: (resource: string) => string,
  logger: Logger,
): Promise<void> {
  const specs: TopicSpec[] = [
    ...definitions.map((definition) => topicSpec(config.kafka, topicOf(definition.name), 'data')),
    // Offsets are few and read whole at start: one partition keeps that read short.
    topicSpec(config.kafka, config.source.offsetsTopic, 'offsets', 1),
    // Dead letters are an audit trail: every failure kept, never compacted away.
    topicSpec(config.kafka, config.source.deadLetterTopic, 'deadLetter', 1),
  ];
  await withAdmin(kafka, (admin) => ensureTopics(admin, specs, logger));
}
