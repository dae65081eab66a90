/**
 * "No re-emission of an unchanged entity at a window boundary." The look-back (windows.ts) re-reads
 * [cursor + 1 - lookback, cursor] on each poll; entities found there were usually published by the
 * previous poll already. We remember, for exactly that overlap, what was last emitted (id →
 * version, where version is the content hash) and emit only entities that are new or changed.
 *
 * The memory is small (only entities whose version time falls inside the look-back) and is meant
 * to travel with the cursor in the source offset (`encodeSeen`/`decodeSeen`), so a restart keeps it.
 * If it is lost, the only cost is some duplicates, which compacted topics and idempotent sinks
 * absorb: never a lost change.
 *
 * Public API: isNewOrChanged, rememberEmitted, lookbackHorizon, encodeSeen, decodeSeen, SeenVersions
 */

export interface SeenEntry {
  /** Content hash (or any exact version string) of what was emitted. */
  readonly version: string;
  /** The entity's version time (epoch seconds), used to forget it once past the look-back. */
  readonly at: number;
}

export type SeenVersions = ReadonlyMap<string, SeenEntry>;

export function isNewOrChanged(seen: SeenVersions, id: string, version: string): boolean {
  return seen.get(id)?.version !== version;
}

/** The oldest version time the next plan can re-read, given the cursor after this step. */
export function lookbackHorizon(cursor: number, lookbackSeconds: number): number {
  return cursor + 1 - lookbackSeconds;
}

/**
 * The memory after a step: previous entries plus those just emitted (latest wins), keeping only
 * versions the next plan can re-read (at >= horizon).
 */
export function rememberEmitted(
  seen: SeenVersions,
  emitted: Iterable<{ readonly id: string; readonly version: string; readonly at: number }>,
  horizon: number,
): Map<string, SeenEntry> {
  const next = new Map<string, SeenEntry>();
  for (const [id, entry] of seen) if (entry.at >= horizon) next.set(id, entry);
  for (const { id, version, at } of emitted) {
    if (at >= horizon) next.set(id, { version, at });
    else next.delete(id);
  }
  return next;
}

/** Compact JSON `[[id, version, at], ...]`, sorted, for a source offset value. */
export function encodeSeen(seen: SeenVersions): string {
  const rows = [...seen]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([id, entry]) => [id, entry.version, entry.at]);
  return JSON.stringify(rows);
}

/** Inverse of encodeSeen; a missing or unreadable value gives an empty memory (costs duplicates only). */
export function decodeSeen(text: string | null | undefined): Map<string, SeenEntry> {
  const out = new Map<string, SeenEntry>();
  if (typeof text !== 'string' || text === '') return out;
  let rows: unknown;
  try {
    rows = JSON.parse(text);
  } catch {
    return out;
  }
  if (!Array.isArray(rows)) return out;
  for (const row of rows) {
    if (Array.isArray(row) && typeof row[0] === 'string' && typeof row[1] === 'string' && typeof row[2] === 'number') {
      out.set(row[0], { version: row[1], at: row[2] });
    }
  }
  return out;
}
