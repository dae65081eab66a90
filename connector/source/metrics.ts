/**
 * The source's Prometheus metrics, labelled per account and resource. Created once per process
 * from the registry main made; the task code only calls these handles.
 *
 * Freshness, failure streaks and cursor lag are gauges computed when scraped, from what each
 * running source reports (`track`): a gauge set only inside a poll would freeze exactly when a
 * resource stops being polled, which is when it matters.
 */
import { Gauge, counter, histogram, type Counter, type Histogram, type Registry } from '../../common/metrics.js';

/** What a running source reports about one resource of one account, when the metrics are scraped. */
export interface ResourceSample {
  readonly account: string;
  readonly resource: string;
  /** Since the resource's last successful commit to Kafka (since its task started, when none yet). */
  readonly sinceLastCommitSeconds: number;
  /** Polls that failed in a row; 0 after a successful one. */
  readonly consecutiveFailures: number;
  /** Windowed resources: Bookeo's now minus the cursor (the point up to which Kafka has everything). */
  readonly cursorLagSeconds?: number;
}

export type ResourceSampler = () => readonly ResourceSample[];

export interface SourceMetrics {
  readonly apiCalls: Counter<'account' | 'resource' | 'status'>;
  readonly apiRetries: Counter<'account' | 'resource'>;
  readonly throttled: Counter<'account'>;
  readonly records: Counter<'account' | 'resource' | 'kind'>;
  readonly bytes: Counter<'account' | 'resource'>;
  readonly transactionSeconds: Histogram<'account'>;
  readonly childListingsFailed: Counter<'account' | 'resource'>;
  /** Reports a running source's resources to the scrape-time gauges until the returned function is called. */
  track(sampler: ResourceSampler): () => void;
}

type Labels = Partial<Record<'account' | 'resource', string>>;

/** A gauge whose series are recomputed from the registered samplers at each scrape (series of stopped sources disappear). */
class SampledGauge extends Gauge<'account' | 'resource'> {
  readonly samplers = new Set<() => Iterable<readonly [Labels, number]>>();

  resample(): void {
    this.reset();
    for (const sampler of this.samplers) for (const [labels, value] of sampler()) this.set(labels, value);
  }
}

function sampledGauge(registry: Registry, name: string, help: string): SampledGauge {
  const existing = registry.getSingleMetric(name);
  if (existing instanceof SampledGauge) return existing;
  return new SampledGauge({
    name,
    help,
    labelNames: ['account', 'resource'],
    registers: [registry],
    collect(this: Gauge) {
      (this as SampledGauge).resample();
    },
  });
}

export function createSourceMetrics(registry: Registry): SourceMetrics {
  const sinceLastCommit = sampledGauge(
    registry,
    'bookeo_connect_source_since_last_commit_seconds',
    'Seconds since the resource last committed to Kafka, or since its task started (freshness; moves while nothing is polled)',
  );
  const consecutiveFailures = sampledGauge(
    registry,
    'bookeo_connect_source_consecutive_failures',
    'Polls of the resource that failed in a row (0 after a successful poll)',
  );
  const cursorLag = sampledGauge(
    registry,
    'bookeo_connect_source_cursor_lag_seconds',
    "Bookeo's now minus the point up to which a windowed resource is in Kafka",
  );
  return {
    apiCalls: counter(registry, {
      name: 'bookeo_connect_source_api_calls_total',
      help: 'Bookeo API answers by HTTP status (0 = no answer: network error or timeout)',
      labelNames: ['account', 'resource', 'status'],
    }),
    apiRetries: counter(registry, {
      name: 'bookeo_connect_source_api_retries_total',
      help: 'Bookeo API calls retried (429, 5xx, network, malformed page)',
      labelNames: ['account', 'resource'],
    }),
    throttled: counter(registry, {
      name: 'bookeo_connect_source_api_throttled_total',
      help: 'HTTP 429 answers from Bookeo',
      labelNames: ['account'],
    }),
    records: counter(registry, {
      name: 'bookeo_connect_source_records_total',
      help: 'Records committed to Kafka (kind: upsert, tombstone, dead_letter)',
      labelNames: ['account', 'resource', 'kind'],
    }),
    bytes: counter(registry, {
      name: 'bookeo_connect_source_record_bytes_total',
      help: 'Encoded key+value bytes committed to Kafka',
      labelNames: ['account', 'resource'],
    }),
    transactionSeconds: histogram(registry, {
      name: 'bookeo_connect_source_transaction_seconds',
      help: 'Kafka transaction latency (send + commit)',
      labelNames: ['account'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    }),
    childListingsFailed: counter(registry, {
      name: 'bookeo_connect_source_child_listings_failed_total',
      help: "Parents whose children (e.g. a customer's linked people) stayed malformed after retries: dead-lettered, kept as published, read again at the next full listing",
      labelNames: ['account', 'resource'],
    }),
    track(sampler) {
      const labelsOf = (sample: ResourceSample): Labels => ({ account: sample.account, resource: sample.resource });
      const projections: Array<[SampledGauge, () => Iterable<readonly [Labels, number]>]> = [
        [sinceLastCommit, () => sampler().map((sample) => [labelsOf(sample), sample.sinceLastCommitSeconds] as const)],
        [consecutiveFailures, () => sampler().map((sample) => [labelsOf(sample), sample.consecutiveFailures] as const)],
        [
          cursorLag,
          () =>
            sampler().flatMap((sample) =>
              sample.cursorLagSeconds === undefined ? [] : [[labelsOf(sample), sample.cursorLagSeconds] as const],
            ),
        ],
      ];
      for (const [gauge, projection] of projections) gauge.samplers.add(projection);
      return () => {
        for (const [gauge, projection] of projections) gauge.samplers.delete(projection);
      };
    },
  };
}
