/**
 * What a snapshot definition should do on this poll (pure): a full listing when none was done yet or the
 * snapshot interval has passed; otherwise, for definitions with a created-since filter (customers), a
 * pull of what was created since the created cursor (minus the look-back; the content-hash diff
 * drops repeats); otherwise nothing, so settings and webhooks cost no calls between snapshots.
 *
 * `createdCursorAfter` is where the created cursor moves once this step is published: the poll
 * time minus the safety lag, on our clock, because Bookeo's createdSince is on its clock and the
 * lag absorbs skew and late visibility. Only a full listing finds changes and deletions.
 *
 * Public API: planSnapshot(input): SnapshotStep
 */
import type { ResourceDefinition } from '../../bookeo/catalog/catalog.js';
import { formatBookeoTime } from '../../bookeo/catalog/windows.js';
import type { Query } from '../../bookeo/pagination.js';

export interface SnapshotPlanInput {
  readonly definition: ResourceDefinition;
  /** Epoch seconds of the last published full listing, if any. */
  readonly lastFullAt: number | undefined;
  /** Epoch seconds: entities created before this were already pulled (the previous step's createdCursorAfter). */
  readonly createdCursor: number | undefined;
  readonly now: number;
  readonly snapshotIntervalSeconds: number;
  readonly safetyLagSeconds: number;
  readonly lookbackSeconds: number;
}

export type SnapshotStep =
  | { readonly kind: 'full'; readonly query: Query; readonly createdCursorAfter: number }
  | {
      readonly kind: 'createdSince';
      readonly query: Query;
      readonly since: number;
      readonly createdCursorAfter: number;
    }
  | { readonly kind: 'none' };

export function planSnapshot(input: SnapshotPlanInput): SnapshotStep {
  const { definition } = input;
  if (definition.cursor.kind !== 'snapshot')
    throw new RangeError(`${definition.name} is not a snapshot resource (cursor kind ${definition.cursor.kind})`);
  const now = Math.floor(input.now);
  const createdCursorAfter = now - input.safetyLagSeconds;
  if (input.lastFullAt === undefined || now - input.lastFullAt >= input.snapshotIntervalSeconds) {
    return { kind: 'full', query: definition.params, createdCursorAfter };
  }
  const param = definition.cursor.createdSinceParam;
  if (param === undefined || input.createdCursor === undefined) return { kind: 'none' };
  const since = input.createdCursor - input.lookbackSeconds;
  return {
    kind: 'createdSince',
    query: { ...definition.params, [param]: formatBookeoTime(since) },
    since,
    createdCursorAfter: Math.max(createdCursorAfter, input.createdCursor),
  };
}
