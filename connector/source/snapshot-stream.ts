/**
 * Snapshot resources (customers, settings, webhooks) and their children (linked people).
 *
 * Bookeo cannot list these by update time, so a full listing is compared with what was last
 * published (content hashes, snapshot-state.ts). Each page's new and changed entities are
 * committed as the page arrives; entities the full listing no longer has become tombstones, with
 * the snapshot offset, once the listing is complete. Between full listings, a definition with a
 * created-since filter pulls new entities only.
 *
 * A listing can outlive its page token (a full listing reads every customer's linked people, which
 * takes hours on a large account). When Bookeo refuses the token, the paginator fetches the pages
 * again from page 1 but hands over only entities it has not handed over before (by content hash),
 * so nothing already handled is handled again: no parent is re-read, republished or has its
 * children re-read. The entities it skips were handed over, committed and counted as listed
 * before the restart, so the tombstone pass still knows them.
 *
 * Children are fetched for every new or changed parent, and for every parent on a full listing
 * (a child can change while its parent does not), then diffed against that parent's children;
 * a deleted parent's children are deleted with it, in the same transaction. A parent whose children
 * keep coming back malformed does not fail the listing: its children stay as published, a dead
 * letter names the call and what was wrong, and the next full listing reads them again.
 */
import { performance } from 'node:perf_hooks';
import { BookeoApiError, MalformedResponseError } from '../../bookeo/errors.js';
import { contentHash } from '../../bookeo/catalog/content-hash.js';
import { diffIncrement, diffSnapshot, groupByParent } from './snapshot-diff.js';
import { entityId } from '../../bookeo/catalog/entity.js';
import { listRequest } from '../../bookeo/catalog/requests.js';
import { planSnapshot } from './snapshot-plan.js';
import type { ResourceDefinition } from '../../bookeo/catalog/catalog.js';
import { formatBookeoTime } from '../../bookeo/catalog/windows.js';
import type { OutgoingRecord } from '../../kafka/records.js';
import { prepareEntity, type PreparedEntity } from './prepared-entity.js';
import type { CommitResult, CommitStep } from './committer.js';
import type { BuiltRecord, RecordFactory } from './record-factory.js';
import type { PublishedState } from './snapshot-state.js';
import { recordCommitted, type StreamContext } from './stream-context.js';

export interface ChildStream {
  readonly definition: ResourceDefinition;
  readonly factory: RecordFactory;
  readonly state: PublishedState;
}

/** The child stream of a parent definition (linked people of customers), if the task runs one. */
export function childStreamOf(
  parent: ResourceDefinition,
  definitions: readonly ResourceDefinition[],
  factories: ReadonlyMap<string, RecordFactory>,
  states: ReadonlyMap<string, PublishedState>,
): ChildStream | undefined {
  const definition = definitions.find(
    (candidate) => candidate.cursor.kind === 'child' && candidate.cursor.parent === parent.name,
  );
  if (definition === undefined) return undefined;
  return {
    definition,
    factory: factories.get(definition.name) as RecordFactory,
    state: states.get(definition.name) as PublishedState,
  };
}

export interface StepOutput {
  readonly built: BuiltRecord[];
  readonly tombstones: OutgoingRecord[];
  readonly childBuilt: BuiltRecord[];
  readonly childTombstones: OutgoingRecord[];
  /** State changes to apply once committed, each with the record it publishes. */
  readonly apply: Array<readonly [OutgoingRecord, () => void]>;
}

