/**
 * What webhook deliveries published of a windowed resource (bookings, payments), kept in the
 * offsets topic beside the resource's cursor, under the partition `webhooks/<resource>`, written
 * in the same transaction as the records. A poll's window re-reads entities a delivery already
 * published: it skips those whose version this memory holds, across restarts too. Entries are kept
 * while the poll can still re-read them (version time at or after the look-back horizon of the
 * resource's cursor), as the poll's own look-back memory is (dedupe.ts).
 *
 * Public API: webhookMemoryPartition, readWebhookMemory, webhookMemoryOffset, publishedVersions
 */
import { decodeSeen, encodeSeen, lookbackHorizon, rememberEmitted, type SeenVersions } from '../dedupe.js';
import type { OffsetStore, SourceOffset } from '../offsets.js';

export function webhookMemoryPartition(resource: string): string {
  return `webhooks/${resource}`;
}

export function readWebhookMemory(offsets: Pick<OffsetStore, 'get'>, resource: string): SeenVersions {
  const saved = offsets.get(webhookMemoryPartition(resource))?.seen;
  return decodeSeen(typeof saved === 'string' ? saved : undefined);
}

/** What is recorded as published of a windowed resource: the poll's look-back memory and this webhook memory. */
export function publishedVersions(offsets: Pick<OffsetStore, 'get'>, resource: string): [SeenVersions, SeenVersions] {
  const saved = offsets.get(resource)?.seen;
  return [decodeSeen(typeof saved === 'string' ? saved : undefined), readWebhookMemory(offsets, resource)];
}

/** The memory's offset after deliveries published `emitted` (forgetting what the resource's poll can no longer re-read). */
export function webhookMemoryOffset(
  offsets: Pick<OffsetStore, 'get'>,
  resource: string,
  lookbackSeconds: number,
  emitted: Iterable<{ readonly id: string; readonly version: string; readonly at: number }>,
): SourceOffset {
  const cursor = offsets.get(resource)?.cursor;
  const horizon = typeof cursor === 'number' ? lookbackHorizon(cursor, lookbackSeconds) : Number.NEGATIVE_INFINITY;
  return { seen: encodeSeen(rememberEmitted(readWebhookMemory(offsets, resource), emitted, horizon)) };
}
