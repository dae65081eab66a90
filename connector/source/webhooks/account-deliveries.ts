/**
 * One account's webhook deliveries, from accepted to committed: a replayed message id is answered
 * from memory (recent ids, bounded) and publishes nothing; the others are grouped (group-commit.ts),
 * their entities re-read by id (entity-reads.ts), taken from the delivery's item where
 * item-trust.ts allows, or left alone when the item is older than what is published. What they
 * come to is published through the task's own committer in one transaction with the offsets it
 * changes (delivery-step.ts), so the answer (2xx) comes only once Kafka holds what the delivery
 * caused. A delivery that says Bookeo lost an earlier message starts a catch-up of its resource
 * once it is committed.
 *
 * Exactly once with the poll: both go through the same committer, whose publication ledger leaves
 * out a version already published or an older read than one published (publication-ledger.ts);
 * what deliveries publish moves the published state the poll compares with, in the same transaction.
 *
 * Public API: createAccountDeliveries(options): AccountDeliveries, DeliveryResult
 */
import { performance } from 'node:perf_hooks';
import type { AppConfig } from '../../../common/config/schema.js';
import { describeError } from '../../../common/errors.js';
import type { Logger } from '../../../common/logger.js';
import type { BookeoAccountClient } from '../../../bookeo/client.js';
import type { ResourceDefinition } from '../../../bookeo/catalog/catalog.js';
import type { OutgoingRecord } from '../../../kafka/records.js';
import type { CommitResult } from '../committer.js';
import type { SourceMetrics } from '../metrics.js';
import type { RecordFactory } from '../record-factory.js';
import { applyCommitted, childStreamOf, type ChildStream } from '../snapshot-stream.js';
import type { PublishedState } from '../snapshot-state.js';
import type { StatusBoard } from '../status.js';
import { recordCommitted, type StreamContext } from '../stream-context.js';
import type { TaskSession } from '../task-session.js';
import { resourceOfDomain, type WebhookDelivery } from './delivery.js';
import { buildDeliveryStep } from './delivery-step.js';
import { readEntities, type EntityTarget } from './entity-reads.js';
import { createGroupCommit } from './group-commit.js';
import { itemUse, type ItemTrustInput } from './item-trust.js';
import { publishedVersions } from './published-memory.js';

/** What an accepted delivery came to: records committed, nothing new, a message id seen before, or a resource not run here. */
export type DeliveryResult = 'published' | 'unchanged' | 'duplicate' | 'ignored';

export interface AccountDeliveriesOptions {
  readonly account: string;
  readonly definitions: readonly ResourceDefinition[];
  readonly factories: ReadonlyMap<string, RecordFactory>;
  readonly states: ReadonlyMap<string, PublishedState>;
  readonly client: BookeoAccountClient;
  readonly settings: AppConfig['source'];
  readonly now: () => number;
  readonly status: StatusBoard;
  readonly metrics: SourceMetrics;
  readonly logger: Logger;
  /** The task's current Kafka session (throws when it has none). */
  session(): TaskSession;
  /** Reads the resource again at once (after Bookeo lost a message of it). */
  catchUp(resource: string): Promise<void>;
  /** Aborts reads in flight when the task stops. */
  readonly signal: AbortSignal;
  /** Message ids remembered per account (replays answered without publishing). */
  readonly rememberedMessages?: number;
}

export interface AccountDeliveries {
  deliver(delivery: WebhookDelivery): Promise<DeliveryResult>;
}

const REMEMBERED_MESSAGES = 10_000;

