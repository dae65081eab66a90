/**
 * One source task = one Bookeo account: its own transactional id (so a second instance fences the
 * first), its own offsets, its own rate budget (inside the Bookeo client), one stream per catalog
 * definition. Each resource polls on its own timer (resource-scheduler.ts); a resource's failure is
 * recorded and retried at its next poll, while failures that no retry can fix (bad credentials, a
 * fenced producer, a registry that refuses us) stop this account's task only — other accounts go on.
 * After a failed commit the task's Kafka session is renewed before the next poll (task-session.ts).
 */
import type { AppConfig, BookeoAccountConfig } from '../../common/config/schema.js';
import { ConnectError, describeError, isRetriable } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { SchemaRegistryError } from '../../avro/errors.js';
import type { BookeoClient } from '../../bookeo/client.js';
import { BookeoAuthError } from '../../bookeo/errors.js';
import type { ResourceDefinition } from '../../bookeo/catalog/catalog.js';
import { parseBackfillFrom } from '../../bookeo/catalog/windows.js';
import type { KafkaClient } from '../../kafka/client.js';
import {
  ProducerFencedError,
  createTransactionalWriter,
  type TransactionalWriter,
} from '../../kafka/transactional-writer.js';
import { loadOffsetStore, type OffsetStore } from './offsets.js';
import { OffsetReplacedError } from './committer.js';
import type { ResourceSample, SourceMetrics } from './metrics.js';
import type { RecordFactory } from './record-factory.js';
import { pollSnapshot, type ChildStream } from './snapshot-stream.js';
import { loadPublishedState, type PublishedState } from './snapshot-state.js';
import { createResourceScheduler } from './resource-scheduler.js';
import { openTaskSession, type TaskSession } from './task-session.js';
import type { StatusBoard } from './status.js';
import type { StreamContext } from './stream-context.js';
import { sweepIfDue } from './windowed-sweep.js';
import { pollWindowed } from './windowed-stream.js';

export interface SourceTaskOptions {
  readonly account: BookeoAccountConfig;
  readonly config: AppConfig;
  readonly kafka: KafkaClient;
  readonly client: BookeoClient;
  readonly definitions: readonly ResourceDefinition[];
  /** Record factories of this account, by resource name. */
  readonly factories: ReadonlyMap<string, RecordFactory>;
  /** Published state of this account for snapshot and child resources, by resource name. */
  readonly states: ReadonlyMap<string, PublishedState>;
  readonly metrics: SourceMetrics;
  readonly status: StatusBoard;
  readonly logger: Logger;
  readonly now: () => number;
}

/** A failure that stops the whole task (no poll can succeed until a human acts). */
export class TaskStoppedError extends ConnectError {}

/** What one poll of every resource came to: the resources whose poll failed, with why. */
export interface PollReport {
  readonly failed: ReadonlyArray<{ readonly resource: string; readonly error: string }>;
}

export interface SourceTask {
  readonly account: string;
  start(): Promise<void>;
  /** One poll of every resource that is not paused (joining polls in flight); resolves when all are done. */
  pollOnce(): Promise<PollReport>;
  /** Polls each resource every `pollIntervalSeconds`, each on its own timer, until stopped or failed. */
  run(): Promise<void>;
  pause(resource: string): void;
  resume(resource: string): void;
  /** Forgets the last full listing, so the next poll lists everything again. */
  resnapshot(resource: string): Promise<void>;
  /** Moves a windowed resource's cursor back so the next poll re-reads from `date`. */
  backfillFrom(resource: string, date: string): Promise<void>;
  /** Freshness, failure streak and cursor lag of each resource, for the scrape-time metrics. */
  sample(): ResourceSample[];
  /** Stops polling; an open transaction is aborted (never half-committed). */
  stop(): Promise<void>;
}

export function transactionalIdOf(config: AppConfig, account: string): string {
  return `${config.kafka.clientId}-source-${account}`;
}