export async function pollSnapshot(context: StreamContext, state: PublishedState, child?: ChildStream): Promise<void> {
  const { definition, settings } = context;
  const saved = context.offsets.get(definition.name);
  const lastFullAt = typeof saved?.lastFullAt === 'number' ? saved.lastFullAt : undefined;
  const step = planSnapshot({
    definition,
    lastFullAt,
    createdCursor: typeof saved?.createdCursor === 'number' ? saved.createdCursor : undefined,
    now: context.now() / 1000,
    snapshotIntervalSeconds: settings.snapshotIntervalSeconds,
    safetyLagSeconds: settings.safetyLagSeconds,
    lookbackSeconds: settings.lookbackSeconds,
  });
  if (step.kind === 'none') return;
  const request = step.kind === 'full' ? 'full' : `created-since:${formatBookeoTime(step.since)}`;
  const listed = new Set<string>();
  const childGroups = child === undefined ? undefined : groupByParent(child.state);
  // Pages are read from here on (some ahead of their turn): what a webhook read later is newer.
  const readAt = performance.now();

  for await (const page of context.client.list(listRequest(definition, { query: step.query }), {
    signal: context.signal,
    fingerprint: contentHash,
  })) {
    const fetchedAt = new Date(context.now()).toISOString();
    const prepared = await Promise.all(
      page.items.map((item) => prepareEntity(definition, context.factory, item, request, fetchedAt)),
    );
    const output = emptyOutput();
    const changed = diffPrepared(state, prepared);
    for (const entity of changed) {
      output.built.push(entity.built);
      if (entity.built.kind === 'upsert')
        output.apply.push([entity.built.record, () => state.set(entity.id, entity.hash)]);
    }
    if (child !== undefined && childGroups !== undefined) {
      // Children change without their parent changing (a linked person edited), so a full
      // listing re-reads every parent's children; in between, only new or changed parents'. One
      // call per parent, all of a page's at once: the account's rate budget (requests per second,
      // concurrency) paces them, and a full listing of many customers is not one call at a time.
      const parents = step.kind === 'full' ? prepared : changed;
      await Promise.all(
        parents
          .filter((parent) => parent.built.kind === 'upsert')
          .map((parent) => refreshChildren(context, child, childGroups, parent.id, fetchedAt, output)),
      );
    }
    for (const entity of prepared) listed.add(entity.id);
    await commit(context, child, output, [], undefined, readAt);
  }

  const finished = {
    lastFullAt: step.kind === 'full' ? Math.floor(context.now() / 1000) : (lastFullAt ?? null),
    createdCursor: step.createdCursorAfter,
  };
  const output = emptyOutput();
  if (step.kind === 'full') {
    const fetchedAt = new Date(context.now()).toISOString();
    for (const id of [...state.keys()].filter((known) => !listed.has(known))) {
      const tombstone = context.factory.tombstone(id, request, fetchedAt);
      output.tombstones.push(tombstone);
      output.apply.push([tombstone, () => state.delete(id)]);
      if (child !== undefined && childGroups !== undefined)
        tombstoneChildren(child, childGroups, id, fetchedAt, output);
    }
  }
  // Only if no re-snapshot was asked for meanwhile: that asks for a listing that starts after it.
  await commit(
    context,
    child,
    output,
    [{ partition: definition.name, offset: finished }],
    { partition: definition.name, offset: saved },
    readAt,
  );
  context.status.update(context.account, definition.name, {
    state: 'running',
    cursor: step.kind === 'full' ? `full listing at ${new Date(context.now()).toISOString()}` : undefined,
  });
}

/** New or changed entities of a page (dead letters always pass: they are reported each time they are seen). */
function diffPrepared(state: PublishedState, prepared: readonly PreparedEntity[]): PreparedEntity[] {
  const byId = new Map(prepared.map((entity) => [entity.id, entity]));
  const { upserts } = diffIncrement(state, prepared, (entity) => entity.id);
  const changed = new Set(upserts.map((entry) => entry.id));
  return [...byId.values()].filter(
    (entity) => changed.has(entity.id) && (entity.built.kind === 'dead_letter' || state.get(entity.id) !== entity.hash),
  );
}

/** Tombstones for every published child of a deleted parent, in the parent's step. */
export function tombstoneChildren(
  child: ChildStream,
  groups: ReadonlyMap<string, ReadonlyMap<string, string>>,
  parentId: string,
  fetchedAt: string,
  output: StepOutput,
): void {
  for (const childId of groups.get(parentId)?.keys() ?? []) {
    const tombstone = child.factory.tombstone(childId, `parent:${parentId}`, fetchedAt);
    output.childTombstones.push(tombstone);
    output.apply.push([tombstone, () => child.state.delete(childId)]);
  }
}

