/**
 * One poll of one resource of a task: the stream its cursor kind calls for (time windows and the
 * sweep, a full listing with its children), given the task's current Kafka session. An operator
 * request that replaced the resource's offset during the poll ends it quietly: the next poll
 * starts from the request.
 */
import type { Logger } from '../../common/logger.js';
import type { ResourceDefinition } from '../../bookeo/catalog/catalog.js';
import { OffsetReplacedError } from './committer.js';
import type { RecordFactory } from './record-factory.js';
import { childStreamOf, pollSnapshot, type ChildStream } from './snapshot-stream.js';
import { loadPublishedState, type PublishedState } from './snapshot-state.js';
import type { StreamContext } from './stream-context.js';
import type { TaskSession } from './task-session.js';
import { sweepIfDue } from './windowed-sweep.js';
import { pollWindowed } from './windowed-stream.js';
import type { SourceTaskOptions } from './task.js';

/** The task's own options, with its logger already bound to the account, and its current session. */
export interface ResourcePollerOptions extends Omit<SourceTaskOptions, 'logger'> {
  readonly log: Logger;
  /** The task's current session (throws when it has none). */
  readonly session: () => TaskSession;
}

/** `poll(definition, signal)`: one poll of the resource, aborted by the signal. */
export function createResourcePoller(
  options: ResourcePollerOptions,
): (definition: ResourceDefinition, signal: AbortSignal) => Promise<void> {
  const { account, config, definitions, status, log, session } = options;

  const contextOf = (definition: ResourceDefinition, signal: AbortSignal): StreamContext => ({
    account: account.id,
    definition,
    client: options.client.forAccount(account),
    factory: options.factories.get(definition.name) as RecordFactory,
    committer: session().committer,
    offsets: session().offsets,
    settings: config.source,
    now: options.now,
    status,
    metrics: options.metrics,
    logger: log,
    signal,
  });

  const childOf = (parent: ResourceDefinition): ChildStream | undefined =>
    childStreamOf(parent, definitions, options.factories, options.states);

  async function pollResource(definition: ResourceDefinition, signal: AbortSignal): Promise<void> {
    try {
      await pollStream(definition, signal);
    } catch (error) {
      if (!(error instanceof OffsetReplacedError)) throw error;
      status.update(account.id, definition.name, { state: 'running', progress: null });
      log.info(
        { resource: definition.name },
        'an operator request replaced the offset during this poll; the next poll starts from it',
      );
    }
  }

  async function pollStream(definition: ResourceDefinition, signal: AbortSignal): Promise<void> {
    const context = contextOf(definition, signal);
    switch (definition.cursor.kind) {
      case 'lastUpdatedWindow':
      case 'timeWindow':
        await pollWindowed(context, config.source.maxRecordsPerTransaction);
        // Read after this task's own last commit is stable: its windows just published what the sweep compares.
        return sweepIfDue(context, () =>
          loadPublishedState(
            options.kafka,
            context.factory.topic,
            account.id,
            session().committedAt(context.factory.topic),
          ),
        );
      case 'snapshot':
        return pollSnapshot(context, options.states.get(definition.name) as PublishedState, childOf(definition));
      case 'child':
        return; // driven by its parent's stream, in the parent's transactions
    }
  }

  return pollResource;
}
