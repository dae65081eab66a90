/**
 * The source's REST API, in the Kafka Connect manner: status per task and resource, pause and
 * resume (kept across restarts), a re-snapshot, a backfill from a date, an immediate poll, and a
 * restart of a task or a resource; then the same in Kafka Connect's own shapes (connect-rest.ts).
 * Mounted on the ops server (bearer token when configured).
 */
import { describeError } from '../../common/errors.js';
import type { Route } from '../../common/ops-server.js';
import { HttpError } from '../../common/ops-server.js';
import { connectRoutes } from './connect-rest.js';
import type { StatusBoard } from './status.js';
import { TaskStateError, type SourceTask } from './task.js';

/** A request the task's state does not allow becomes 409 Conflict, with the reason. */
async function asConflict<T>(request: () => Promise<T> | T): Promise<T> {
  try {
    return await request();
  } catch (error) {
    if (error instanceof TaskStateError) throw new HttpError(409, error.message);
    throw error;
  }
}

export function sourceRoutes(tasks: readonly SourceTask[], status: StatusBoard): Route[] {
  const taskOf = (account: string | undefined): SourceTask => {
    const task = tasks.find((candidate) => candidate.account === account);
    if (task === undefined) throw new HttpError(404, `no task for account ${String(account)}`);
    return task;
  };
  const resourceOf = (account: string | undefined, resource: string | undefined): string => {
    const entry = status.get(account ?? '')?.resources[resource ?? ''];
    if (entry === undefined) throw new HttpError(404, `no resource ${String(resource)} for account ${String(account)}`);
    return resource as string;
  };
  return [
    { method: 'GET', path: '/connector', handler: () => ({ name: 'bookeo-source', tasks: status.all() }) },
    { method: 'GET', path: '/tasks/:account', handler: ({ params }) => status.get(taskOf(params.account).account) },
    {
      method: 'POST',
      path: '/tasks/:account/poll',
      handler: async ({ params }) => {
        await taskOf(params.account).pollOnce();
        return status.get(params.account as string);
      },
    },
    {
      method: 'POST',
      path: '/tasks/:account/restart',
      handler: async ({ params }) => {
        const task = taskOf(params.account);
        await asConflict(() => task.restart()).catch((error: unknown) => {
          throw error instanceof HttpError ? error : new HttpError(503, `the restart failed: ${describeError(error)}`);
        });
        return status.get(task.account);
      },
    },
    {
      method: 'POST',
      path: '/tasks/:account/resources/:resource/pause',
      handler: ({ params }) =>
        asConflict(() => taskOf(params.account).pause(resourceOf(params.account, params.resource))),
    },
    {
      method: 'POST',
      path: '/tasks/:account/resources/:resource/resume',
      handler: ({ params }) =>
        asConflict(() => taskOf(params.account).resume(resourceOf(params.account, params.resource))),
    },
    {
      method: 'POST',
      path: '/tasks/:account/resources/:resource/restart',
      handler: async ({ params }) => {
        const resource = resourceOf(params.account, params.resource);
        await asConflict(() => taskOf(params.account).restartResource(resource));
        return status.get(params.account as string)?.resources[resource];
      },
    },
    {
      method: 'POST',
      path: '/tasks/:account/resources/:resource/resnapshot',
      handler: ({ params }) => taskOf(params.account).resnapshot(resourceOf(params.account, params.resource)),
    },
    {
      method: 'POST',
      path: '/tasks/:account/resources/:resource/backfill',
      handler: ({ params, body }) => {
        const from = (body as { from?: unknown } | undefined)?.from;
        if (typeof from !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(from))
          throw new HttpError(400, 'body must be {"from": "YYYY-MM-DD"}');
        return taskOf(params.account).backfillFrom(resourceOf(params.account, params.resource), from);
      },
    },
    ...connectRoutes(tasks, status),
  ];
}
