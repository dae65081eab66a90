/**
 * The periodic sweep of a windowed resource: what polling on "last changed" can never see.
 *
 * Bookeo hard-deletes bookings (e.g. with their customer) and nothing about them is then listed
 * anywhere; only the `deleted` webhook would tell. So every `sweepIntervalSeconds` the windows
 * already covered (backfillFrom .. cursor) are listed again and compared with what the topic holds
 * (ids and content hashes, rebuilt from the topic's headers): entities that differ, and did not
 * change after the cursor (the windows publish those), are published,
 * and ids that vanished get a tombstone once `GET <itemPath>` confirms them gone (404). The check
 * matters: an entity edited during the sweep moves past the swept range and would otherwise look
 * deleted. The sweep never moves the cursor; its own offset only remembers when it last ran.
 */
import { performance } from 'node:perf_hooks';
import { createLimiter } from '../../common/limiter.js';
import { BookeoApiError } from '../../bookeo/errors.js';
import type { WindowedStrategy } from '../../bookeo/catalog/catalog.js';
import { listRequest } from '../../bookeo/catalog/requests.js';
import {
  formatBookeoTime,
  maxWindowSeconds,
  parseBackfillFrom,
  planWindows,
  type TimeWindow,
} from '../../bookeo/catalog/windows.js';
import { prepareEntity } from './prepared-entity.js';
import type { PublishedState } from './snapshot-state.js';
import { recordCommitted, type StreamContext } from './stream-context.js';

export function sweepPartition(resource: string): string {
  return `${resource}#sweep`;
}

/** Runs a sweep when one is due. The first backfill counts as a sweep, so the clock starts then. */
export async function sweepIfDue(context: StreamContext, loadState: () => Promise<PublishedState>): Promise<void> {
  const { definition, settings } = context;
  if (settings.sweepIntervalSeconds === 0 || definition.itemPath === undefined) return;
  const cursor = context.offsets.get(definition.name)?.cursor;
  if (typeof cursor !== 'number') return;
  const nowSeconds = Math.floor(context.now() / 1000);
  const lastSweepAt = context.offsets.get(sweepPartition(definition.name))?.lastSweepAt;
  if (typeof lastSweepAt === 'number' && nowSeconds - lastSweepAt < settings.sweepIntervalSeconds) return;
  if (typeof lastSweepAt === 'number') await sweep(context, cursor, await loadState());
  await context.committer.commit({
    records: [],
    offsets: [{ partition: sweepPartition(definition.name), offset: { lastSweepAt: nowSeconds } }],
  });
}

async function sweep(context: StreamContext, cursor: number, state: PublishedState): Promise<void> {
  const { definition, settings } = context;
  const windows = planWindows({
    cursor: undefined,
    backfillFrom: parseBackfillFrom(settings.backfillFrom),
    now: cursor,
    safetyLagSeconds: 0,
    lookbackSeconds: 0,
    maxWindowSeconds: maxWindowSeconds(definition.cursor as WindowedStrategy),
  });
  const listed = new Set<string>();
  // `parallelWindows` windows at a time, as a backfill reads them; the rate budget paces the calls.
  // The first failure stops the others (the sweep is retried whole at the next poll).
  const abort = new AbortController();
  const signal = AbortSignal.any([context.signal, abort.signal]);
  const limit = createLimiter(settings.parallelWindows);
  const guarded = (task: () => Promise<void>): Promise<void> =>
    limit(task).catch((error: unknown) => {
      abort.abort();
      throw error;
    });
  const sweepWindow = async (window: TimeWindow): Promise<void> => {
    const label = `sweep:${formatBookeoTime(window.start)}/${formatBookeoTime(window.end)}`;
    // For the publication ledger: a webhook that read an entity after this is newer.
    const readAt = performance.now();
    for await (const page of context.client.list(listRequest(definition, { window }), { signal })) {
      const fetchedAt = new Date(context.now()).toISOString();
      const prepared = await Promise.all(
        page.items.map((item) => prepareEntity(definition, context.factory, item, label, fetchedAt)),
      );
      // Filtered and marked listed in one synchronous step: an entity met by two windows at once
      // (edited during the sweep) is published once. One changed after the cursor is the windows'
      // to publish (pages past the first show an entity as it is now, not as the query matched it):
      // published here too, the next window would publish the same version again.
      const changed = prepared.filter(
        (entity) =>
          !listed.has(entity.id) &&
          state.get(entity.id) !== entity.hash &&
          !(entity.at !== undefined && entity.at > cursor),
      );
      for (const entity of prepared) listed.add(entity.id);
      if (changed.length === 0) continue;
      await context.committer.commit({ records: changed.map((entity) => entity.built.record), offsets: [], readAt });
      recordCommitted(
        context,
        definition.name,
        changed.map((entity) => entity.built),
        0,
        null,
      );
    }
  };
  const gone = new Set<string>();
  let unlisted: string[];
  try {
    await Promise.all(windows.map((window) => guarded(() => sweepWindow(window))));
    unlisted = [...state.keys()].filter((id) => !listed.has(id));
    await Promise.all(
      unlisted.map((id) =>
        guarded(async () => {
          if (await isGone(context, id, signal)) gone.add(id);
        }),
      ),
    );
  } finally {
    abort.abort();
  }
  const vanished = unlisted.filter((id) => gone.has(id));
  if (vanished.length === 0) return;
  const fetchedAt = new Date(context.now()).toISOString();
  await context.committer.commit({
    records: vanished.map((id) => context.factory.tombstone(id, 'sweep:deleted', fetchedAt)),
    offsets: [],
  });
  recordCommitted(context, definition.name, [], vanished.length, null);
  context.logger.info({ resource: definition.name, deleted: vanished.length }, 'sweep found hard-deleted entities');
}

async function isGone(context: StreamContext, id: string, signal: AbortSignal): Promise<boolean> {
  try {
    await context.client.getJson(
      (context.definition.itemPath as string).replace('{id}', encodeURIComponent(id)),
      {},
      { signal, label: context.definition.name },
    );
    return false;
  } catch (error) {
    if (error instanceof BookeoApiError && (error.status === 404 || error.status === 410)) return true;
    throw error;
  }
}