export function createSourceTask(options: SourceTaskOptions): SourceTask {
  const { account, config, definitions, status, logger } = options;
  const log = logger.child({ component: 'source-task', account: account.id });
  const controller = new AbortController();
  let session: TaskSession | undefined;
  let stoppedBy: unknown;

  const definitionOf = (name: string): ResourceDefinition => {
    const found = definitions.find((candidate) => candidate.name === name);
    if (found === undefined) throw new ConnectError(`resource ${name} is not configured for account ${account.id}`);
    return found;
  };

  const started = (): TaskSession => {
    if (session === undefined) throw new ConnectError(`task ${account.id} is not started`);
    return session;
  };

  const contextOf = (definition: ResourceDefinition): StreamContext => ({
    account: account.id,
    definition,
    client: options.client.forAccount(account),
    factory: options.factories.get(definition.name) as RecordFactory,
    committer: started().committer,
    offsets: started().offsets,
    settings: config.source,
    now: options.now,
    status,
    metrics: options.metrics,
    logger: log,
    signal: controller.signal,
  });

  const childOf = (parent: ResourceDefinition): ChildStream | undefined => {
    const definition = definitions.find(
      (candidate) => candidate.cursor.kind === 'child' && candidate.cursor.parent === parent.name,
    );
    if (definition === undefined) return undefined;
    return {
      definition,
      factory: options.factories.get(definition.name) as RecordFactory,
      state: options.states.get(definition.name) as PublishedState,
    };
  };

  async function pollResource(definition: ResourceDefinition): Promise<void> {
    try {
      await pollStream(definition);
    } catch (error) {
      if (!(error instanceof OffsetReplacedError)) throw error;
      status.update(account.id, definition.name, { state: 'running', progress: null });
      log.info(
        { resource: definition.name },
        'an operator request replaced the offset during this poll; the next poll starts from it',
      );
    }
  }

  async function pollStream(definition: ResourceDefinition): Promise<void> {
    const context = contextOf(definition);
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
            started().committedAt(context.factory.topic),
          ),
        );
      case 'snapshot':
        return pollSnapshot(context, options.states.get(definition.name) as PublishedState, childOf(definition));
      case 'child':
        return; // driven by its parent's stream, in the parent's transactions
    }
  }

  function isFatal(error: unknown): boolean {
    return (
      error instanceof BookeoAuthError ||
      error instanceof ProducerFencedError ||
      (error instanceof SchemaRegistryError && !isRetriable(error))
    );
  }

  /** One poll of a resource, its outcome recorded in the status; rejects with the failure. */
  async function pollRecorded(name: string): Promise<void> {
    const startedAt = Date.now();
    try {
      await started().ready();
      await pollResource(definitionOf(name));
      status.succeeded(account.id, name);
    } catch (error) {
      // Stopping aborts polls in flight: that is no failure of the resource.
      if (controller.signal.aborted) throw error;
      status.failed(account.id, name, error, startedAt);
      log.error({ resource: name, error: describeError(error) }, 'poll failed; it is retried on the next poll');
      if (isFatal(error)) {
        stoppedBy ??= error;
        status.setTask(account.id, 'failed', error);
        // Nothing of this account can succeed any more: the other resources' polls stop too.
        controller.abort();
      }
      throw error;
    }
  }

  const scheduler = createResourceScheduler({
    resources: definitions
      .filter((definition) => definition.cursor.kind !== 'child')
      .map((definition) => definition.name),
    intervalMs: config.source.pollIntervalSeconds * 1000,
    poll: pollRecorded,
    isFatal,
  });

  /** A producer that fences any older instance of this task, then the task's offsets as Kafka holds them. */
  async function openKafka(): Promise<{ writer: TransactionalWriter; offsets: OffsetStore }> {
    const writer = await createTransactionalWriter(options.kafka, transactionalIdOf(config, account.id));
    try {
      return {
        writer,
        offsets: await loadOffsetStore(options.kafka, config.source.offsetsTopic, `bookeo-connect/${account.id}`),
      };
    } catch (error) {
      await writer.close().catch(() => undefined);
      throw error;
    }
  }

  /** The published state of snapshot and child resources, read back from their topics (kept in the same maps the streams hold). */
  async function reloadPublishedStates(): Promise<void> {
    for (const [resource, state] of options.states) {
      const loaded = await loadPublishedState(options.kafka, options.factories.get(resource)?.topic ?? '', account.id);
      state.clear();
      for (const [id, hash] of loaded) state.set(id, hash);
    }
  }

  const stoppedError = (): TaskStoppedError =>
    new TaskStoppedError(`task for account ${account.id} stopped: ${describeError(stoppedBy)}`, { cause: stoppedBy });

  async function writeOffset(resource: string, offset: Parameters<OffsetStore['record']>[1]): Promise<void> {
    await started().ready();
    await started().committer.commit({ records: [], offsets: [{ partition: resource, offset }] });
  }

  const task: SourceTask = {
    account: account.id,
    async start() {
      status.task(
        account.id,
        definitions.map((definition) => definition.name),
      );
      session = await openTaskSession({
        open: openKafka,
        reloadState: reloadPublishedStates,
        onCommitted: (_step, latencyMs) =>
          options.metrics.transactionSeconds.observe({ account: account.id }, latencyMs / 1000),
        logger: log,
      });
      status.setTask(account.id, 'running');
      log.info(
        { resources: definitions.map((definition) => definition.name), offsets: session.offsets.entries().size },
        'source task started',
      );
    },
    async pollOnce() {
      if (stoppedBy !== undefined) throw stoppedError();
      const outcomes = await scheduler.pollAll();
      if (stoppedBy !== undefined) throw stoppedError();
      if (controller.signal.aborted) return { failed: [] };
      return {
        failed: outcomes.flatMap((outcome) =>
          outcome.error === undefined ? [] : [{ resource: outcome.resource, error: describeError(outcome.error) }],
        ),
      };
    },
    async run() {
      await scheduler.run().catch((error: unknown) => {
        throw isFatal(error) ? stoppedError() : error;
      });
    },
    pause(resource) {
      definitionOf(resource);
      scheduler.pause(resource);
      status.update(account.id, resource, { state: 'paused' });
    },
    resume(resource) {
      definitionOf(resource);
      status.update(account.id, resource, { state: 'running' });
      scheduler.resume(resource);
    },
    async resnapshot(resource) {
      const definition = definitionOf(resource);
      if (definition.cursor.kind !== 'snapshot') throw new ConnectError(`${resource} is not a snapshot resource`);
      const saved = started().offsets.get(resource);
      await writeOffset(resource, {
        lastFullAt: null,
        createdCursor: typeof saved?.createdCursor === 'number' ? saved.createdCursor : null,
      });
      scheduler.wake(resource);
    },
    async backfillFrom(resource, date) {
      const definition = definitionOf(resource);
      if (definition.cursor.kind !== 'lastUpdatedWindow' && definition.cursor.kind !== 'timeWindow')
        throw new ConnectError(`${resource} is not a windowed resource`);
      // A cursor just before the date: the next poll plans windows from there (and the look-back memory starts empty).
      await writeOffset(resource, { cursor: parseBackfillFrom(date) - 1, seen: '' });
      scheduler.wake(resource);
    },
    sample() {
      const entry = status.get(account.id);
      if (entry === undefined) return [];
      const now = Date.now();
      return definitions.map((definition) => {
        const resource = entry.resources[definition.name];
        const since = Date.parse(resource?.lastCommitAt ?? entry.startedAt);
        const cursor = session?.offsets.get(definition.name)?.cursor;
        return {
          account: account.id,
          resource: definition.name,
          sinceLastCommitSeconds: Math.max(0, (now - since) / 1000),
          consecutiveFailures: resource?.consecutiveFailures ?? 0,
          ...(typeof cursor === 'number' ? { cursorLagSeconds: Math.max(0, options.now() / 1000 - cursor) } : {}),
        };
      });
    },
    async stop() {
      controller.abort();
      await scheduler.stop();
      await session?.close();
      status.setTask(account.id, 'stopped');
    },
  };
  return task;
}
