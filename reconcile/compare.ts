/**
 * The comparison itself, pure: Bookeo now vs the topic's latest state vs the destination table,
 * for one resource of one account.
 *
 * - Bookeo → topic: an entity Bookeo has is `missing` when the topic has no live record of it,
 *   `stale` when the topic's latest record carries another content hash; a live topic entity
 *   Bookeo no longer has is `extra` (deleted at Bookeo, tombstone not yet written).
 * - Topic → table: judged only for records the sink's group has committed past (later ones are
 *   in flight, not wrong): a live key absent from the table is `missing`, a version other than the
 *   topic's offset `stale`, a row for a deleted or unknown key `extra`.
 * - Entities whose version time at Bookeo is newer than `graceFrom` are in flight too: the source
 *   reads up to now − safety lag, on its poll interval.
 */
import type { LatestEntry } from '../contract/latest-state.js';
import type { ResourceState } from './bookeo-state.js';

export type DifferenceKind = 'missing' | 'extra' | 'stale';
export type Layer = 'topic' | 'table';

export interface Difference {
  readonly layer: Layer;
  readonly kind: DifferenceKind;
  readonly id: string;
}

export interface Comparison {
  readonly bookeo: number;
  /** Live (not tombstoned) keys in the topic. */
  readonly topic: number;
  readonly table: number;
  /** Entities not judged yet: changed at Bookeo within the grace period, or not yet committed by the sink. */
  readonly inFlight: number;
  readonly differences: readonly Difference[];
}

export interface CompareInput {
  /** Undefined: Bookeo was not read (topic and table only). */
  readonly bookeo: ResourceState | undefined;
  readonly topic: ReadonlyMap<string, LatestEntry>;
  /** Entity id → version (offset) held by the table; undefined: the table was not read. */
  readonly table: ReadonlyMap<string, number> | undefined;
  /** Partition → next offset the sink will read (its committed offset); absent: nothing committed. */
  readonly committed: ReadonlyMap<number, number>;
  /** Epoch seconds; Bookeo entities with a newer version time are in flight. */
  readonly graceFrom: number;
}

export function compare(input: CompareInput): Comparison {
  const differences: Difference[] = [];
  const inFlight = new Set<string>();
  const { bookeo, topic, table, committed } = input;
  let liveInTopic = 0;
  for (const entry of topic.values()) if (entry.hash !== null) liveInTopic++;

  if (bookeo !== undefined) {
    for (const [id, entity] of bookeo) {
      const entry = topic.get(id);
      if (entry !== undefined && entry.hash === entity.hash) continue;
      if (entity.at !== undefined && entity.at > input.graceFrom) inFlight.add(id);
      else
        differences.push({
          layer: 'topic',
          kind: entry === undefined || entry.hash === null ? 'missing' : 'stale',
          id,
        });
    }
    for (const [id, entry] of topic)
      if (entry.hash !== null && !bookeo.has(id)) differences.push({ layer: 'topic', kind: 'extra', id });
  }

  if (table !== undefined) {
    for (const [id, entry] of topic) {
      if (entry.offset >= (committed.get(entry.partition) ?? 0)) {
        inFlight.add(id);
        continue;
      }
      const version = table.get(id);
      if (entry.hash === null) {
        if (version !== undefined) differences.push({ layer: 'table', kind: 'extra', id });
      } else if (version === undefined) differences.push({ layer: 'table', kind: 'missing', id });
      else if (version !== entry.offset) differences.push({ layer: 'table', kind: 'stale', id });
    }
    for (const id of table.keys()) if (!topic.has(id)) differences.push({ layer: 'table', kind: 'extra', id });
  }
  return {
    bookeo: bookeo?.size ?? 0,
    topic: liveInTopic,
    table: table?.size ?? 0,
    inFlight: inFlight.size,
    differences,
  };
}
