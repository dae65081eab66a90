/**
 * Change detection for resources without an "updated since" filter (customers, settings,
 * webhooks, linked people): compare a full listing with what was last published, by content hash
 * (content-hash.ts). The previous state (id → hash) is rebuilt at start from the compacted topic.
 *
 * Public API:
 *   diffSnapshot(previous, listing, idOf): { upserts, deletedIds, unchanged, listed }
 *   diffIncrement(previous, items, idOf): { upserts, unchanged }   (partial listing, e.g. createdSince)
 *   groupByParent(previous): parentId → that parent's child state (for child resources)
 *   canonicalJson, contentHash   (re-exported from content-hash.ts, where they live)
 */
import { contentHash } from '../../bookeo/catalog/content-hash.js';

export { canonicalJson, contentHash } from '../../bookeo/catalog/content-hash.js';

export interface SnapshotEntry<T> {
  readonly id: string;
  readonly hash: string;
  readonly item: T;
}

export interface SnapshotDiff<T> {
  /** New or changed entities, in listing order, with their hash (store it once published). */
  readonly upserts: readonly SnapshotEntry<T>[];
  /** Ids in the previous state that the full listing no longer has: publish tombstones. */
  readonly deletedIds: readonly string[];
  readonly unchanged: number;
  /** id → hash of every entity of the listing: the state to keep once the diff is published. */
  readonly listed: ReadonlyMap<string, string>;
}

function collect<T>(
  previous: ReadonlyMap<string, string>,
  items: Iterable<T>,
  idOf: (item: T) => string,
): { seen: Map<string, SnapshotEntry<T>>; upserts: SnapshotEntry<T>[]; unchanged: number } {
  const seen = new Map<string, SnapshotEntry<T>>();
  for (const item of items) {
    const id = idOf(item);
    seen.set(id, { id, hash: contentHash(item), item });
  }
  const upserts: SnapshotEntry<T>[] = [];
  let unchanged = 0;
  for (const entry of seen.values()) {
    if (previous.get(entry.id) === entry.hash) unchanged++;
    else upserts.push(entry);
  }
  return { seen, upserts, unchanged };
}

/**
 * Full listing vs previous state. A listing that repeats an id (pages shifting under a live
 * query) yields it once, with its last content.
 */
export function diffSnapshot<T>(
  previous: ReadonlyMap<string, string>,
  listing: Iterable<T>,
  idOf: (item: T) => string,
): SnapshotDiff<T> {
  const { seen, upserts, unchanged } = collect(previous, listing, idOf);
  const deletedIds = [...previous.keys()].filter((id) => !seen.has(id)).sort();
  return { upserts, deletedIds, unchanged, listed: new Map([...seen.values()].map((entry) => [entry.id, entry.hash])) };
}

/** A partial listing (created-since pull) can reveal upserts but never deletes. */
export function diffIncrement<T>(
  previous: ReadonlyMap<string, string>,
  items: Iterable<T>,
  idOf: (item: T) => string,
): Pick<SnapshotDiff<T>, 'upserts' | 'unchanged'> {
  const { upserts, unchanged } = collect(previous, items, idOf);
  return { upserts, unchanged };
}

/**
 * Previous child state grouped by parent (child ids are `<parentId>/<id>`), built once per run
 * so each changed parent's children diff against their own slice with diffSnapshot (which then
 * also yields the children removed from that parent).
 */
export function groupByParent(previous: ReadonlyMap<string, string>): Map<string, Map<string, string>> {
  const groups = new Map<string, Map<string, string>>();
  for (const [id, hash] of previous) {
    const slash = id.indexOf('/');
    if (slash < 0) continue;
    const parentId = id.slice(0, slash);
    let group = groups.get(parentId);
    if (group === undefined) groups.set(parentId, (group = new Map()));
    group.set(id, hash);
  }
  return groups;
}
