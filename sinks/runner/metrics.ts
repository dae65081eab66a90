/**
 * The sink runner's Prometheus metrics, labelled per topic (and partition for lag). Created once
 * per process from the registry main made; the runner only calls these handles. Rows per second is
 * `rate(bookeo_connect_sink_records_total[1m])`.
 */
import { Counter, Gauge, Histogram, type Registry } from '../../common/metrics.js';

export interface SinkMetrics {
  /** kind: upsert, delete, dead_letter. */
  readonly records: Counter<'topic' | 'kind'>;
  readonly batchRows: Histogram<'topic'>;
  readonly batchBytes: Histogram<'topic'>;
  /** cut: rows, bytes, intent, age, shutdown. */
  readonly batches: Counter<'topic' | 'cut'>;
  readonly writeSeconds: Histogram<'topic'>;
  readonly writeRetries: Counter<'topic'>;
  readonly deadLetters: Counter<'topic' | 'stage'>;
  readonly consumerLag: Gauge<'topic' | 'partition'>;
  readonly pausedPartitions: Gauge;
  readonly commits: Counter;
}

export function createSinkMetrics(registry: Registry): SinkMetrics {
  const registers = [registry];
  return {
    records: new Counter({ name: 'bookeo_connect_sink_records_total', help: 'Records settled (written or dead-lettered) by kind', labelNames: ['topic', 'kind'], registers }),
    batchRows: new Histogram({ name: 'bookeo_connect_sink_batch_rows', help: 'Kafka records per batch', labelNames: ['topic'], buckets: [1, 10, 100, 1_000, 10_000, 50_000, 100_000, 500_000], registers }),
    batchBytes: new Histogram({ name: 'bookeo_connect_sink_batch_bytes', help: 'Key+value bytes per batch', labelNames: ['topic'], buckets: [1e3, 1e4, 1e5, 1e6, 1e7, 6.4e7, 2.56e8], registers }),
    batches: new Counter({ name: 'bookeo_connect_sink_batches_total', help: 'Batches cut, by reason (age and shutdown cuts cost an extra intent commit)', labelNames: ['topic', 'cut'], registers }),
    writeSeconds: new Histogram({ name: 'bookeo_connect_sink_write_seconds', help: 'Destination write latency per batch, retries included', labelNames: ['topic'], buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60], registers }),
    writeRetries: new Counter({ name: 'bookeo_connect_sink_write_retries_total', help: 'Destination writes retried after a retriable failure', labelNames: ['topic'], registers }),
    deadLetters: new Counter({ name: 'bookeo_connect_sink_dead_letters_total', help: 'Records sent to the dead-letter topic, by stage (decode, write)', labelNames: ['topic', 'stage'], registers }),
    consumerLag: new Gauge({ name: 'bookeo_connect_sink_consumer_lag', help: 'High watermark minus the next offset to commit, per partition', labelNames: ['topic', 'partition'], registers }),
    pausedPartitions: new Gauge({ name: 'bookeo_connect_sink_paused_partitions', help: 'Partitions paused because their unwritten batches reached the buffer limit', registers }),
    commits: new Counter({ name: 'bookeo_connect_sink_offset_commits_total', help: 'Offset commits sent to the group coordinator', registers }),
  };
}
