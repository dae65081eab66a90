/**
 * The source in the shapes a Kafka Connect user knows, next to its own REST API: one connector,
 * named `<kafka.clientId>-source`, whose tasks are the accounts (task id = the account's position
 * among the enabled accounts). `GET /connectors`, `…/status` (connector state and tasks with id,
 * state, worker_id and, when failed, trace), `PUT …/pause|resume` (every resource of every task,
 * kept across restarts), `POST …/restart` with `includeTasks` and `onlyFailed` as Kafka Connect
 * reads them, per task status and restart, and `GET …/offsets`.
 *
 * The connector has no instance of its own besides its tasks: a restart without `includeTasks`
 * restarts nothing and answers 204, exactly as Kafka Connect restarts only the connector then.
 */
import { hostname } from 'node:os';
import { HttpError, RouteResult, type Route } from '../../common/ops-server.js';
import { describeError } from '../../common/errors.js';
import { resourceByName } from '../../bookeo/catalog/catalog.js';
import type { StatusBoard, TaskStatus } from './status.js';
import { TaskStateError, type SourceTask } from './task.js';
import { isTargetStatePartition } from './target-state.js';

export type ConnectState = 'RUNNING' | 'PAUSED' | 'FAILED' | 'UNASSIGNED' | 'RESTARTING';

export interface ConnectTaskState {
  readonly id: number;
  readonly state: ConnectState;
  readonly worker_id: string;
  /** The failure, when FAILED (our error text, never a secret). */
  readonly trace?: string;
  /** Which Bookeo account the task reads (not in Kafka Connect's shape; extra). */
  readonly account: string;
}

export interface ConnectStatus {
  readonly name: string;
  readonly connector: { readonly state: ConnectState; readonly worker_id: string };
  readonly tasks: ConnectTaskState[];
  readonly type: 'source';
}

/** Child resources are polled with their parent: they are neither paused nor restarted on their own. */
function isScheduled(resource: string): boolean {
  return resourceByName(resource).cursor.kind !== 'child';
}

export function connectTaskState(entry: TaskStatus | undefined): ConnectState {
  switch (entry?.state) {
    case 'running': {
      const scheduled = Object.entries(entry.resources).filter(([resource]) => isScheduled(resource));
      const allPaused = scheduled.length > 0 && scheduled.every(([, resource]) => resource.state === 'paused');
      return allPaused ? 'PAUSED' : 'RUNNING';
    }
    case 'failed':
      return 'FAILED';
    default:
      return 'UNASSIGNED';
  }
}

export function connectStatus(name: string, tasks: readonly SourceTask[], status: StatusBoard): ConnectStatus {
  const worker = hostname();
  const taskStates = tasks.map((task, id): ConnectTaskState => {
    const entry = status.get(task.account);
    const state = connectTaskState(entry);
    return {
      id,
      state,
      worker_id: worker,
      ...(state === 'FAILED' ? { trace: entry?.error ?? 'unknown error' } : {}),
      account: task.account,
    };
  });
  const states = taskStates.map((task) => task.state);
  const connector: ConnectState =
    states.length === 0
      ? 'UNASSIGNED'
      : states.every((state) => state === 'FAILED')
        ? 'FAILED'
        : states.every((state) => state === 'PAUSED')
          ? 'PAUSED'
          : 'RUNNING';
  return { name, connector: { state: connector, worker_id: worker }, tasks: taskStates, type: 'source' };
}

export function connectRoutes(tasks: readonly SourceTask[], status: StatusBoard): Route[] {
  const nameOf = (): string | undefined => tasks[0]?.connector;
  const connectorOf = (name: string | undefined): string => {
    const known = nameOf();
    if (known === undefined || name !== known) throw new HttpError(404, `connector ${String(name)} not found`);
    return known;
  };
  const taskOf = (name: string | undefined, id: string | undefined): SourceTask => {
    connectorOf(name);
    const task = /^\d+$/.test(id ?? '') ? tasks[Number(id)] : undefined;
    if (task === undefined) throw new HttpError(404, `task ${String(id)} of connector ${String(name)} not found`);
    return task;
  };
  /** Every scheduled resource of every task, paused or resumed (each one recorded in the offsets topic). */
  const setAll = async (action: 'pause' | 'resume'): Promise<void> => {
    for (const task of tasks) {
      const resources = Object.keys(status.get(task.account)?.resources ?? {}).filter(isScheduled);
      for (const resource of resources) await task[action](resource);
    }
  };
  /** Restarts run in the background, as Kafka Connect's do; a failure is logged by the task and shows as FAILED. */
  const restartInBackground = (task: SourceTask): void => {
    task.restart().catch(() => undefined);
  };
  return [
    { method: 'GET', path: '/connectors', handler: () => (nameOf() === undefined ? [] : [nameOf()]) },
    {
      method: 'GET',
      path: '/connectors/:name/status',
      handler: ({ params }) => connectStatus(connectorOf(params.name), tasks, status),
    },
    {
      method: 'PUT',
      path: '/connectors/:name/pause',
      handler: async ({ params }) => {
        connectorOf(params.name);
        await setAll('pause');
        return new RouteResult(202);
      },
    },
    {
      method: 'PUT',
      path: '/connectors/:name/resume',
      handler: async ({ params }) => {
        connectorOf(params.name);
        await setAll('resume');
        return new RouteResult(202);
      },
    },
    {
      method: 'POST',
      path: '/connectors/:name/restart',
      handler: ({ params, query }) => {
        const name = connectorOf(params.name);
        const includeTasks = query.get('includeTasks') === 'true';
        const onlyFailed = query.get('onlyFailed') === 'true';
        if (!includeTasks && !onlyFailed) return new RouteResult(204);
        const before = connectStatus(name, tasks, status);
        const chosen = includeTasks
          ? tasks.filter((_task, id) => !onlyFailed || before.tasks[id]?.state === 'FAILED')
          : [];
        for (const task of chosen) restartInBackground(task);
        return new RouteResult(202, {
          ...before,
          tasks: before.tasks.map((entry, id) =>
            chosen.includes(tasks[id] as SourceTask) ? { ...entry, state: 'RESTARTING' as const } : entry,
          ),
        });
      },
    },
    {
      method: 'GET',
      path: '/connectors/:name/tasks/:id/status',
      handler: ({ params }) => {
        const task = taskOf(params.name, params.id);
        return connectStatus(task.connector, tasks, status).tasks[Number(params.id)];
      },
    },
    {
      method: 'POST',
      path: '/connectors/:name/tasks/:id/restart',
      handler: async ({ params }) => {
        const task = taskOf(params.name, params.id);
        try {
          await task.restart();
        } catch (error) {
          if (error instanceof TaskStateError) throw new HttpError(409, error.message);
          throw new HttpError(503, `the restart failed: ${describeError(error)}`);
        }
        return new RouteResult(204);
      },
    },
    {
      method: 'GET',
      path: '/connectors/:name/offsets',
      handler: ({ params }) => {
        connectorOf(params.name);
        return {
          offsets: tasks.flatMap((task) =>
            [...task.offsets()]
              .filter(([partition]) => !isTargetStatePartition(partition))
              .map(([partition, offset]) => ({ partition: { account: task.account, resource: partition }, offset })),
          ),
        };
      },
    },
  ];
}
