/**
 * Windowed resources (bookings on lastUpdated*, payments on startTime/endTime).
 *
 * One poll plans windows from the saved cursor (catalog/windows.ts), fetches up to
 * `parallelWindows` of them at once within the account's rate budget, and commits them strictly
 * in plan order (ordered-units.ts): each window's records and the new cursor go out in one Kafka
 * transaction, so the cursor never passes a window that is not in Kafka. A window whose page 1
 * reports more than `maxRecordsPerTransaction` items is split by time, and its parts take its place
 * in the plan as windows of their own (split again if still too full). So a transaction holds at
 * most about `maxRecordsPerTransaction` records and the stream holds at most `parallelWindows`
 * fetched windows, whatever the density of the data: memory does not grow with the backfill.
 *
 * The offset also carries the look-back memory (catalog/dedupe.ts), so the overlap that each poll
 * re-reads never re-emits an unchanged entity, across restarts too; what webhook deliveries
 * published is skipped the same way (webhooks/published-memory.ts).
 */
import { performance } from 'node:perf_hooks';
import {
  decodeSeen,
  encodeSeen,
  isNewOrChanged,
  lookbackHorizon,
  rememberEmitted,
  type SeenVersions,
} from './dedupe.js';
import type { WindowedStrategy } from '../../bookeo/catalog/catalog.js';
import { listRequest } from '../../bookeo/catalog/requests.js';
import {
  formatBookeoTime,
  maxWindowSeconds,
  parseBackfillFrom,
  planWindows,
  type TimeWindow,
} from '../../bookeo/catalog/windows.js';
import { runOrderedUnits, type FetchOutcome } from './ordered-units.js';
import { prepareEntity, type PreparedEntity } from './prepared-entity.js';
import { recordCommitted, type StreamContext } from './stream-context.js';
import { readWebhookMemory } from './webhooks/published-memory.js';

/** Smallest window worth splitting further (seconds): below it a dense window is taken whole. */
const MIN_SPLIT_SECONDS = 60;

export function windowLabel(window: TimeWindow): string {
  return `${formatBookeoTime(window.start)}/${formatBookeoTime(window.end)}`;
}

export function splitWindow(window: TimeWindow, parts: number): TimeWindow[] {
  const span = window.end - window.start + 1;
  const count = Math.max(1, Math.min(parts, Math.floor(span / MIN_SPLIT_SECONDS)));
  const out: TimeWindow[] = [];
  for (let index = 0, start = window.start; index < count; index++) {
    const end = index === count - 1 ? window.end : window.start + Math.floor((span * (index + 1)) / count) - 1;
    out.push({ start, end });
    start = end + 1;
  }
  return out;
}

export async function pollWindowed(context: StreamContext, maxRecordsPerTransaction: number): Promise<void> {
  const { definition, settings } = context;
  const strategy = definition.cursor as WindowedStrategy;
  let saved = context.offsets.get(definition.name);
  let cursor = typeof saved?.cursor === 'number' ? saved.cursor : undefined;
  let seen: SeenVersions = decodeSeen(typeof saved?.seen === 'string' ? saved.seen : undefined);
  const plan = planWindows({
    cursor,
    backfillFrom: parseBackfillFrom(settings.backfillFrom),
    now: context.now() / 1000,
    safetyLagSeconds: settings.safetyLagSeconds,
    lookbackSeconds: settings.lookbackSeconds,
    maxWindowSeconds: maxWindowSeconds(strategy),
  });
  if (plan.length === 0) return;

  const backfill = plan.length > 1;
  context.status.update(context.account, definition.name, {
    state: backfill ? 'backfilling' : 'running',
    progress: backfill ? { done: 0, total: plan.length } : null,
  });
  // Planned windows tile, and split parts are committed in order, so a planned window is complete
  // exactly when the cursor reaches its end.
  let windowsDone = 0;
  const reportProgress = (): void => {
    const before = windowsDone;
    while (windowsDone < plan.length && cursor !== undefined && (plan[windowsDone] as TimeWindow).end <= cursor)
      windowsDone++;
    if (!backfill || windowsDone === before) return;
    context.status.update(context.account, definition.name, { progress: { done: windowsDone, total: plan.length } });
    context.logger.info(
      {
        resource: definition.name,
        windows: `${windowsDone}/${plan.length}`,
        cursor: cursor === undefined ? null : formatBookeoTime(cursor),
      },
      'backfill progress',
    );
  };

  const commit = async (window: TimeWindow, fetched: FetchedWindow): Promise<void> => {
    const { entities, readAt } = fetched;
    // What a webhook delivery already published of this resource is not published again.
    const webhookSeen = readWebhookMemory(context.offsets, definition.name);
    const emitted = entities.filter(
      (entity) => isNewOrChanged(seen, entity.id, entity.hash) && isNewOrChanged(webhookSeen, entity.id, entity.hash),
    );
    const nextCursor = Math.max(cursor ?? window.end, window.end);
    const nextSeen = rememberEmitted(
      seen,
      emitted.map((entity) => ({ id: entity.id, version: entity.hash, at: entity.at ?? window.end })),
      lookbackHorizon(nextCursor, settings.lookbackSeconds),
    );
    const offset = { cursor: nextCursor, seen: encodeSeen(nextSeen) };
    await context.committer.commit({
      records: emitted.map((entity) => entity.built.record),
      offsets: [{ partition: definition.name, offset }],
      basedOn: { partition: definition.name, offset: saved },
      readAt,
    });
    saved = offset;
    cursor = nextCursor;
    seen = nextSeen;
    recordCommitted(
      context,
      definition.name,
      emitted.map((entity) => entity.built),
      0,
      formatBookeoTime(nextCursor),
    );
    reportProgress();
  };

  const abort = new AbortController();
  const signal = AbortSignal.any([context.signal, abort.signal]);
  try {
    await runOrderedUnits(plan, {
      limit: settings.parallelWindows,
      fetch: (window) => fetchWindow(context, window, maxRecordsPerTransaction, signal),
      commit,
    });
    context.status.update(context.account, definition.name, { state: 'running', progress: null });
  } finally {
    abort.abort();
  }
}

interface FetchedWindow {
  readonly entities: readonly PreparedEntity[];
  /** When the window's first page was asked for (performance.now). */
  readonly readAt: number;
}

/** One window's entities (latest version per id), or its parts when page 1 shows it holds too many for one transaction. */
async function fetchWindow(
  context: StreamContext,
  window: TimeWindow,
  maxRecords: number,
  signal: AbortSignal,
): Promise<FetchOutcome<TimeWindow, FetchedWindow>> {
  const { definition } = context;
  const readAt = performance.now();
  const label = windowLabel(window);
  // Latest version per id: a restarted pagination may hand an entity twice.
  const entities = new Map<string, PreparedEntity>();
  for await (const page of context.client.list(listRequest(definition, { window }), { signal })) {
    if (
      page.pageNumber === 1 &&
      page.totalItems > maxRecords &&
      window.end - window.start + 1 >= 2 * MIN_SPLIT_SECONDS
    ) {
      const parts = splitWindow(window, Math.ceil(page.totalItems / maxRecords));
      context.logger.debug(
        { resource: definition.name, window: label, totalItems: page.totalItems, parts: parts.length },
        'window too large for one transaction, splitting',
      );
      return { kind: 'split', parts };
    }
    const fetchedAt = new Date(context.now()).toISOString();
    for (const item of page.items) {
      const entity = await prepareEntity(definition, context.factory, item, label, fetchedAt);
      entities.set(entity.id, entity);
    }
  }
  return { kind: 'fetched', result: { entities: [...entities.values()], readAt } };
}
