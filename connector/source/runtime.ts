/**
 * Builds a running source from a validated configuration: the operations server first (so /readyz
 * says what the start is doing or waiting for), then topics (compacted resource topics, the
 * offsets topic, the dead-letter topic), one serializer per resource topic (subjects registered,
 * compatibility set), the published state of snapshot resources rebuilt from their topics, one
 * task per enabled account. Kafka and the registry unreachable at start are waited for, with
 * back-off, for `startup.timeoutSeconds` (common/startup.ts). `stop()` ends everything in reverse.
 */
import type { AppConfig } from '../../common/config/schema.js';
import { ConfigError, type ConfigProblem } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { Registry } from '../../common/metrics.js';
import { startOpsServer, type OpsServer } from '../../common/ops-server.js';
import { waitForDependency } from '../../common/startup.js';
import { SchemaRegistryError } from '../../avro/errors.js';
import { createSchemaRegistry, type SchemaRegistry } from '../../avro/registry.js';
import { createTopicSerializer, type TopicSerializer } from '../../avro/topic-serializer.js';
import { resourceTopic } from '../../contract/topics.js';
import { withAdmin, type TopicSpec } from '../../kafka/admin.js';
import { createKafka, type KafkaClient } from '../../kafka/client.js';
import { topicSpec } from '../../kafka/topic-configs.js';
import { ensureTopics } from '../../kafka/topics.js';
import { createBookeoClientFromConfig, type BookeoClient } from '../bookeo/client.js';
import { RESOURCE_CATALOG, type ResourceDefinition } from '../catalog/catalog.js';
import { createSourceMetrics } from './metrics.js';
import { createRecordFactory, type RecordFactory } from './record-factory.js';
import { sourceRoutes } from './rest.js';
import type { PublishedState } from './snapshot-state.js';
import { StatusBoard } from './status.js';
import { createSourceTask, type SourceTask } from './task.js';

export interface SourceRuntimeOptions {
  readonly config: AppConfig;
  readonly logger: Logger;
  readonly metrics: Registry;
  /** Bookeo's clock; Date.now in production, the simulator's virtual clock in tests. */
  readonly now?: () => number;
  /** Start the ops server (default true), before anything else. */
  readonly serveHttp?: boolean;
  /** Told what the start is doing or waiting for, then undefined once the source runs: feeds a /readyz served elsewhere (`run`). */
  readonly onStarting?: (reason: string | undefined) => void;
  /** Aborts the start, e.g. on SIGTERM while a dependency is awaited. */
  readonly signal?: AbortSignal;
}

export interface SourceRuntime {
  /** Every task, once started (the array the REST API reads). */
  readonly tasks: readonly SourceTask[];
  readonly status: StatusBoard;
  readonly http: OpsServer | undefined;
  topicOf(resource: string): string;
  stop(): Promise<void>;
}

/** Source-specific checks on top of the schema, reported all at once like schema problems. */
export function sourceConfigProblems(config: AppConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (config.bookeo.secretKey === undefined)
    problems.push({ key: 'bookeo.secretKey', expected: "the application's secret key", found: 'nothing' });
  if (!config.bookeo.accounts.some((account) => account.enabled))
    problems.push({
      key: 'bookeo.accounts',
      expected: 'at least one enabled account {id, apiKey}',
      found: `${config.bookeo.accounts.length} enabled`,
    });
  const ids = config.bookeo.accounts.map((account) => account.id);
  const duplicate = ids.find((id, index) => ids.indexOf(id) !== index);
  if (duplicate !== undefined)
    problems.push({ key: 'bookeo.accounts', expected: 'unique account ids', found: `"${duplicate}" twice` });
  const names = RESOURCE_CATALOG.map((definition) => definition.name as string);
  for (const resource of config.source.resources ?? []) {
    if (!names.includes(resource))
      problems.push({
        key: 'source.resources',
        expected: `names from ${names.join(', ')}`,
        found: JSON.stringify(resource),
      });
  }
  const chosen = config.source.resources;
  if (chosen !== undefined) {
    for (const definition of RESOURCE_CATALOG) {
      if (
        definition.cursor.kind === 'child' &&
        chosen.includes(definition.name) &&
        !chosen.includes(definition.cursor.parent)
      ) {
        problems.push({
          key: 'source.resources',
          expected: `${definition.cursor.parent} listed too (${definition.name} is fetched for its changes)`,
          found: JSON.stringify(chosen),
        });
      }
    }
  }
  return problems;
}

export async function startSourceRuntime(options: SourceRuntimeOptions): Promise<SourceRuntime> {
  const { config, logger } = options;
  const problems = sourceConfigProblems(config);
  if (problems.length > 0) throw new ConfigError(problems);
  const now = options.now ?? Date.now;
  const definitions = RESOURCE_CATALOG.filter(
    (definition) => config.source.resources === undefined || config.source.resources.includes(definition.name),
  );
  const accounts = config.bookeo.accounts.filter((account) => account.enabled);
  const topicOf = (resource: string): string => resourceTopic(config.kafka.topicPrefix, resource);
  const status = new StatusBoard({ unhealthyAfterMs: config.source.unhealthyAfterSeconds * 1000 });
  const tasks: SourceTask[] = [];
  let starting: string | undefined;
  const reportStarting = (reason: string | undefined): void => {
    starting = reason;
    options.onStarting?.(reason);
  };

  const cleanups: Array<() => Promise<void>> = [];
  const stop = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse())
      await cleanup().catch((error: unknown) => logger.warn({ err: error }, 'error during shutdown'));
  };
  try {
    reportStarting('starting');
    const http =
      (options.serveHttp ?? true)
        ? await serveOps(options, () => starting ?? status.notReadyReason(), sourceRoutes(tasks, status))
        : undefined;
    if (http !== undefined) cleanups.push(() => http.close());

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
    const registry: SchemaRegistry = createSchemaRegistry({
      url: config.schemaRegistry.url,
      username: config.schemaRegistry.username,
      password: config.schemaRegistry.password,
    });
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
    reportStarting(undefined);
    return { tasks, status, http, topicOf, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function serveOps(
  options: SourceRuntimeOptions,
  notReadyReason: () => string | undefined,
  routes: ReturnType<typeof sourceRoutes>,
): Promise<OpsServer> {
  const { config, logger } = options;
  const http = await startOpsServer({
    host: config.http.host,
    port: config.http.port,
    bearerToken: config.http.bearerToken,
    metrics: options.metrics,
    logger,
    notReadyReason,
    routes,
  });
  logger.info({ url: http.url }, 'source operations API listening');
  return http;
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
