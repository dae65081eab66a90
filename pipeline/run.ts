/**
 * `bookeo-connect run`: the source and one sink per destination in one process, for small
 * deployments. Nothing is shared between them but the process: the sinks consume the source's
 * topics through Kafka (read_committed, their own consumer groups), exactly as separate `source`
 * and `sink` processes would, so scaling out later is a change of deployment, not of behaviour.
 *
 * One ops server serves the source's REST API, each sink's status at `/sinks/<destination>`, one
 * /metrics (sink series labelled by destination) and a /readyz that is ready when all are. It
 * listens before anything else starts, so /readyz says what the start is waiting for.
 */
import type { AppConfig } from '../common/config/schema.js';
import type { Logger } from '../common/logger.js';
import { combineRegistries, createComponentRegistry, createMetricsRegistry } from '../common/metrics.js';
import { HttpError, startOpsServer, type OpsServer, type Route } from '../common/ops-server.js';
import { sourceRoutes } from '../connector/source/rest.js';
import { startSourceRuntime, type SourceRuntime } from '../connector/source/runtime.js';
import { StatusBoard } from '../connector/source/status.js';
import { siblingSinkDeadLetterTopic, sinkDeadLetterTopic } from '../contract/dead-letter-topics.js';
import { siblingSinkGroupId, sinkGroupId } from '../contract/group-id.js';
import { startConfiguredSink, type ConfiguredSink } from '../sinks/runner/configured-sink.js';

export interface PipelineOptions {
  readonly config: AppConfig;
  readonly logger: Logger;
  /** Destination names, each run as its own sink (own group, own dead-letter topic). */
  readonly destinations: readonly string[];
  /** Bookeo's clock (the simulator's in tests). */
  readonly now?: () => number;
  /** Aborts the start (SIGTERM while a dependency is awaited). */
  readonly signal?: AbortSignal;
}

export interface Pipeline {
  readonly source: SourceRuntime;
  readonly sinks: readonly ConfiguredSink[];
  readonly http: OpsServer;
  /** The resource topics the sinks consume. */
  readonly topics: readonly string[];
  /** The source first (its open transaction finished or aborted), then each sink flushes and commits. */
  stop(): Promise<void>;
}

/**
 * `sink.groupId` / `sink.deadLetterTopic` name one sink; with several destinations each gets the
 * configured name suffixed by its destination, so two sinks never share a group (they would split
 * the partitions between them and each load half). Unset, each gets its own default.
 */
function sinkNames(
  config: AppConfig,
  destination: string,
  several: boolean,
): { groupId: string; deadLetterTopic: string } {
  const { groupId, deadLetterTopic } = config.sink;
  return {
    groupId: several
      ? siblingSinkGroupId(groupId, config.kafka.topicPrefix, destination)
      : sinkGroupId(groupId, config.kafka.topicPrefix, destination),
    deadLetterTopic: several
      ? siblingSinkDeadLetterTopic(deadLetterTopic, destination)
      : sinkDeadLetterTopic(deadLetterTopic, destination),
  };
}

/**
 * The source's REST routes, mounted before the source exists (the ops server listens first, so
 * /readyz can say what the start waits for): 503 until the source runs.
 */
function sourceRoutesOnceStarted(current: () => SourceRuntime | undefined): Route[] {
  let live: Route[] | undefined;
  return sourceRoutes([], new StatusBoard()).map(({ method, path }, index) => ({
    method,
    path,
    handler: (request) => {
      const source = current();
      if (source === undefined) throw new HttpError(503, 'the source is starting');
      live ??= sourceRoutes(source.tasks, source.status);
      return (live[index] as Route).handler(request);
    },
  }));
}

export async function startPipeline(options: PipelineOptions): Promise<Pipeline> {
  const { config, logger } = options;
  const processMetrics = createMetricsRegistry();
  const sinkMetrics = options.destinations.map((destination) => ({
    destination,
    metrics: createComponentRegistry({ destination }),
  }));
  let source: SourceRuntime | undefined;
  const sinks: ConfiguredSink[] = [];
  let topics: readonly string[] = [];
  let starting: string | undefined = 'starting';
  const http = await startOpsServer({
    host: config.http.host,
    port: config.http.port,
    bearerToken: config.http.bearerToken,
    metrics: combineRegistries([processMetrics, ...sinkMetrics.map((entry) => entry.metrics)]),
    logger,
    notReadyReason: () =>
      starting ??
      source?.status.notReadyReason() ??
      sinks.map((entry) => entry.notReadyReason()).find((reason) => reason !== undefined),
    routes: [
      ...sourceRoutesOnceStarted(() => source),
      {
        method: 'GET',
        path: '/sinks',
        handler: () =>
          sinks.map((entry) => ({
            destination: entry.name,
            groupId: entry.sink.groupId,
            deadLetterTopic: entry.sink.deadLetterTopic,
            state: entry.sink.runner.status().state,
          })),
      },
      ...options.destinations.map((destination) => ({
        method: 'GET' as const,
        path: `/sinks/${destination}`,
        handler: () => {
          const entry = sinks.find((candidate) => candidate.name === destination);
          if (entry === undefined) throw new HttpError(503, `sink ${destination} is starting`);
          return { destination, topics, deadLetterTopic: entry.sink.deadLetterTopic, ...entry.sink.runner.status() };
        },
      })),
    ],
  });
  const stop = async (): Promise<void> => {
    await source?.stop();
    await Promise.all(sinks.map((sink) => sink.close()));
  };
  try {
    const running = await startSourceRuntime({
      config,
      logger,
      metrics: processMetrics,
      serveHttp: false,
      onStarting: (reason) => void (starting = reason ?? 'starting: the sinks'),
      ...(options.now === undefined ? {} : { now: options.now }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    source = running;
    const resources = config.sink.resources ?? Object.keys(running.status.all()[0]?.resources ?? {});
    topics = resources.map((resource) => running.topicOf(resource));
    const several = options.destinations.length > 1;
    for (const { destination, metrics } of sinkMetrics) {
      starting = `starting: sink ${destination}`;
      const onWaiting = (reason: string | undefined): void =>
        void (starting = reason ?? `starting: sink ${destination}`);
      sinks.push(
        await startConfiguredSink({
          config,
          destinationName: destination,
          topics,
          metrics,
          logger,
          onWaiting,
          ...sinkNames(config, destination, several),
          ...(options.signal === undefined ? {} : { signal: options.signal }),
        }),
      );
    }
    starting = undefined;
    logger.info(
      { url: http.url, destinations: options.destinations, topics },
      'pipeline running: source and sinks in one process',
    );
    return {
      source: running,
      sinks,
      http,
      topics,
      async stop() {
        await http.close();
        await stop();
      },
    };
  } catch (error) {
    await http.close();
    await stop();
    throw error;
  }
}
