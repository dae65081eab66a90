/**
 * Windowed resources (bookings on lastUpdated*, payments on startTime/endTime).
 *
 * One poll plans windows from the saved cursor (catalog/windows.ts), fetches up to
 * `parallelWindows` of them at once within the account's rate budget, and commits them strictly
 * in plan order: each window's records and the new cursor go out in one Kafka transaction, so
 * the cursor never passes a window that is not in Kafka. A window whose page 1 reports more than
 * `maxRecordsPerTransaction` items is split by time and its parts committed one by one, which
 * bounds transaction size. Memory is not bounded yet: the parts of a split window are all fetched
 * before the first is committed (see the README's benchmark notes; the parts should become
 * separate units of the plan).
 *
 * The offset also carries the look-back memory (catalog/dedupe.ts), so the overlap that each poll
 * re-reads never re-emits an unchanged entity, across restarts too.
 */
import { decodeSeen, encodeSeen, isNewOrChanged, lookbackHorizon, rememberEmitted, type SeenVersions } from '../catalog/dedupe.js';
import type { WindowedStrategy } from '../catalog/catalog.js';
import { listRequest } from '../catalog/requests.js';
import { formatBookeoTime, maxWindowSeconds, parseBackfillFrom, planWindows, type TimeWindow } from '../catalog/windows.js';
import { prepareEntity, type PreparedEntity } from './prepared-entity.js';
import { recordCommitted, type StreamContext } from './stream-context.js';

interface FetchedWindow {
  readonly window: TimeWindow;
  readonly entities: readonly PreparedEntity[];
}

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
  const { row, settings } = context;
  const strategy = row.cursor as WindowedStrategy;
  const saved = context.offsets.get(row.name);
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
  updateLag(context, cursor);
  if (plan.length === 0) return;

  const backfill = plan.length > 1;
  context.status.update(context.account, row.name, { state: backfill ? 'backfilling' : 'running', progress: backfill ? { done: 0, total: plan.length } : null });
  const abort = new AbortController();
  const signal = AbortSignal.any([context.signal, abort.signal]);
  const inFlight: Promise<FetchedWindow[]>[] = [];
  let next = 0;
  const launch = (): void => {
    while (inFlight.length < settings.parallelWindows && next < plan.length) {
      const pending = fetchWindow(context, plan[next++] as TimeWindow, maxRecordsPerTransaction, signal);
      pending.catch(() => undefined); // awaited in order below; this only prevents an unhandled rejection meanwhile
      inFlight.push(pending);
    }
  };

  try {
    launch();
    for (let done = 0; inFlight.length > 0; done++) {
      const parts = await (inFlight.shift() as Promise<FetchedWindow[]>);
      for (const part of parts) {
        const emitted = part.entities.filter((entity) => isNewOrChanged(seen, entity.id, entity.hash));
        const nextCursor = Math.max(cursor ?? part.window.end, part.window.end);
        const nextSeen = rememberEmitted(
          seen,
          emitted.map((entity) => ({ id: entity.id, version: entity.hash, at: entity.at ?? part.window.end })),
          lookbackHorizon(nextCursor, settings.lookbackSeconds),
        );
        const offset = { cursor: nextCursor, seen: encodeSeen(nextSeen) };
        await context.committer.commit({ records: emitted.map((entity) => entity.built.record), offsets: [{ partition: row.name, offset }] });
        cursor = nextCursor;
        seen = nextSeen;
        recordCommitted(context, row.name, emitted.map((entity) => entity.built), 0, formatBookeoTime(nextCursor));
        updateLag(context, cursor);
      }
      if (backfill) {
        context.status.update(context.account, row.name, { progress: { done: done + 1, total: plan.length } });
        context.logger.info({ resource: row.name, windows: `${done + 1}/${plan.length}`, cursor: cursor === undefined ? null : formatBookeoTime(cursor) }, 'backfill progress');
      }
      launch();
    }
    context.status.update(context.account, row.name, { state: 'running', progress: null });
  } finally {
    abort.abort();
  }
}

async function fetchWindow(context: StreamContext, window: TimeWindow, maxRecords: number, signal: AbortSignal): Promise<FetchedWindow[]> {
  const { row } = context;
  const label = windowLabel(window);
  // Latest version per id: a restarted pagination may hand an entity twice.
  const entities = new Map<string, PreparedEntity>();
  for await (const page of context.client.list(listRequest(row, { window }), { signal })) {
    if (page.pageNumber === 1 && page.totalItems > maxRecords && window.end - window.start + 1 >= 2 * MIN_SPLIT_SECONDS) {
      const parts = splitWindow(window, Math.ceil(page.totalItems / maxRecords));
      context.logger.debug({ resource: row.name, window: label, totalItems: page.totalItems, parts: parts.length }, 'window too large for one transaction, splitting');
      const fetched: FetchedWindow[] = [];
      for (const part of parts) fetched.push(...(await fetchWindow(context, part, maxRecords, signal)));
      return fetched;
    }
    const fetchedAt = new Date(context.now()).toISOString();
    for (const item of page.items) {
      const entity = await prepareEntity(row, context.factory, item, label, fetchedAt, context.settings.deadLetterTopic);
      entities.set(entity.id, entity);
    }
  }
  return [{ window, entities: [...entities.values()] }];
}

function updateLag(context: StreamContext, cursor: number | undefined): void {
  if (cursor === undefined) return;
  context.metrics.cursorLagSeconds.set({ account: context.account, resource: context.row.name }, Math.max(0, context.now() / 1000 - cursor));
}
