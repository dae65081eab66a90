/**
 * The sink runner's Prometheus metrics, labelled per topic (and partition for lag). Created once
 * per process from the registry main made; the runner only calls these handles. Rows per second is
 * `rate(bookeo_connect_sink_records_total[1m])`.
 */
import {
  counter,
  gauge,
  histogram,
  type Counter,
  type Gauge,
  type Histogram,
  type Registry,
} from '../../common/metrics.js';

export interface SinkMetrics {
  /** kind: upsert, delete, dead_letter. */
  readonly records: Counter<'topic' | 'kind'>;
  readonly batchRows: Histogram<'topic'>;
  readonly batchBytes: Histogram<'topic'>;
  /** cut: rows, bytes, intent, age, caught-up, shutdown. */
  readonly batches: Counter<'topic' | 'cut'>;
  readonly writeSeconds: Histogram<'topic'>;
  readonly writeRetries: Counter<'topic'>;
  readonly deadLetters: Counter<'topic' | 'stage'>;
  /** 1 while a topic's last `sink.deadLetterAlarm` records all went to the dead-letter topic (dead-letter-streaks.ts). */
  readonly resourceDeadLettering: Gauge<'topic'>;
  readonly consumerLag: Gauge<'topic' | 'partition'>;
  readonly pausedPartitions: Gauge;
  readonly commits: Counter;
}

export function createSinkMetrics(registry: Registry): SinkMetrics {
  return {
    records: counter(registry, {
      name: 'bookeo_connect_sink_records_total',
      help: 'Records settled (written or dead-lettered) by kind',
      labelNames: ['topic', 'kind'],
    }),
    batchRows: histogram(registry, {
      name: 'bookeo_connect_sink_batch_rows',
      help: 'Kafka records per batch',
      labelNames: ['topic'],
      buckets: [1, 10, 100, 1_000, 10_000, 50_000, 100_000, 500_000],
    }),
    batchBytes: histogram(registry, {
      name: 'bookeo_connect_sink_batch_bytes',
      help: 'Key+value bytes per batch',
      labelNames: ['topic'],
      buckets: [1e3, 1e4, 1e5, 1e6, 1e7, 6.4e7, 2.56e8],
    }),
    batches: counter(registry, {
      name: 'bookeo_connect_sink_batches_total',
      help: 'Batches cut, by reason (age, caught-up and shutdown cuts cost an extra intent commit)',
      labelNames: ['topic', 'cut'],
    }),
    writeSeconds: histogram(registry, {
      name: 'bookeo_connect_sink_write_seconds',
      help: 'Destination write latency per batch, retries included',
      labelNames: ['topic'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    }),
    writeRetries: counter(registry, {
      name: 'bookeo_connect_sink_write_retries_total',
      help: 'Destination writes retried after a retriable failure',
      labelNames: ['topic'],
    }),
    deadLetters: counter(registry, {
      name: 'bookeo_connect_sink_dead_letters_total',
      help: 'Records sent to the dead-letter topic, by stage (decode, write)',
      labelNames: ['topic', 'stage'],
    }),
    resourceDeadLettering: gauge(registry, {
      name: 'bookeo_connect_sink_resource_dead_lettering',
      help: '1 while every recent record of the topic went to the dead-letter topic (sink.deadLetterAlarm in a row), else 0',
      labelNames: ['topic'],
    }),
    consumerLag: gauge(registry, {
      name: 'bookeo_connect_sink_consumer_lag',
      help: 'High watermark minus the next offset to commit, per partition',
      labelNames: ['topic', 'partition'],
    }),
    pausedPartitions: gauge(registry, {
      name: 'bookeo_connect_sink_paused_partitions',
      help: 'Partitions paused because their unwritten batches reached the buffer limit',
    }),
    commits: counter(registry, {
      name: 'bookeo_connect_sink_offset_commits_total',
      help: 'Offset commits sent to the group coordinator',
    }),
  };
}