export function createAccountDeliveries(options: AccountDeliveriesOptions): AccountDeliveries {
  const { account, definitions, logger } = options;
  const limit = options.rememberedMessages ?? REMEMBERED_MESSAGES;
  /** Recent message ids and their outcome; a failed one is forgotten, so Bookeo's retry is processed anew. */
  const recent = new Map<string, Promise<DeliveryResult>>();

  const definitionOf = (name: string): ResourceDefinition | undefined =>
    definitions.find((definition) => definition.name === name);

  const contextOf =
    (session: TaskSession) =>
    (definition: ResourceDefinition): StreamContext => ({
      account,
      definition,
      client: options.client,
      factory: options.factories.get(definition.name) as RecordFactory,
      committer: session.committer,
      offsets: session.offsets,
      settings: options.settings,
      now: options.now,
      status: options.status,
      metrics: options.metrics,
      logger,
      signal: options.signal,
    });

  const childOf = (parent: ResourceDefinition): ChildStream | undefined =>
    childStreamOf(parent, definitions, options.factories, options.states);

  async function processBatch(
    deliveries: readonly WebhookDelivery[],
  ): Promise<ReadonlyMap<WebhookDelivery, DeliveryResult | Error>> {
    const outcomes = new Map<WebhookDelivery, DeliveryResult | Error>();
    const targets = new Map<string, EntityTarget>();
    for (const delivery of deliveries) {
      const definition = definitionOf(resourceOfDomain(delivery.domain));
      if (definition?.itemPath === undefined) {
        outcomes.set(delivery, 'ignored');
        continue;
      }
      const key = `${definition.name}/${delivery.itemId}`;
      const target = targets.get(key) ?? { definition, id: delivery.itemId, deliveries: [] };
      target.deliveries.push(delivery);
      targets.set(key, target);
    }
    if (targets.size === 0) return outcomes;
    await options.session().ready();
    const session = options.session();
    // Every read starts after this: what the ledger keeps from a poll that read earlier is older.
    const readAt = performance.now();
    // What is published of a resource, decoded once per batch, and only where a delivery has an item.
    const published = new Map<string, Pick<ItemTrustInput, 'cursor' | 'published'>>();
    const publishedOf = (definition: ResourceDefinition): Pick<ItemTrustInput, 'cursor' | 'published'> => {
      let known = published.get(definition.name);
      if (known === undefined) {
        const { offsets } = contextOf(session)(definition);
        const cursor = offsets.get(definition.name)?.cursor;
        known = {
          cursor: typeof cursor === 'number' ? cursor : undefined,
          published: publishedVersions(offsets, definition.name),
        };
        published.set(definition.name, known);
      }
      return known;
    };
    const reads = await readEntities(targets.values(), options.client, options.signal, (target) =>
      target.deliveries.some((delivery) => delivery.item !== undefined)
        ? itemUse({ ...target, ...publishedOf(target.definition) })
        : undefined,
    );
    const step = await buildDeliveryStep(reads, {
      contextOf: contextOf(session),
      childOf,
      stateOf: (definition) => options.states.get(definition.name),
      lookbackSeconds: options.settings.lookbackSeconds,
      fetchedAt: new Date(options.now()).toISOString(),
    });
    // Nothing new (every state already published): nothing to commit, the answer can go at once.
    const result: CommitResult =
      step.records.length === 0 && step.offsets.length === 0
        ? { latencyMs: 0, stale: new Set(), duplicate: new Set() }
        : await session.committer.commit({ records: step.records, offsets: step.offsets, readAt, webhook: true });
    const written = (record: OutgoingRecord): boolean => !result.stale.has(record) && !result.duplicate.has(record);
    for (const { definition, output } of step.parts) {
      applyCommitted(output, result);
      const stream = contextOf(session)(definition);
      recordCommitted(
        stream,
        definition.name,
        output.built.filter((built) => written(built.record)),
        output.tombstones.filter(written).length,
        null,
      );
      const child = childOf(definition);
      if (child !== undefined)
        recordCommitted(
          stream,
          child.definition.name,
          output.childBuilt.filter((built) => written(built.record)),
          output.childTombstones.filter(written).length,
          null,
        );
    }
    for (const read of reads) {
      const published = (step.recordsOf.get(read.target) ?? []).some(written);
      for (const delivery of read.target.deliveries)
        outcomes.set(delivery, 'error' in read ? read.error : published ? 'published' : 'unchanged');
    }
    return outcomes;
  }

  const group = createGroupCommit(processBatch);

  function remember(messageId: string, outcome: Promise<DeliveryResult>): void {
    recent.set(messageId, outcome);
    if (recent.size > limit) recent.delete(recent.keys().next().value as string);
    outcome.catch(() => recent.delete(messageId));
  }

  function catchUp(delivery: WebhookDelivery): void {
    const resource = resourceOfDomain(delivery.domain);
    if (definitionOf(resource) === undefined) return;
    logger.warn(
      { resource, messageId: delivery.messageId },
      'Bookeo lost a webhook message: catching up on the resource',
    );
    options
      .catchUp(resource)
      .catch((error: unknown) =>
        logger.error({ resource, error: describeError(error) }, 'the catch-up could not start'),
      );
  }

  return {
    async deliver(delivery) {
      const known = recent.get(delivery.messageId);
      if (known !== undefined) {
        await known;
        return 'duplicate';
      }
      const outcome = group.submit(delivery);
      remember(delivery.messageId, outcome);
      const result = await outcome;
      if (delivery.previousMessageLost) catchUp(delivery);
      return result;
    },
  };
}
