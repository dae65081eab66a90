/**
 * What an operator sees of a task, in the Kafka Connect manner: one entry per account, one per
 * resource inside it. Only this module mutates the view; the REST API, /readyz and the scrape-time
 * metrics read it. Error texts come from our typed errors, which never carry credentials.
 *
 * Readiness: a task that is starting or stopped for good is not ready, and neither is one whose
 * resource has failed every poll for longer than `unhealthyAfterMs` (a Kafka or registry outage,
 * Bookeo unreachable): a single failed poll is retried on the next one and is no reason to page.
 */
import { describeError } from '../../common/errors.js';

export type ResourceState = 'starting' | 'backfilling' | 'running' | 'paused' | 'failed' | 'stopped';
export type TaskState = 'starting' | 'running' | 'failed' | 'stopped';

export interface ResourceStatus {
  state: ResourceState;
  /** Human-readable position, e.g. the window end or the last full snapshot time. */
  cursor: string | null;
  records: number;
  /** Bookeo API calls answered for this resource (pages and single reads) since the start. */
  apiCalls: number;
  lastCommitAt: string | null;
  lastError: string | null;
  /** During a backfill: windows committed / planned. */
  progress: { done: number; total: number } | null;
  /** Polls that failed in a row; 0 after a successful one. */
  consecutiveFailures: number;
  /** When the first of those failed polls started; null while polls succeed. */
  failingSince: string | null;
}

export interface TaskStatus {
  account: string;
  state: TaskState;
  error: string | null;
  startedAt: string;
  resources: Record<string, ResourceStatus>;
  /** With `webhooks.register`: the account's webhooks as the source last found and left them. */
  webhookRegistration?: WebhookRegistrationStatus;
}

/** What the source's webhook registration (connector/source/webhooks/registration-watch.ts) last did for an account. */
export interface WebhookRegistrationStatus {
  /** synced: the last check left every needed webhook registered; failing: it failed and is retried with back-off. */
  state: 'starting' | 'synced' | 'failing';
  /** Webhooks of ours registered and not blocked after the last successful check. */
  registered: number;
  /** Webhooks of ours the last check found blocked by Bookeo (re-created by that check unless it failed). */
  blocked: Array<{ domain: string; type: string; blockedTime: string; blockedReason: string | null }>;
  /** Blocked webhooks re-created since the start. */
  recreated: number;
  /** The last catch-up of what Bookeo did not deliver: when, and which resources were polled again. */
  lastCatchUp: { at: string; resources: string[] } | null;
  lastCheckAt: string | null;
  lastError: string | null;
  consecutiveFailures: number;
}

export interface StatusBoardOptions {
  /** A resource failing for longer than this makes the source not ready; unset, failures never do. */
  readonly unhealthyAfterMs?: number;
  /** Wall clock, epoch milliseconds (injectable for tests). */
  readonly clock?: () => number;
}

export class StatusBoard {
  private readonly tasks = new Map<string, TaskStatus>();
  private readonly unhealthyAfterMs: number;
  private readonly clock: () => number;

  constructor(options: StatusBoardOptions = {}) {
    this.unhealthyAfterMs = options.unhealthyAfterMs ?? Number.POSITIVE_INFINITY;
    this.clock = options.clock ?? Date.now;
  }

  task(account: string, resources: readonly string[]): void {
    const entries = Object.fromEntries(
      resources.map((resource): [string, ResourceStatus] => [
        resource,
        {
          state: 'starting',
          cursor: null,
          records: 0,
          apiCalls: 0,
          lastCommitAt: null,
          lastError: null,
          progress: null,
          consecutiveFailures: 0,
          failingSince: null,
        },
      ]),
    );
    this.tasks.set(account, { account, state: 'starting', error: null, startedAt: this.nowIso(), resources: entries });
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

  webhookRegistration(account: string, patch: Partial<WebhookRegistrationStatus>): void {
    const task = this.require(account);
    task.webhookRegistration = {
      ...(task.webhookRegistration ?? {
        state: 'starting',
        registered: 0,
        blocked: [],
        recreated: 0,
        lastCatchUp: null,
        lastCheckAt: null,
        lastError: null,
        consecutiveFailures: 0,
      }),
      ...patch,
    };
  }

  committed(account: string, resource: string, records: number, cursor: string | null): void {
    const entry = this.require(account).resources[resource];
    if (entry === undefined) return;
    entry.records += records;
    entry.lastCommitAt = this.nowIso();
    if (cursor !== null) entry.cursor = cursor;
  }

  /** Bookeo answered a call made for the resource (`resource` is the call's label; other labels are not counted). */
  answered(account: string, resource: string): void {
    const entry = this.tasks.get(account)?.resources[resource];
    if (entry !== undefined) entry.apiCalls++;
  }

  /** A poll of the resource ended without error. */
  succeeded(account: string, resource: string): void {
    const entry = this.require(account).resources[resource];
    if (entry === undefined) return;
    if (entry.state === 'failed' || entry.state === 'starting') entry.state = 'running';
    entry.lastError = null;
    entry.consecutiveFailures = 0;
    entry.failingSince = null;
  }

  /** A poll of the resource that started at `startedAt` (epoch ms) failed. */
  failed(account: string, resource: string, error: unknown, startedAt: number = this.clock()): void {
    const entry = this.require(account).resources[resource];
    if (entry === undefined) return;
    entry.state = 'failed';
    entry.lastError = describeError(error);
    entry.consecutiveFailures++;
    entry.failingSince ??= new Date(startedAt).toISOString();
  }

  get(account: string): TaskStatus | undefined {
    return this.tasks.get(account);
  }

  all(): TaskStatus[] {
    return [...this.tasks.values()];
  }

  /** Ready once every enabled task has started, none has stopped for good, and no resource has been failing for too long. */
  notReadyReason(): string | undefined {
    if (this.tasks.size === 0) return 'no task started';
    const reasons: string[] = [];
    const now = this.clock();
    for (const task of this.tasks.values()) {
      if (task.state === 'starting') return `task ${task.account} is starting`;
      if (task.state === 'failed') return `task ${task.account} failed: ${task.error ?? 'unknown error'}`;
      for (const [resource, entry] of Object.entries(task.resources)) {
        if (entry.failingSince === null || now - Date.parse(entry.failingSince) <= this.unhealthyAfterMs) continue;
        reasons.push(
          `account ${task.account}, resource ${resource}: failing since ${entry.failingSince} (${entry.consecutiveFailures} polls in a row): ${entry.lastError ?? 'unknown error'}`,
        );
      }
    }
    return reasons.length === 0 ? undefined : reasons.join('; ');
  }

  private nowIso(): string {
    return new Date(this.clock()).toISOString();
  }

  private require(account: string): TaskStatus {
    const task = this.tasks.get(account);
    if (task === undefined) throw new RangeError(`no task for account ${account}`);
    return task;
  }
}