/** Re-reads a parent's children and adds their changes (new, changed, gone) to the step. */
export async function refreshChildren(
  context: StreamContext,
  child: ChildStream,
  groups: Map<string, Map<string, string>>,
  parentId: string,
  fetchedAt: string,
  output: StepOutput,
): Promise<void> {
  const cursor = child.definition.cursor;
  if (cursor.kind !== 'child') throw new RangeError(`${child.definition.name} is not a child resource`);
  const request = `parent:${parentId}`;
  const items: Record<string, unknown>[] = [];
  try {
    for await (const page of context.client.list(listRequest(child.definition, { parentId }), {
      signal: context.signal,
    })) {
      // Bookeo's linked people do not name their customer; the key needs it.
      for (const item of page.items)
        items.push({ ...(item as Record<string, unknown>), [cursor.parentRefField]: parentId });
    }
  } catch (error) {
    // The parent was deleted between its listing and this call. Its children stay as published for
    // now: the next listing no longer has the parent, and deletes its children with it. Failing the
    // whole step instead would stall the resource for as long as deletions keep happening.
    if (error instanceof BookeoApiError && error.status === 404) return;
    // Answers that stayed malformed through the client's retries: one parent must not stall the
    // listing of all the others. Its children stay as published; the dead letter says why.
    if (error instanceof MalformedResponseError) {
      output.childBuilt.push(
        child.factory.deadLetter({
          id: `${parentId}/*`,
          value: { parentId, endpoint: error.endpoint, problem: error.reason },
          reason: error.message,
          errorClass: error.name,
          request,
          fetchedAt,
        }),
      );
      context.metrics.childListingsFailed.inc({ account: context.account, resource: child.definition.name });
      context.logger.warn(
        { resource: child.definition.name, parentId, error: error.message },
        'children of a parent could not be read; kept as published until the next listing',
      );
      return;
    }
    throw error;
  }
  const previous = groups.get(parentId) ?? new Map<string, string>();
  const diff = diffSnapshot(previous, items, (item) => entityId(child.definition, item));
  for (const entry of diff.upserts) {
    const entity = await prepareEntity(child.definition, child.factory, entry.item, request, fetchedAt);
    output.childBuilt.push(entity.built);
    if (entity.built.kind === 'upsert')
      output.apply.push([entity.built.record, () => child.state.set(entity.id, entity.hash)]);
  }
  for (const id of diff.deletedIds) {
    const tombstone = child.factory.tombstone(id, request, fetchedAt);
    output.childTombstones.push(tombstone);
    output.apply.push([tombstone, () => child.state.delete(id)]);
  }
  // The hashes, not just the ids: this parent's children may be compared again in this listing
  // (the parent handed over again after it changed), and only unchanged hashes compare as unchanged.
  groups.set(parentId, new Map(diff.listed));
}

export function emptyOutput(): StepOutput {
  return { built: [], tombstones: [], childBuilt: [], childTombstones: [], apply: [] };
}

/** Every record of a step, parents first. */
export function outputRecords(output: StepOutput): OutgoingRecord[] {
  return [
    ...output.built.map((item) => item.record),
    ...output.tombstones,
    ...output.childBuilt.map((item) => item.record),
    ...output.childTombstones,
  ];
}

/** After the commit: the published state moves, except for records left out as older than what a webhook published. */
export function applyCommitted(output: StepOutput, result: Pick<CommitResult, 'stale'>): void {
  for (const [record, apply] of output.apply) if (!result.stale.has(record)) apply();
}

async function commit(
  context: StreamContext,
  child: ChildStream | undefined,
  output: StepOutput,
  offsets: CommitStep['offsets'],
  basedOn: CommitStep['basedOn'] | undefined,
  readAt: number,
): Promise<void> {
  const records = outputRecords(output);
  if (records.length === 0 && offsets.length === 0) return;
  applyCommitted(output, await context.committer.commit({ records, offsets, basedOn, readAt }));
  recordCommitted(context, context.definition.name, output.built, output.tombstones.length, null);
  // A parent's commit covers its children too (they were read up to this point), changed or not.
  if (child !== undefined)
    recordCommitted(context, child.definition.name, output.childBuilt, output.childTombstones.length, null);
}
