/**
 * What an operator sees of a task, in the Kafka Connect manner: one entry per account, one per
 * resource inside it. Only this module mutates the view; the REST API and /readyz read it. Error
 * texts come from our typed errors, which never carry credentials.
 */
import { describeError } from '../../common/errors.js';

export type ResourceState = 'starting' | 'backfilling' | 'running' | 'paused' | 'failed' | 'stopped';
export type TaskState = 'starting' | 'running' | 'failed' | 'stopped';

export interface ResourceStatus {
  state: ResourceState;
  /** Human-readable position, e.g. the window end or the last full snapshot time. */
  cursor: string | null;
  records: number;
  lastCommitAt: string | null;
  lastError: string | null;
  /** During a backfill: windows committed / planned. */
  progress: { done: number; total: number } | null;
}

export interface TaskStatus {
  account: string;
  state: TaskState;
  error: string | null;
  resources: Record<string, ResourceStatus>;
}

export class StatusBoard {
  private readonly tasks = new Map<string, TaskStatus>();

  task(account: string, resources: readonly string[]): void {
    const entries = Object.fromEntries(
      resources.map((resource): [string, ResourceStatus] => [resource, { state: 'starting', cursor: null, records: 0, lastCommitAt: null, lastError: null, progress: null }]),
    );
    this.tasks.set(account, { account, state: 'starting', error: null, resources: entries });
  }

  setTask(account: string, state: TaskState, error?: unknown): void {
    const task = this.require(account);
    task.state = state;
    task.error = error === undefined ? null : describeError(error);
  }

  update(account: string, resource: string, patch: Partial<ResourceStatus>): void {
    const entry = this.require(account).resources[resource];
    if (entry !== undefined) Object.assign(entry, patch);
  }

  committed(account: string, resource: string, records: number, cursor: string | null): void {
    const entry = this.require(account).resources[resource];
    if (entry === undefined) return;
    entry.records += records;
    entry.lastCommitAt = new Date().toISOString();
    entry.lastError = null;
    if (cursor !== null) entry.cursor = cursor;
  }

  failed(account: string, resource: string, error: unknown): void {
    this.update(account, resource, { state: 'failed', lastError: describeError(error) });
  }

  get(account: string): TaskStatus | undefined {
    return this.tasks.get(account);
  }

  all(): TaskStatus[] {
    return [...this.tasks.values()];
  }

  /** Ready once every enabled task has started and none has failed. */
  notReadyReason(): string | undefined {
    if (this.tasks.size === 0) return 'no task started';
    for (const task of this.tasks.values()) {
      if (task.state === 'starting') return `task ${task.account} is starting`;
      if (task.state === 'failed') return `task ${task.account} failed: ${task.error ?? 'unknown error'}`;
    }
    return undefined;
  }

  private require(account: string): TaskStatus {
    const task = this.tasks.get(account);
    if (task === undefined) throw new RangeError(`no task for account ${account}`);
    return task;
  }
}
