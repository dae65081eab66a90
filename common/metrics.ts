/**
 * Prometheus metrics. One registry per process, created in main and passed down (no module-level
 * state), with default process metrics (RSS, heap, event-loop lag) included.
 */
import { Registry, collectDefaultMetrics } from 'prom-client';

export { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export function createMetricsRegistry(prefix = 'bookeo_connect_'): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix });
  return registry;
}
