/**
 * From re-read entities (or the items item-trust.ts lets stand for a re-read) to one commit step,
 * as the poll would publish them: the same record factory (so key, value and headers are the
 * poll's; `bookeo.request` says `webhook:<messageId>`), compared with what was published (a
 * snapshot resource's published state, a windowed resource's look-back memory and the webhook
 * memory of published-memory.ts), so an unchanged state publishes nothing. A gone entity becomes a
 * tombstone (a customer's linked people with it); a customer found has its linked people re-read
 * as the poll does for a changed customer. A superseded item (older than what is published) adds
 * nothing.
 *
 * Public API: buildDeliveryStep(reads, context): Promise<DeliveryStep>
 */
import { DELETED } from '../../../contract/idempotency-key.js';
import type { ResourceDefinition } from '../../../bookeo/catalog/catalog.js';
import type { OutgoingRecord } from '../../../kafka/records.js';
import { isNewOrChanged } from '../dedupe.js';
import type { SourceOffset } from '../offsets.js';
import { prepareEntity } from '../prepared-entity.js';
import type { PublishedState } from '../snapshot-state.js';
import { groupByParent } from '../snapshot-diff.js';
import {
  emptyOutput,
  outputRecords,
  refreshChildren,
  tombstoneChildren,
  type ChildStream,
  type StepOutput,
} from '../snapshot-stream.js';
import type { StreamContext } from '../stream-context.js';
import { GONE, SUPERSEDED, type EntityRead, type EntityTarget } from './entity-reads.js';
import { publishedVersions, webhookMemoryOffset, webhookMemoryPartition } from './published-memory.js';

export interface DeliveryStepContext {
  /** A stream context for a resource (its factory, the current committer and offsets). */
  contextOf(definition: ResourceDefinition): StreamContext;
  childOf(definition: ResourceDefinition): ChildStream | undefined;
  stateOf(definition: ResourceDefinition): PublishedState | undefined;
  readonly lookbackSeconds: number;
  readonly fetchedAt: string;
}

/** One resource's part of the step. */
export interface ResourceOutput {
  readonly definition: ResourceDefinition;
  readonly output: StepOutput;
}

export interface DeliveryStep {
  readonly records: OutgoingRecord[];
  readonly offsets: Array<{ partition: string; offset: SourceOffset }>;
  readonly parts: ResourceOutput[];
  /** The records each target would publish (none: unchanged). */
  readonly recordsOf: Map<EntityTarget, OutgoingRecord[]>;
}

export async function buildDeliveryStep(
  reads: readonly EntityRead[],
  context: DeliveryStepContext,
): Promise<DeliveryStep> {
  const parts = new Map<ResourceDefinition, StepOutput>();
  const partOf = (definition: ResourceDefinition): StepOutput => {
    let output = parts.get(definition);
    if (output === undefined) parts.set(definition, (output = emptyOutput()));
    return output;
  };
  const emitted = new Map<ResourceDefinition, Array<{ id: string; version: string; at: number }>>();
  const recordsOf = new Map<EntityTarget, OutgoingRecord[]>();
  for (const read of reads) {
    if ('error' in read || read.item === SUPERSEDED) continue;
    const output = partOf(read.target.definition);
    const before = new Set(outputRecords(output));
    const kind = read.target.definition.cursor.kind;
    if (kind === 'snapshot') await snapshotEntity(read, output, context);
    else if (kind === 'lastUpdatedWindow' || kind === 'timeWindow') {
      let versions = emitted.get(read.target.definition);
      if (versions === undefined) emitted.set(read.target.definition, (versions = []));
      await windowedEntity(read, output, versions, context);
    }
    recordsOf.set(
      read.target,
      outputRecords(output).filter((record) => !before.has(record)),
    );
  }
  const offsets = [...emitted]
    .filter(([, versions]) => versions.length > 0)
    .map(([definition, versions]) => {
      const { offsets: store } = context.contextOf(definition);
      return {
        partition: webhookMemoryPartition(definition.name),
        offset: webhookMemoryOffset(store, definition.name, context.lookbackSeconds, versions),
      };
    });
  return {
    records: [...parts.values()].flatMap(outputRecords),
    offsets,
    parts: [...parts].map(([definition, output]) => ({ definition, output })),
    recordsOf,
  };
}

function requestOf(target: EntityTarget): string {
  return `webhook:${target.deliveries[0]?.messageId ?? ''}`;
}

/** Bookings, payments: published unless the poll's look-back memory or an earlier delivery holds that version. */
async function windowedEntity(
  read: Extract<EntityRead, { item: unknown }>,
  output: StepOutput,
  versions: Array<{ id: string; version: string; at: number }>,
  context: DeliveryStepContext,
): Promise<void> {
  const { definition, id } = read.target;
  const stream = context.contextOf(definition);
  const [pollSeen, webhookSeen] = publishedVersions(stream.offsets, definition.name);
  // Earlier targets of this batch are in `versions` already: the memory as this step will leave it.
  const alreadyPublished = (version: string): boolean =>
    !isNewOrChanged(pollSeen, id, version) ||
    !isNewOrChanged(webhookSeen, id, version) ||
    versions.some((entry) => entry.id === id && entry.version === version);
  if (read.item === GONE) {
    if (alreadyPublished(DELETED)) return;
    output.tombstones.push(stream.factory.tombstone(id, requestOf(read.target), context.fetchedAt));
    versions.push({ id, version: DELETED, at: Math.floor(stream.now() / 1000) });
    return;
  }
  const entity = await prepareEntity(definition, stream.factory, read.item, requestOf(read.target), context.fetchedAt);
  if (entity.built.kind === 'upsert' && alreadyPublished(entity.hash)) return;
  output.built.push(entity.built);
  if (entity.built.kind === 'upsert')
    versions.push({ id: entity.id, version: entity.hash, at: entity.at ?? Math.floor(stream.now() / 1000) });
}

/** Customers: compared with the published state; a gone customer takes their linked people along. */
async function snapshotEntity(
  read: Extract<EntityRead, { item: unknown }>,
  output: StepOutput,
  context: DeliveryStepContext,
): Promise<void> {
  const { definition, id } = read.target;
  const stream = context.contextOf(definition);
  const state = context.stateOf(definition) as PublishedState;
  const child = context.childOf(definition);
  const groups = child === undefined ? undefined : groupByParent(child.state);
  if (read.item === GONE) {
    if (!state.has(id)) return;
    const tombstone = stream.factory.tombstone(id, requestOf(read.target), context.fetchedAt);
    output.tombstones.push(tombstone);
    output.apply.push([tombstone, () => state.delete(id)]);
    if (child !== undefined && groups !== undefined) tombstoneChildren(child, groups, id, context.fetchedAt, output);
    return;
  }
  const entity = await prepareEntity(definition, stream.factory, read.item, requestOf(read.target), context.fetchedAt);
  if (entity.built.kind === 'dead_letter' || state.get(entity.id) !== entity.hash) {
    output.built.push(entity.built);
    if (entity.built.kind === 'upsert')
      output.apply.push([entity.built.record, () => state.set(entity.id, entity.hash)]);
  }
  if (child !== undefined && groups !== undefined && entity.built.kind === 'upsert')
    await refreshChildren(stream, child, groups, entity.id, context.fetchedAt, output);
}
