/** What every resource stream of a task is given: its definition, its clients, its door to Kafka, and where to report. */
import type { AppConfig } from '../../common/config/schema.js';
import type { Logger } from '../../common/logger.js';
import type { BookeoAccountClient } from '../../bookeo/client.js';
import type { ResourceDefinition } from '../../bookeo/catalog/catalog.js';
import type { OffsetStore } from './offsets.js';
import type { Committer } from './committer.js';
import type { SourceMetrics } from './metrics.js';
import type { BuiltRecord, RecordFactory } from './record-factory.js';
import type { StatusBoard } from './status.js';

export interface StreamContext {
  readonly account: string;
  readonly definition: ResourceDefinition;
  readonly client: BookeoAccountClient;
  readonly factory: RecordFactory;
  readonly committer: Committer;
  readonly offsets: OffsetStore;
  readonly settings: AppConfig['source'];
  /** Epoch milliseconds; Bookeo's clock as far as we can tell (the simulator's in tests). */
  readonly now: () => number;
  readonly status: StatusBoard;
  readonly metrics: SourceMetrics;
  readonly logger: Logger;
  readonly signal: AbortSignal;
}

/** Counts what a step committed, by kind, into metrics and status. */
export function recordCommitted(
  context: StreamContext,
  resource: string,
  built: readonly BuiltRecord[],
  tombstones: number,
  cursor: string | null,
): void {
  const labels = { account: context.account, resource };
  // Counted here and added once per kind: a step holds thousands of records, a metric update costs a label lookup.
  const counts = new Map<BuiltRecord['kind'], number>();
  let bytes = 0;
  for (const item of built) {
    counts.set(item.kind, (counts.get(item.kind) ?? 0) + 1);
    bytes += item.bytes;
  }
  for (const [kind, count] of counts) context.metrics.records.inc({ ...labels, kind }, count);
  if (tombstones > 0) context.metrics.records.inc({ ...labels, kind: 'tombstone' }, tombstones);
  context.metrics.bytes.inc(labels, bytes);
  context.status.committed(context.account, resource, built.length + tombstones, cursor);
}
