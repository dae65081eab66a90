/**
 * One sink built from the validated configuration: its destination (from the DESTINATIONS map),
 * a registry-backed decoder, its Kafka client, and the runner. `bookeo-connect sink <destination>`
 * starts one; `bookeo-connect run` starts one per destination next to the source. `close()` undoes
 * everything it built. A registry that does not answer yet is waited for (`startup.timeoutSeconds`,
 * with back-off), and so is a destination that does not answer; the reason is reported through
 * `onWaiting` for /readyz.
 */
import type { Registry } from 'prom-client';
import { createSchemaRegistry } from '../../avro/registry.js';
import type { AppConfig } from '../../common/config/schema.js';
import type { Logger } from '../../common/logger.js';
import { ConnectError } from '../../common/errors.js';
import { isPermanentStartupError, waitForDependency } from '../../common/startup.js';
import { createKafka } from '../../kafka/client.js';
import type { Destination } from '../destination.js';
import { DestinationError } from '../errors.js';
import { destinationFactory } from './destinations.js';
import { createSinkMetrics } from './metrics.js';
import { createRegistryDecoder } from './registry-decoder.js';
import { startSink, type Sink } from './sink.js';

export interface ConfiguredSinkOptions {
  readonly config: AppConfig;
  readonly destinationName: string;
  readonly topics: readonly string[];
  readonly metrics: Registry;
  readonly logger: Logger;
  /** Overrides `sink.groupId` / `sink.deadLetterTopic` (several sinks in one process need their own). */
  readonly groupId?: string;
  readonly deadLetterTopic?: string;
  /** Told why the start waits (a dependency unreachable), and undefined once it goes on. */
  readonly onWaiting?: (reason: string | undefined) => void;
  /** Aborts the wait, e.g. on SIGTERM during the start. */
  readonly signal?: AbortSignal;
}

export interface ConfiguredSink {
  readonly name: string;
  readonly sink: Sink;
  readonly destination: Destination;
  /** Undefined while the runner is running, else why /readyz should say not ready. */
  notReadyReason(): string | undefined;
  /** Stops the runner gracefully (flush, write, commit), then closes the destination and registry client. */
  close(): Promise<void>;
}

export async function startConfiguredSink(options: ConfiguredSinkOptions): Promise<ConfiguredSink> {
  const { config, destinationName } = options;
  const factory = await destinationFactory(destinationName);
  const logger = options.logger.child({ component: `sink-${destinationName}` });
  const registry = createSchemaRegistry(config.schemaRegistry);
  const destination = factory(config, logger);
  const release = async (): Promise<void> => {
    await destination.close().catch((error: unknown) => logger.warn({ err: error }, 'closing the destination failed'));
    await registry.close();
  };
  try {
    const wait = {
      timeoutMs: config.startup.timeoutSeconds * 1000,
      logger,
      ...(options.onWaiting === undefined ? {} : { onWaiting: options.onWaiting }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    };
    const [firstTopic] = options.topics;
    if (firstTopic !== undefined)
      await waitForDependency(() => registry.latest(`${firstTopic}-value`), {
        ...wait,
        dependency: `the schema registry at ${registry.url}`,
      });
    // A destination that refuses us (credentials, a certificate) is not waited on; one that is away is.
    await waitForDependency(() => destination.ping(), {
      ...wait,
      dependency: `the ${destinationName} destination`,
      permanent: (error) => isPermanentStartupError(error) || (error instanceof DestinationError && !error.retriable),
    });
    // Topics the source has just created can be unknown to the broker for a moment (kafkajs'
    // own retries may run out first): Kafka's failures are waited on, the sink's own refusals
    // (a group another deployment uses) are not.
    const metrics = createSinkMetrics(options.metrics);
    const sink = await waitForDependency(
      () =>
        startSink({
          kafka: createKafka(config.kafka, logger, `sink-${destinationName}`),
          kafkaConfig: config.kafka,
          sinkConfig:
            options.deadLetterTopic === undefined
              ? config.sink
              : { ...config.sink, deadLetterTopic: options.deadLetterTopic },
          destination,
          destinationName,
          decoder: createRegistryDecoder(registry),
          topics: options.topics,
          topicPrefix: config.kafka.topicPrefix,
          metrics,
          logger,
          ...(options.groupId === undefined ? {} : { groupId: options.groupId }),
        }),
      {
        ...wait,
        dependency: `Kafka at ${config.kafka.brokers.join(',')}`,
        permanent: (error) => isPermanentStartupError(error) || error instanceof ConnectError,
      },
    );
    return {
      name: destinationName,
      sink,
      destination,
      notReadyReason() {
        const status = sink.runner.status();
        return status.state === 'running'
          ? undefined
          : `sink ${destinationName} is ${status.state}${status.error === null ? '' : `: ${status.error}`}`;
      },
      async close() {
        await sink.stop().catch((error: unknown) => logger.error({ err: error }, 'graceful stop failed'));
        await release();
      },
    };
  } catch (error) {
    await release();
    throw error;
  }
}
