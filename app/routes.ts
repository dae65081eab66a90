/**
 * The ops API routes of a running app: the source's REST API (mounted before the source exists,
 * 503 until it runs, so the server can listen first), and each sink's status.
 */
import { HttpError, type Route } from '../common/ops-server.js';
import { sourceRoutes } from '../connector/source/rest.js';
import type { SourceRuntime } from '../connector/source/runtime.js';
import { StatusBoard } from '../connector/source/status.js';
import type { ConfiguredSink } from '../sinks/runner/configured-sink.js';

export function sourceRoutesOnceStarted(current: () => SourceRuntime | undefined): Route[] {
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

export interface SinkRouteOptions {
  readonly destinations: readonly string[];
  readonly sinks: () => readonly ConfiguredSink[];
  readonly topics: () => readonly string[];
  /** Also `GET /sink/status` for a lone sink (the `sink` command's route before sinks had their own). */
  readonly legacy: boolean;
}

/** `GET /sinks` lists them, `GET /sinks/<destination>` is one sink's status. */
export function sinkRoutes(options: SinkRouteOptions): Route[] {
  const status = (destination: string): unknown => {
    const entry = options.sinks().find((candidate) => candidate.name === destination);
    if (entry === undefined) return undefined;
    const { sink } = entry;
    return { destination, topics: options.topics(), deadLetterTopic: sink.deadLetterTopic, ...sink.runner.status() };
  };
  const routes: Route[] = options.destinations.map((destination) => ({
    method: 'GET',
    path: `/sinks/${destination}`,
    handler: () => {
      const found = status(destination);
      if (found === undefined) throw new HttpError(503, `sink ${destination} is starting`);
      return found;
    },
  }));
  if (options.destinations.length > 0)
    routes.unshift({
      method: 'GET',
      path: '/sinks',
      handler: () =>
        options.sinks().map((entry) => ({
          destination: entry.name,
          groupId: entry.sink.groupId,
          deadLetterTopic: entry.sink.deadLetterTopic,
          state: entry.sink.runner.status().state,
        })),
    });
  const [lone] = options.destinations;
  if (options.legacy && lone !== undefined && options.destinations.length === 1)
    routes.push({
      method: 'GET',
      path: '/sink/status',
      handler: () => status(lone) ?? { destination: lone, state: 'starting' },
    });
  return routes;
}
