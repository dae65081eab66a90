/**
 * The source's REST API, in the Kafka Connect manner: status per task and resource, pause and
 * resume, a re-snapshot, a backfill from a date, and an immediate poll. Mounted on the ops server
 * (bearer token when configured).
 */
import type { Route } from '../../common/ops-server.js';
import { HttpError } from '../../common/ops-server.js';
import type { StatusBoard } from './status.js';
import type { SourceTask } from './task.js';

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
      path: '/tasks/:account/resources/:resource/pause',
      handler: ({ params }) => taskOf(params.account).pause(resourceOf(params.account, params.resource)),
    },
    {
      method: 'POST',
      path: '/tasks/:account/resources/:resource/resume',
      handler: ({ params }) => taskOf(params.account).resume(resourceOf(params.account, params.resource)),
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
  ];
}
