/**
 * Prometheus metrics. One registry per process, created in main and passed down (no module-level
 * state), with default process metrics (RSS, heap, event-loop lag) included.
 */
import {
  AggregatorRegistry,
  Counter,
  Gauge,
  Histogram,
  Registry,
  collectDefaultMetrics,
  type CounterConfiguration,
  type GaugeConfiguration,
  type HistogramConfiguration,
} from 'prom-client';

export { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export function createMetricsRegistry(prefix = 'bookeo_connect_'): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix });
  return registry;
}

/**
 * A registry for one of several components of the same kind in one process (e.g. each sink of
 * `bookeo-connect run`): no process metrics (the process registry has them), and labels such as
 * `{ destination }` stamped on every series so the components' series stay apart when combined.
 */
export function createComponentRegistry(labels: Readonly<Record<string, string>>): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ ...labels });
  return registry;
}

/** What the ops server reads from a registry; several registries can stand behind it. */
export type MetricsSource = Pick<Registry, 'contentType' | 'metrics'>;

/**
 * One Prometheus exposition of several registries: series of the same metric name are grouped
 * under one HELP/TYPE (two registries printed one after the other would repeat them, which
 * Prometheus rejects). prom-client's aggregator does the grouping; series differ by their labels.
 */
export function combineRegistries(registries: readonly Registry[]): MetricsSource {
  return {
    contentType: registries[0]?.contentType ?? Registry.PROMETHEUS_CONTENT_TYPE,
    metrics: async () =>
      AggregatorRegistry.aggregate(
        await Promise.all(registries.map((registry) => registry.getMetricsAsJSON())),
      ).metrics(),
  } as MetricsSource;
}

/*
 * Metric factories bound to a registry. A component started twice in one process (a restarted
 * runtime, tests) gets the series it registered before instead of a "already registered" error.
 */
export function counter<L extends string>(
  registry: Registry,
  config: Omit<CounterConfiguration<L>, 'registers'>,
): Counter<L> {
  return (
    (registry.getSingleMetric(config.name) as Counter<L> | undefined) ??
    new Counter({ ...config, registers: [registry] })
  );
}

export function gauge<L extends string>(
  registry: Registry,
  config: Omit<GaugeConfiguration<L>, 'registers'>,
): Gauge<L> {
  return (
    (registry.getSingleMetric(config.name) as Gauge<L> | undefined) ?? new Gauge({ ...config, registers: [registry] })
  );
}

export function histogram<L extends string>(
  registry: Registry,
  config: Omit<HistogramConfiguration<L>, 'registers'>,
): Histogram<L> {
  return (
    (registry.getSingleMetric(config.name) as Histogram<L> | undefined) ??
    new Histogram({ ...config, registers: [registry] })
  );
}
