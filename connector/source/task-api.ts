/**
 * What a source task offers the rest of the source (runtime, REST API, commands): the SourceTask
 * interface, its errors and the names derived from the configuration (connector, transactional
 * id). The implementation is task.ts, which re-exports all of this.
 */
import type { AppConfig } from '../../common/config/schema.js';
import { ConnectError } from '../../common/errors.js';
import type { ResourceSample } from './metrics.js';
import type { SourceOffset } from './offsets.js';
import type { DeliveryResult } from './webhooks/account-deliveries.js';
import type { WebhookDelivery } from './webhooks/delivery.js';

/** A failure that stops the whole task (no poll can succeed until a human acts). */
export class TaskStoppedError extends ConnectError {}

/** An operator request that the task's present state does not allow (e.g. restarting a resource of a failed task). */
export class TaskStateError extends ConnectError {}

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
  /** The connector this task belongs to: `<kafka.clientId>-source`. */
  readonly connector: string;
  /** Stops polling the resource, recorded in the offsets topic first, so it stays paused after a restart. */
  pause(resource: string): Promise<void>;
  /** Polls the resource again (at once), recorded in the offsets topic first. */
  resume(resource: string): Promise<void>;
  /** Aborts the task's polls, opens its Kafka session anew and polls again: brings back a failed task. */
  restart(): Promise<void>;
  /** Polls the resource now instead of at its next interval (a failed one is retried at once). */
  restartResource(resource: string): void;
  /** The task's source offsets (cursors) as Kafka holds them, by partition. */
  offsets(): ReadonlyMap<string, SourceOffset>;
  /** Forgets the last full listing, so the next poll lists everything again. */
  resnapshot(resource: string): Promise<void>;
  /** Moves a windowed resource's cursor back so the next poll re-reads from `date`. */
  backfillFrom(resource: string, date: string): Promise<void>;
  /** Publishes what a webhook delivery changed (re-read by id) through the task's transactions; resolves once committed. */
  deliver(delivery: WebhookDelivery): Promise<DeliveryResult>;
  /** Reads a resource again at once (webhooks of it were lost): a full listing of a snapshot resource, a poll of a windowed one. */
  catchUp(resource: string): Promise<void>;
  /** Freshness, failure streak and cursor lag of each resource, for the scrape-time metrics. */
  sample(): ResourceSample[];
  /** Stops polling; an open transaction is aborted (never half-committed). */
  stop(): Promise<void>;
}

export function connectorNameOf(config: AppConfig): string {
  return `${config.kafka.clientId}-source`;
}

export function transactionalIdOf(config: AppConfig, account: string): string {
  return `${config.kafka.clientId}-source-${account}`;
}
