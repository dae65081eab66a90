/**
 * One source task = one Bookeo account: its own transactional id (so a second instance fences the
 * first), its own offsets, its own rate budget (inside the Bookeo client), one stream per catalog
 * definition. Each resource polls on its own timer (resource-scheduler.ts); a resource's failure is
 * recorded and retried at its next poll, while failures that no retry can fix (bad credentials, a
 * fenced producer, a registry that refuses us) stop this account's task only — other accounts go on.
 * After a failed commit the task's Kafka session is renewed before the next poll (task-session.ts).
 *
 * A task can be restarted in place (the REST API's restart): its polls are aborted, its Kafka
 * session closed and opened anew (fencing, offsets and published state read back), and its
 * resources poll again; a failed task comes back this way without a restart of the process.
 * Pauses are recorded in the offsets topic (target-state.ts) and applied at every start.
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
import type { SourceMetrics } from './metrics.js';
import type { RecordFactory } from './record-factory.js';
import { loadPublishedState, type PublishedState } from './snapshot-state.js';
import { createResourcePoller } from './resource-poll.js';
import { createResourceScheduler, type ResourceScheduler } from './resource-scheduler.js';
import { openTaskSession, type TaskSession } from './task-session.js';
import type { StatusBoard } from './status.js';
import { PAUSED, pausedResources, targetStatePartition } from './target-state.js';
import { createAccountDeliveries } from './webhooks/account-deliveries.js';
import { TaskStateError, TaskStoppedError, connectorNameOf, transactionalIdOf, type SourceTask } from './task-api.js';

export {
  TaskStateError,
  TaskStoppedError,
  connectorNameOf,
  transactionalIdOf,
  type PollReport,
  type SourceTask,
} from './task-api.js';

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

export function createSourceTask(options: SourceTaskOptions): SourceTask {
  const { account, config, definitions, status, logger } = options;
  const log = logger.child({ component: 'source-task', account: account.id });
  let session: TaskSession | undefined;
  /** Resources paused by an operator (as recorded in the offsets topic): every life's scheduler skips them. */
  const paused = new Set<string>();
  let stopping = false;
  let restarting: Promise<void> | undefined;
  /** run() was called and ended with a failure: a restart runs the task again by itself. */
  let runFailed = false;
  let rerun: Promise<void> | undefined;

  const definitionOf = (name: string): ResourceDefinition => {
    const found = definitions.find((candidate) => candidate.name === name);
    if (found === undefined) throw new ConnectError(`resource ${name} is not configured for account ${account.id}`);
    return found;
  };

  const started = (): TaskSession => {
    if (session === undefined) throw new TaskStateError(`task ${account.id} is not started (or restarting)`);
    return session;
  };

  const pollResource = createResourcePoller({ ...options, log, session: started });
  /** Webhook deliveries publish through this task's session; aborted when the task stops. */
  const deliveriesAbort = new AbortController();
  const deliveries = createAccountDeliveries({
    ...options,
    account: account.id,
    client: options.client.forAccount(account),
    settings: config.source,
    logger: log,
    session: started,
    catchUp: (resource) => task.catchUp(resource),
    signal: deliveriesAbort.signal,
  });

  function isFatal(error: unknown): boolean {
    return (
      error instanceof BookeoAuthError ||
      error instanceof ProducerFencedError ||
      (error instanceof SchemaRegistryError && !isRetriable(error))
    );
  }

  /** One poll of a resource, its outcome recorded in the status; rejects with the failure. */
  async function pollRecorded(name: string, current: Life): Promise<void> {
    const startedAt = Date.now();
    try {
      await started().ready();
      await pollResource(definitionOf(name), current.controller.signal);
      status.succeeded(account.id, name);
    } catch (error) {
      // Stopping (or restarting) aborts polls in flight: that is no failure of the resource.
      if (current.controller.signal.aborted) throw error;
      status.failed(account.id, name, error, startedAt);
      log.error({ resource: name, error: describeError(error) }, 'poll failed; it is retried on the next poll');
      if (isFatal(error)) {
        current.stoppedBy ??= error;
        status.setTask(account.id, 'failed', error);
        // Nothing of this account can succeed any more: the other resources' polls stop too.
        current.controller.abort();
      }
      throw error;
    }
  }

  const scheduled: readonly string[] = definitions
    .filter((definition) => definition.cursor.kind !== 'child')
    .map((definition) => definition.name);

  /** One life of the task, from a start or restart to a stop, failure or the next restart. */
  interface Life {
    readonly controller: AbortController;
    readonly scheduler: ResourceScheduler;
    /** The failure that ended this life. */
    stoppedBy: unknown;
  }

  function newLife(): Life {
    const controller = new AbortController();
    const created: { controller: AbortController; stoppedBy: unknown; scheduler?: ResourceScheduler } = {
      controller,
      stoppedBy: undefined,
    };
    created.scheduler = createResourceScheduler({
      resources: scheduled,
      intervalMs: config.source.pollIntervalSeconds * 1000,
      poll: (name) => pollRecorded(name, created as Life),
      isFatal,
    });
    for (const resource of paused) created.scheduler.pause(resource);
    return created as Life;
  }

  let life = newLife();

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

  const stoppedError = (current: Life): TaskStoppedError =>
    new TaskStoppedError(`task for account ${account.id} stopped: ${describeError(current.stoppedBy)}`, {
      cause: current.stoppedBy,
    });

  /** Opens the Kafka session (fencing older instances) and applies the pauses it records. */
  async function openSession(): Promise<TaskSession> {
    const opened = await openTaskSession({
      open: openKafka,
      reloadState: reloadPublishedStates,
      onCommitted: (_step, latencyMs) =>
        options.metrics.transactionSeconds.observe({ account: account.id }, latencyMs / 1000),
      webhooks: config.webhooks.enabled,
      logger: log,
    });
    session = opened;
    for (const resource of pausedResources(opened.offsets, scheduled)) {
      paused.add(resource);
      life.scheduler.pause(resource);
      status.update(account.id, resource, { state: 'paused' });
    }
    return opened;
  }

  async function restartInPlace(): Promise<void> {
    const previous = life;
    // Set first: run() goes on with the new life once the old one's loops have ended.
    const next = newLife();
    life = next;
    previous.controller.abort();
    await previous.scheduler.stop();
    await session
      ?.close()
      .catch((error: unknown) => log.debug({ err: error }, 'closing the producer of the restarted task'));
    session = undefined;
    status.setTask(account.id, 'starting');
    let opened: TaskSession;
    try {
      opened = await openSession();
    } catch (error) {
      next.stoppedBy = error;
      next.controller.abort();
      status.setTask(account.id, 'failed', error);
      log.error({ error: describeError(error) }, 'the restart of the task failed');
      throw error;
    }
    status.setTask(account.id, 'running');
    log.info({ offsets: opened.offsets.entries().size, paused: [...paused] }, 'source task restarted');
  }

  async function runLives(): Promise<void> {
    for (;;) {
      await restarting?.catch(() => undefined);
      const current = life;
      if (current.stoppedBy !== undefined) throw stoppedError(current);
      try {
        await current.scheduler.run();
      } catch (error) {
        if (life === current) throw isFatal(error) ? stoppedError(current) : error;
      }
      // Ended by a restart: go on with the new life; by stop(): done.
      if (life === current) return;
    }
  }

  async function writeOffset(resource: string, offset: Parameters<OffsetStore['record']>[1]): Promise<void> {
    await started().ready();
    await started().committer.commit({ records: [], offsets: [{ partition: resource, offset }] });
  }

  const task: SourceTask = {
    account: account.id,
    connector: connectorNameOf(config),
    async start() {
      status.task(
        account.id,
        definitions.map((definition) => definition.name),
      );
      const opened = await openSession();
      status.setTask(account.id, 'running');
      log.info(
        {
          resources: definitions.map((definition) => definition.name),
          offsets: opened.offsets.entries().size,
          paused: [...paused],
        },
        'source task started',
      );
    },
    async pollOnce() {
      await restarting?.catch(() => undefined);
      const current = life;
      if (current.stoppedBy !== undefined) throw stoppedError(current);
      const outcomes = await current.scheduler.pollAll();
      if (current.stoppedBy !== undefined) throw stoppedError(current);
      if (current.controller.signal.aborted) return { failed: [] };
      return {
        failed: outcomes.flatMap((outcome) =>
          outcome.error === undefined ? [] : [{ resource: outcome.resource, error: describeError(outcome.error) }],
        ),
      };
    },
    async run() {
      runFailed = false;
      try {
        await runLives();
      } catch (error) {
        runFailed = true;
        throw error;
      }
    },
    async pause(resource) {
      definitionOf(resource);
      if (!scheduled.includes(resource)) throw new TaskStateError(`${resource} is polled with its parent: pause that`);
      await writeOffset(targetStatePartition(resource), PAUSED);
      paused.add(resource);
      life.scheduler.pause(resource);
      status.update(account.id, resource, { state: 'paused' });
    },
    async resume(resource) {
      definitionOf(resource);
      if (!scheduled.includes(resource)) throw new TaskStateError(`${resource} is polled with its parent: resume that`);
      await writeOffset(targetStatePartition(resource), null);
      paused.delete(resource);
      status.update(account.id, resource, { state: 'running' });
      life.scheduler.resume(resource);
    },
    async restart() {
      if (stopping) throw new TaskStateError(`task ${account.id} is stopping`);
      restarting ??= restartInPlace().finally(() => {
        restarting = undefined;
      });
      await restarting;
      // The caller's run() ended with the failure: the restarted task runs by itself until stopped.
      if (runFailed && !stopping) {
        rerun = task
          .run()
          .catch((error: unknown) => log.error({ error: describeError(error) }, 'the restarted task stopped'));
      }
    },
    restartResource(resource) {
      definitionOf(resource);
      if (!scheduled.includes(resource))
        throw new TaskStateError(`${resource} is polled with its parent: restart that`);
      if (life.stoppedBy !== undefined || session === undefined)
        throw new TaskStateError(`task ${account.id} is not running: restart the task`);
      life.scheduler.wake(resource);
    },
    offsets: () => session?.offsets.entries() ?? new Map(),
    deliver: (delivery) => deliveries.deliver(delivery),
    async catchUp(resource) {
      if (definitionOf(resource).cursor.kind === 'snapshot') await task.resnapshot(resource);
      else task.restartResource(resource);
    },
    async resnapshot(resource) {
      const definition = definitionOf(resource);
      if (definition.cursor.kind !== 'snapshot') throw new ConnectError(`${resource} is not a snapshot resource`);
      const saved = started().offsets.get(resource);
      await writeOffset(resource, {
        lastFullAt: null,
        createdCursor: typeof saved?.createdCursor === 'number' ? saved.createdCursor : null,
      });
      life.scheduler.wake(resource);
    },
    async backfillFrom(resource, date) {
      const definition = definitionOf(resource);
      if (definition.cursor.kind !== 'lastUpdatedWindow' && definition.cursor.kind !== 'timeWindow')
        throw new ConnectError(`${resource} is not a windowed resource`);
      // A cursor just before the date: the next poll plans windows from there (and the look-back memory starts empty).
      await writeOffset(resource, { cursor: parseBackfillFrom(date) - 1, seen: '' });
      life.scheduler.wake(resource);
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
      stopping = true;
      deliveriesAbort.abort();
      await restarting?.catch(() => undefined);
      life.controller.abort();
      await life.scheduler.stop();
      await session?.close();
      await rerun;
      status.setTask(account.id, 'stopped');
    },
  };
  return task;
}
