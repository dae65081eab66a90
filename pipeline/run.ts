/**
 * `bookeo-connect run`: the source and one sink per destination in one process, for small
 * deployments. Nothing is shared between them but the process: the sinks consume the source's
 * topics through Kafka (read_committed, their own consumer groups), exactly as separate `source`
 * and `sink` processes would, so scaling out later is a change of deployment, not of behaviour.
 *
 * One ops server serves the source's REST API, each sink's status at `/sinks/<destination>`, one
 * /metrics (sink series labelled by destination) and a /readyz that is ready when all are.
 */
import type { AppConfig } from '../common/config/schema.js';
import type { Logger } from '../common/logger.js';
import { combineRegistries, createComponentRegistry, createMetricsRegistry } from '../common/metrics.js';
import { startOpsServer, type OpsServer } from '../common/ops-server.js';
import { sourceRoutes } from '../connector/source/rest.js';
import { startSourceRuntime, type SourceRuntime } from '../connector/source/runtime.js';
import { defaultDeadLetterTopic } from '../sinks/dlq/dead-letter.js';
import { defaultGroupId } from '../sinks/runner/sink.js';
import { startConfiguredSink, type ConfiguredSink } from '../sinks/runner/configured-sink.js';

export interface PipelineOptions {
  readonly config: AppConfig;
  readonly logger: Logger;
  /** Destination names, each run as its own sink (own group, own dead-letter topic). */
  readonly destinations: readonly string[];
  /** Bookeo's clock (the simulator's in tests). */
  readonly now?: () => number;
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
 * the partitions between them and each load half).
 */
function sinkNames(config: AppConfig, destination: string, several: boolean): { groupId: string; deadLetterTopic: string } {
  const { groupId, deadLetterTopic } = config.sink;
  return {
    groupId: groupId === undefined ? defaultGroupId(destination) : several ? `${groupId}-${destination}` : groupId,
    deadLetterTopic: deadLetterTopic === undefined ? defaultDeadLetterTopic(destination) : several ? `${deadLetterTopic}-${destination}` : deadLetterTopic,
  };
}

export async function startPipeline(options: PipelineOptions): Promise<Pipeline> {
  const { config, logger } = options;
  const processMetrics = createMetricsRegistry();
  const source = await startSourceRuntime({ config, logger, metrics: processMetrics, serveHttp: false, ...(options.now === undefined ? {} : { now: options.now }) });
  const sinks: ConfiguredSink[] = [];
  const stop = async (): Promise<void> => {
    await source.stop();
    await Promise.all(sinks.map((sink) => sink.close()));
  };
  try {
    const resources = config.sink.resources ?? Object.keys(source.status.all()[0]?.resources ?? {});
    const topics = resources.map((resource) => source.topicOf(resource));
    const registries = [processMetrics];
    const several = options.destinations.length > 1;
    for (const destination of options.destinations) {
      const metrics = createComponentRegistry({ destination });
      registries.push(metrics);
      sinks.push(await startConfiguredSink({ config, destinationName: destination, topics, metrics, logger, ...sinkNames(config, destination, several) }));
    }
    const http = await startOpsServer({
      host: config.http.host,
      port: config.http.port,
      bearerToken: config.http.bearerToken,
      metrics: combineRegistries(registries),
      logger,
      notReadyReason: () => {
        const sourceReason = source.status.notReadyReason();
        if (sourceReason !== undefined) return sourceReason;
        return sinks.map((entry) => entry.notReadyReason()).find((reason) => reason !== undefined);
      },
      routes: [
        ...sourceRoutes(source.tasks, source.status),
        { method: 'GET', path: '/sinks', handler: () => sinks.map((entry) => ({ destination: entry.name, groupId: entry.sink.groupId, deadLetterTopic: entry.sink.deadLetterTopic, state: entry.sink.runner.status().state })) },
        ...sinks.map((entry) => ({ method: 'GET' as const, path: `/sinks/${entry.name}`, handler: () => ({ destination: entry.name, topics, deadLetterTopic: entry.sink.deadLetterTopic, ...entry.sink.runner.status() }) })),
      ],
    });
    logger.info({ url: http.url, destinations: options.destinations, topics }, 'pipeline running: source and sinks in one process');
    return {
      source,
      sinks,
      http,
      topics,
      async stop() {
        await http.close();
        await stop();
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
