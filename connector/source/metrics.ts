/**
 * The source's Prometheus metrics, labelled per account and resource. Created once per process
 * from the registry main made; the task code only calls these handles.
 */
import { counter, gauge, histogram, type Counter, type Gauge, type Histogram, type Registry } from '../../common/metrics.js';

export interface SourceMetrics {
  readonly apiCalls: Counter<'account' | 'resource' | 'status'>;
  readonly apiRetries: Counter<'account' | 'resource'>;
  readonly throttled: Counter<'account'>;
  readonly records: Counter<'account' | 'resource' | 'kind'>;
  readonly bytes: Counter<'account' | 'resource'>;
  readonly transactionSeconds: Histogram<'account'>;
  readonly cursorLagSeconds: Gauge<'account' | 'resource'>;
  readonly childListingsFailed: Counter<'account' | 'resource'>;
}

export function createSourceMetrics(registry: Registry): SourceMetrics {
  return {
    apiCalls: counter(registry, { name: 'bookeo_connect_source_api_calls_total', help: 'Bookeo API answers by HTTP status (0 = no answer: network error or timeout)', labelNames: ['account', 'resource', 'status'] }),
    apiRetries: counter(registry, { name: 'bookeo_connect_source_api_retries_total', help: 'Bookeo API calls retried (429, 5xx, network, malformed page)', labelNames: ['account', 'resource'] }),
    throttled: counter(registry, { name: 'bookeo_connect_source_api_throttled_total', help: 'HTTP 429 answers from Bookeo', labelNames: ['account'] }),
    records: counter(registry, { name: 'bookeo_connect_source_records_total', help: 'Records committed to Kafka (kind: upsert, tombstone, dead_letter)', labelNames: ['account', 'resource', 'kind'] }),
    bytes: counter(registry, { name: 'bookeo_connect_source_record_bytes_total', help: 'Encoded key+value bytes committed to Kafka', labelNames: ['account', 'resource'] }),
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
    cursorLagSeconds: gauge(registry, { name: 'bookeo_connect_source_cursor_lag_seconds', help: 'Now minus the point up to which a resource is known to be in Kafka (freshness)', labelNames: ['account', 'resource'] }),
  };
}
