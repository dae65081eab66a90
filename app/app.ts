/**
 * The app builder: from a validated configuration to a running process of the source, the sinks
 * (one per destination, each its own consumer group and dead-letter topic), or both, behind one
 * ops server. The server listens before anything else starts, so /readyz says what the start is
 * doing or waiting for (Kafka, the registry, the resource topics); then the source, then the
 * sinks. With `webhooks.enabled`, the source's webhook receiver listens once the source runs and
 * stops before it. Source and sinks share nothing but the process: the sinks read the source's topics
 * through Kafka, exactly as separate `source` and `sink` processes would.
 */
import type { AppConfig } from '../common/config/schema.js';
import type { Logger } from '../common/logger.js';
import { combineRegistries, createComponentRegistry, createMetricsRegistry } from '../common/metrics.js';
import { startOpsServer, type OpsServer } from '../common/ops-server.js';
import { waitForDependency } from '../common/startup.js';
import { startSourceRuntime, type SourceRuntime } from '../connector/source/runtime.js';
import { startWebhookReceiver, type WebhookReceiver } from '../connector/source/webhooks/receiver.js';
import { withAdmin } from '../kafka/admin.js';
import { createKafka } from '../kafka/client.js';
import { startConfiguredSink, type ConfiguredSink } from '../sinks/runner/configured-sink.js';
import { sinkTopics } from '../sinks/runner/sink-topics.js';
import { sinkNames } from './sink-names.js';
import { sinkRoutes, sourceRoutesOnceStarted } from './routes.js';

export interface AppOptions {
  readonly config: AppConfig;
  readonly logger: Logger;
  /** Run the source: poll Bookeo and publish. */
  readonly source: boolean;
  /** Destination names, each loaded by its own sink. */
  readonly destinations: readonly string[];
  /** Serve the ops API (default true; a one-shot backfill does without). */
  readonly serveHttp?: boolean;
  /** Bookeo's clock (the simulator's in tests). */
  readonly now?: () => number;
  /** Aborts the start (SIGTERM while a dependency is awaited). */
  readonly signal?: AbortSignal;
}

export interface App {
  readonly source: SourceRuntime | undefined;
  readonly sinks: readonly ConfiguredSink[];
  readonly http: OpsServer | undefined;
  /** The source's webhook receiver (webhooks.enabled). */
  readonly webhooks: WebhookReceiver | undefined;
  /** The resource topics the sinks consume. */
  readonly topics: readonly string[];
  /** The source first (its open transaction finished or aborted), then each sink flushes and commits; once. */
  stop(): Promise<void>;
}

export async function startApp(options: AppOptions): Promise<App> {
  const { config, logger, destinations } = options;
  const processMetrics = createMetricsRegistry();
  // Next to the source or a sibling sink, each sink's series carry its destination as a label.
  const labelled = options.source || destinations.length > 1;
  const sinkMetrics = destinations.map((destination) => ({
    destination,
    metrics: labelled ? createComponentRegistry({ destination }) : processMetrics,
  }));
  const abort = options.signal === undefined ? {} : { signal: options.signal };
  let source: SourceRuntime | undefined;
  let webhooks: WebhookReceiver | undefined;
  const sinks: ConfiguredSink[] = [];
  let topics: readonly string[] = [];
  let starting: string | undefined = 'starting';
  const http =
    (options.serveHttp ?? true)
      ? await startOpsServer({
          host: config.http.host,
          port: config.http.port,
          bearerToken: config.http.bearerToken,
          metrics: labelled
            ? combineRegistries([processMetrics, ...sinkMetrics.map((entry) => entry.metrics)])
            : processMetrics,
          logger,
          notReadyReason: () =>
            starting ??
            webhooks?.notReadyReason() ??
            source?.status.notReadyReason() ??
            sinks.map((entry) => entry.notReadyReason()).find((reason) => reason !== undefined),
          routes: [
            ...(options.source ? sourceRoutesOnceStarted(() => source) : []),
            ...sinkRoutes({ destinations, sinks: () => sinks, topics: () => topics, legacy: !options.source }),
          ],
        })
      : undefined;
  if (http !== undefined) logger.info({ url: http.url }, 'operations API listening');
  const stop = async (): Promise<void> => {
    await webhooks?.close();
    await source?.stop();
    await Promise.all(sinks.map((sink) => sink.close()));
  };
  try {
    if (options.source) {
      const running = await startSourceRuntime({
        config,
        logger,
        metrics: processMetrics,
        onStarting: (reason) => void (starting = reason ?? 'starting: the sinks'),
        ...(options.now === undefined ? {} : { now: options.now }),
        ...abort,
      });
      source = running;
      // Not for a one-shot poll (`source --once`, no ops server): it exits before a delivery could matter.
      if (config.webhooks.enabled && (options.serveHttp ?? true)) {
        starting = 'starting: the webhook receiver';
        webhooks = await startWebhookReceiver({
          webhooks: config.webhooks,
          secretKey: config.bookeo.secretKey,
          targets: running.tasks,
          now: options.now ?? Date.now,
          metrics: processMetrics,
          logger,
        });
      }
      const resources = config.sink.resources ?? Object.keys(running.status.all()[0]?.resources ?? {});
      topics = resources.map((resource) => running.topicOf(resource));
    } else if (destinations.length > 0) {
      const kafka = createKafka(config.kafka, logger, 'sink-admin');
      topics = await waitForDependency(() => withAdmin(kafka, (admin) => sinkTopics(admin, config)), {
        dependency: `Kafka at ${config.kafka.brokers.join(',')}`,
        timeoutMs: config.startup.timeoutSeconds * 1000,
        logger,
        onWaiting: (reason) => void (starting = reason ?? 'starting'),
        ...abort,
      });
    }
    for (const { destination, metrics } of sinkMetrics) {
      starting = `starting: sink ${destination}`;
      sinks.push(
        await startConfiguredSink({
          config,
          destinationName: destination,
          topics,
          metrics,
          logger,
          onWaiting: (reason) => void (starting = reason ?? `starting: sink ${destination}`),
          ...sinkNames(config, destination, destinations.length > 1),
          ...abort,
        }),
      );
    }
    starting = undefined;
    logger.info(
      {
        ...(http === undefined ? {} : { ops: http.url }),
        source: options.source,
        sinks: sinks.map((entry) => ({
          destination: entry.name,
          groupId: entry.sink.groupId,
          deadLetterTopic: entry.sink.deadLetterTopic,
        })),
        topics,
      },
      'running',
    );
    let stopped: Promise<void> | undefined;
    return {
      source,
      sinks,
      http,
      webhooks,
      topics,
      stop() {
        stopped ??= (async () => {
          await http?.close();
          await stop();
        })();
        return stopped;
      },
    };
  } catch (error) {
    await http?.close();
    await stop();
    throw error;
  }
}
